import { describe, expect, it } from "vitest";
import type { ExecutorIdentity, StartBundleContext } from "../transforms/index.js";
import { DoFnOperation, type DoFnOperationConfig } from "./do-fn-operation.js";
import { DISCARD } from "./receiver.js";

/** A DoFn that records the executor its startBundle was told of. */
function recording(seen: (ExecutorIdentity | undefined)[]) {
  return {
    startBundle(ctx: StartBundleContext) {
      seen.push(ctx.executor);
    },
    process() {},
  };
}

describe("StartBundleContext.executor", () => {
  it("shows startBundle the executor its host gave the operation, and nothing when the host gives none", async () => {
    const seen: (ExecutorIdentity | undefined)[] = [];
    const config: DoFnOperationConfig = {
      label: "Step",
      template: recording(seen),
      mainOutput: DISCARD,
      taggedOutputs: new Map(),
      sideInputs: { get: () => undefined as never },
      declaredViews: new Set(),
      maxConcurrency: 1,
    };
    await new DoFnOperation({ ...config, executor: { index: 1, count: 2 } }).startBundle();
    await new DoFnOperation(config).startBundle();
    expect(seen).toEqual([{ index: 1, count: 2 }, undefined]);
  });

});
