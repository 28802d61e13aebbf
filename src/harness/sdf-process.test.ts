import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, NO_FIRING, type BoundedWindow, type Coder, type WindowedValue } from "../model/index.js";
import { decodeFromBytes, doubleCoder, globalWindowCoder, jsValueCoder, kvCoder, windowedValueCoder } from "../coders/index.js";
import { DoFnOperation, type Receiver } from "../runtime/index.js";
import {
  ManualWatermarkEstimator,
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  type SplittableDoFn,
} from "../transforms/index.js";
import { IsBounded_Enum } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { restrictionCoder } from "./restriction-coder.js";
import { sizedElement, unpackSized, type AnySdf } from "./sdf-elements.js";
import { ProcessSizedElementsOperation } from "./sdf-process.js";

/** The coder a runner uses for the process step's input: KV(KV(element, KV(restriction, state)), size). */
const inputCoder = windowedValueCoder(
  kvCoder(kvCoder(jsValueCoder, kvCoder(restrictionCoder, jsValueCoder)), doubleCoder),
  globalWindowCoder as Coder<BoundedWindow>,
) as Coder<WindowedValue<unknown>>;

function harness(fn: SplittableDoFn<string, number, OffsetRange>, checkpointAfterMillis?: number) {
  const out: number[] = [];
  const collect: Receiver = { receive: (wv) => void out.push(wv.value as number) };
  const doFn = new DoFnOperation({
    label: "Read",
    template: fn,
    mainOutput: collect,
    taggedOutputs: new Map(),
    sideInputs: { get: () => undefined as never },
    declaredViews: new Set(),
    maxConcurrency: 1,
  });
  const op = new ProcessSizedElementsOperation({
    label: "Read",
    fn: fn as unknown as AnySdf,
    doFn,
    transformId: "process",
    inputId: "input",
    outputIds: ["main"],
    inputCoder,
    checkpointAfterMillis,
  });
  const element = (restriction: OffsetRange, state: unknown = undefined) =>
    sizedElement(fn as unknown as AnySdf, "e", restriction, state, { timestamp: 0, window: GLOBAL_WINDOW, pane: NO_FIRING });
  const run = async (wv: WindowedValue<unknown>) => {
    await doFn.startBundle();
    op.startBundle();
    op.receive(wv);
    return op;
  };
  return { out, op, doFn, element, run };
}

const decode = (bytes: Uint8Array) => unpackSized(decodeFromBytes(inputCoder, bytes, true).value);

describe("ProcessSizedElementsOperation", () => {
  it("turns resume(delay) into a residual with the delay, the estimator's state and watermark", async () => {
    const fn: SplittableDoFn<string, number, OffsetRange> = {
      getInitialRestriction: () => new OffsetRange(0, 10),
      newTracker: (_e, r) => new OffsetRangeTracker(r),
      newWatermarkEstimator: (s) => new ManualWatermarkEstimator(s as number),
      process(_e, ctx) {
        const i = ctx.tracker.currentRestriction().from;
        if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
        ctx.output(i);
        (ctx.watermarkEstimator as ManualWatermarkEstimator).setWatermark(1_500);
        return ProcessContinuation.resume(2_250);
      },
    };
    const h = harness(fn);
    const op = await h.run(h.element(new OffsetRange(4, 10), 0));
    await op.finishBundle();
    expect(h.out).toEqual([4]);
    const [residual, ...rest] = op.takeResiduals();
    expect(rest).toEqual([]);
    expect(residual!.requestedTimeDelay).toEqual({ seconds: 2n, nanos: 250_000_000 });
    expect(residual!.application).toMatchObject({
      transformId: "process",
      inputId: "input",
      isBounded: IsBounded_Enum.BOUNDED,
      outputWatermarks: { main: { seconds: 1n, nanos: 500_000_000 } },
    });
    expect(decode(residual!.application!.element)).toEqual({ element: "e", restriction: new OffsetRange(5, 10), state: 1_500 });
  });

  it("splits the element of a running asynchronous call, which then finishes only the primary", async () => {
    let step: () => void = () => {};
    const fn: SplittableDoFn<string, number, OffsetRange> = {
      getInitialRestriction: () => new OffsetRange(0, 10),
      newTracker: (_e, r) => new OffsetRangeTracker(r),
      async process(_e, ctx) {
        for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) {
          ctx.output(i);
          await new Promise<void>((resolve) => (step = resolve));
        }
      },
    };
    const h = harness(fn);
    const op = await h.run(h.element(new OffsetRange(0, 10)));
    expect(op.whenReady()).toBeDefined();
    expect(op.currentProgress()).toBe(0); // claimed 0: positions 0..9 remain
    const split = op.splitCurrent(0.5)!;
    expect(decode(split.primary.element).restriction).toEqual(new OffsetRange(0, 5));
    expect(decode(split.residual.application!.element).restriction).toEqual(new OffsetRange(5, 10));
    for (let i = 0; i < 6; i++) {
      step();
      await Promise.resolve();
    }
    await op.finishBundle();
    expect(h.out).toEqual([0, 1, 2, 3, 4]);
    expect(op.takeResiduals()).toEqual([]);
    expect(op.splitCurrent(0.5)).toBeUndefined(); // between elements
  });

  it("checkpoints a call that runs past its budget, after it made progress", async () => {
    const fn: SplittableDoFn<string, number, OffsetRange> = {
      getInitialRestriction: () => new OffsetRange(0, 10),
      newTracker: (_e, r) => new OffsetRangeTracker(r),
      process(_e, ctx) {
        for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++) ctx.output(i);
      },
    };
    const h = harness(fn, 0);
    const op = await h.run(h.element(new OffsetRange(0, 10)));
    await op.finishBundle();
    expect(h.out).toEqual([0]);
    const [residual] = op.takeResiduals();
    expect(residual!.requestedTimeDelay).toBeUndefined();
    expect(residual!.application!.outputWatermarks).toEqual({});
    expect(decode(residual!.application!.element).restriction).toEqual(new OffsetRange(1, 10));
  });

  it("fails the bundle when a call returns without finishing its restriction", async () => {
    const fn: SplittableDoFn<string, number, OffsetRange> = {
      getInitialRestriction: () => new OffsetRange(0, 10),
      newTracker: (_e, r) => new OffsetRangeTracker(r),
      process(_e, ctx) {
        ctx.tracker.tryClaim(0);
      },
    };
    const h = harness(fn);
    await h.doFn.startBundle();
    h.op.startBundle();
    expect(() => h.op.receive(h.element(new OffsetRange(0, 10)))).toThrow(/Transform "Read" failed.*claiming work in \[1, 10\) was not attempted/s);
  });
});
