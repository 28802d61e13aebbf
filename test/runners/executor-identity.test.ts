import { describe, expect, it } from "vitest";
import { Pipeline, create, parDo, type ExecutorIdentity, type StartBundleContext } from "../../src/index.js";

describe("StartBundleContext.executor on the embedded runner", () => {
  it("is executor 0 of 1 without --parallelism", async () => {
    const seen: (ExecutorIdentity | undefined)[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(create([1, 2, 3])).apply(
      parDo({
        startBundle(ctx: StartBundleContext) {
          seen.push(ctx.executor);
        },
        process() {},
      }),
    );
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((e) => JSON.stringify(e)))).toEqual(new Set([JSON.stringify({ index: 0, count: 1 })]));
  });
});
