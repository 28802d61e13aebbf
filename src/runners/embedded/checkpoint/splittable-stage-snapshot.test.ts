import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BufferReader, BufferWriter, windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import { BeamError, MAX_TIMESTAMP, inGlobalWindow, type Coder, type Instant, type WindowedValue } from "../../../model/index.js";
import { Pipeline, ptransform, type PBegin, type PCollection, type PTransform } from "../../../pipeline/index.js";
import { DoFnOperation, SideInputStore } from "../../../runtime/index.js";
import {
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  generateSequence,
  impulse,
  periodicImpulse,
  splittableParDo,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../../transforms/index.js";
import { planGraph } from "../planner.js";
import { PieceClaims, pieceSharing } from "../parallel/piece-claims.js";
import { SplittableStage, type SplittableSettings } from "../splittable-stage.js";
import { checkBroadcastInputs, restoreShare } from "./rescale.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

/** Only the claim budget checkpoints (never the clock), so two runs checkpoint alike. */
const SETTINGS: SplittableSettings = { desiredChunks: 3, maxClaims: 7, maxMillis: 1e12 };

/** Processing time of the first step, and how far it moves per step. */
const T0 = 1_000_000;
const TICK = 50;

/**
 * A splittable stage built as the executor builds it (the plan's splittable ParDo, a
 * DoFnOperation, the stage), fed its impulse and stepped by hand: every bundle commits.
 */
class Driven {
  readonly stage: SplittableStage;
  /** What the DoFn output, in order: value and timestamp. */
  readonly outputs: [unknown, Instant][] = [];
  readonly watermarks: Instant[] = [];

  constructor(
    readonly source: () => PTransform<PBegin, PCollection<unknown>>,
    settings: SplittableSettings | ((inputCoder: Coder<unknown>) => SplittableSettings) = SETTINGS,
  ) {
    const p = new Pipeline();
    p.apply(source());
    const graph = p.graph();
    const step = planGraph(graph).find((s) => s.kind === "parDo" && s.splittable);
    if (step === undefined || step.kind !== "parDo") throw new Error("no splittable step");
    this.coders = {
      windowedValue: (pc) => {
        const node = graph.pcollections.get(pc)!;
        return windowedValueCoder(node.coder, windowCoderOf(node.windowing));
      },
    };
    const op = new DoFnOperation({
      label: step.label,
      template: step.doFn,
      mainOutput: { receive: (wv) => void this.outputs.push([wv.value, wv.timestamp]) },
      taggedOutputs: new Map(),
      sideInputs: new SideInputStore(),
      declaredViews: new Set(),
      maxConcurrency: step.maxConcurrency,
      allowedTimestampSkew: step.allowedTimestampSkew,
    });
    const resolved = typeof settings === "function" ? settings(graph.pcollections.get(step.input)!.coder) : settings;
    this.stage = new SplittableStage(step.label, step.input, op, step.doFn as never, resolved);
  }

  readonly coders: SnapshotCoders;

  /** Hands the stage its input, the one impulse element, as the executor's buffer sink does. */
  feedImpulse(): this {
    this.stage.buffer.push(inGlobalWindow(new Uint8Array(0)));
    return this;
  }

  /** Step `n` (0-based) at processing time T0 + n * TICK, the impulse's watermark at +inf. */
  async step(n: number): Promise<void> {
    const entry = this.stage.entry;
    await this.stage.step({
      now: T0 + n * TICK,
      inputWatermark: MAX_TIMESTAMP,
      draining: false,
      emit: async (elements: readonly WindowedValue<unknown>[]) => {
        await entry.startBundle();
        for (const wv of elements) entry.receive(wv);
        await entry.finishBundle();
        entry.commit();
      },
    });
    this.watermarks.push(this.stage.outputWatermark(MAX_TIMESTAMP));
  }

  snapshot(): Uint8Array {
    const out = new BufferWriter();
    this.stage.snapshot(out, this.coders);
    return out.finish();
  }

  restore(bytes: Uint8Array): this {
    const input = new BufferReader(bytes);
    this.stage.restore(input, this.coders);
    expect(input.remaining).toBe(0);
    return this;
  }
}

/**
 * Runs a source's stage for `before` steps, snapshots it, restores a fresh stage from the
 * snapshot, then steps both alike until `until` (or both are done).
 */
async function runAcrossRestore(source: () => PTransform<PBegin, PCollection<unknown>>, before: number, until: number, settings = SETTINGS) {
  const original = new Driven(source, settings).feedImpulse();
  let n = 0;
  for (; n < before && !original.stage.done; n++) await original.step(n);
  const outputsBefore = original.outputs.length;
  const restored = new Driven(source, settings).restore(original.snapshot());
  const watermarksBefore = original.watermarks.length;
  for (; n < until && !(original.stage.done && restored.stage.done); n++) {
    await original.step(n);
    await restored.step(n);
  }
  return {
    before: original.outputs.slice(0, outputsBefore),
    continued: original.outputs.slice(outputsBefore),
    restored: restored.outputs,
    continuedWatermarks: original.watermarks.slice(watermarksBefore),
    restoredWatermarks: restored.watermarks,
    done: [original.stage.done, restored.stage.done],
  };
}

const values = (outputs: readonly [unknown, Instant][]) => outputs.map(([v]) => v);

describe("SplittableStage snapshot", () => {
  it("a bounded generateSequence restored mid-way emits exactly the numbers not yet emitted", async () => {
    const r = await runAcrossRestore(() => generateSequence({ from: 3, to: 103 }), 4, 1000);
    expect(r.before.length).toBeGreaterThan(0);
    expect(r.restored).toEqual(r.continued);
    expect(r.restoredWatermarks).toEqual(r.continuedWatermarks);
    expect(r.done).toEqual([true, true]);
    const all = [...values(r.before), ...values(r.restored)].sort((a, b) => (a as number) - (b as number));
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
  });

  it("a rate-limited generateSequence keeps its pace and timestamps after a restore", async () => {
    const rate = () => generateSequence({ rate: { elements: 3, period: 100 } });
    const r = await runAcrossRestore(rate, 6, 30);
    expect(r.restored.length).toBeGreaterThan(10);
    expect(r.restored).toEqual(r.continued);
    expect(r.restoredWatermarks).toEqual(r.continuedWatermarks);
    // The pace started at the first step (in the watermark estimator's state), not at the restore.
    const all = values([...r.before, ...r.restored]);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i));
  });

  it("periodicImpulse restored mid-way emits each later instant once, on the original schedule", async () => {
    const r = await runAcrossRestore(() => periodicImpulse({ start: T0, interval: 70 }), 5, 25);
    expect(r.restored.length).toBeGreaterThan(5);
    expect(r.restored).toEqual(r.continued);
    expect(r.restoredWatermarks).toEqual(r.continuedWatermarks);
    const all = values([...r.before, ...r.restored]);
    expect(all).toEqual(Array.from({ length: all.length }, (_, k) => T0 + k * 70));
  });

  it("a restored stage keeps its output watermark and wake-up, and never moves the watermark back", async () => {
    const original = new Driven(() => periodicImpulse({ start: T0, interval: 70 })).feedImpulse();
    for (let n = 0; n < 4; n++) await original.step(n);
    const restored = new Driven(() => periodicImpulse({ start: T0, interval: 70 })).restore(original.snapshot());
    expect(restored.stage.nextWakeup()).toBe(original.stage.nextWakeup());
    // A new input element with an early timestamp: the output watermark already reached stays.
    original.feedImpulse();
    restored.feedImpulse();
    expect(original.stage.outputWatermark(MAX_TIMESTAMP)).toBeGreaterThan(T0);
    expect(restored.stage.outputWatermark(MAX_TIMESTAMP)).toBe(original.stage.outputWatermark(MAX_TIMESTAMP));
  });

  it("a stage snapshotted after its work ended is done when restored", async () => {
    const original = new Driven(() => generateSequence({ from: 0, to: 5 })).feedImpulse();
    for (let n = 0; !original.stage.done; n++) await original.step(n);
    const restored = new Driven(() => generateSequence({ from: 0, to: 5 })).restore(original.snapshot());
    expect(restored.stage.done).toBe(true);
  });

  it("keeps an input element that was buffered but not yet split", async () => {
    const original = new Driven(() => generateSequence({ from: 0, to: 10 })).feedImpulse();
    const restored = new Driven(() => generateSequence({ from: 0, to: 10 })).restore(original.snapshot());
    for (let n = 0; !restored.stage.done; n++) await restored.step(n);
    expect(values(restored.outputs).sort((a, b) => (a as number) - (b as number))).toEqual([...Array(10).keys()]);
  });

  it("continues from any snapshot point without a number twice or missing (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5 }),
        async (size, before, maxClaims, desiredChunks) => {
          const settings = { desiredChunks, maxClaims, maxMillis: 1e12 };
          const r = await runAcrossRestore(() => generateSequence({ from: 0, to: size }), before, 10_000, settings);
          expect(r.restored).toEqual(r.continued);
          expect(r.restoredWatermarks).toEqual(r.continuedWatermarks);
          const all = [...values(r.before), ...values(r.restored)].sort((a, b) => (a as number) - (b as number));
          expect(all).toEqual([...Array(size).keys()]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses a restriction the checkpoint cannot encode, naming the step and the fix", async () => {
    /** A restriction that is a class instance: its prototype would not survive a checkpoint. */
    class Span {
      constructor(
        readonly from: number,
        readonly to: number,
      ) {}
    }
    /** Tracks a Span through an OffsetRangeTracker, and splits into Spans. */
    const spanTracker = (r: Span): RestrictionTracker<Span, number> => {
      const inner = new OffsetRangeTracker(new OffsetRange(r.from, r.to));
      const span = (o: OffsetRange) => new Span(o.from, o.to);
      return {
        tryClaim: (p) => inner.tryClaim(p),
        currentRestriction: () => span(inner.currentRestriction()),
        trySplit: (f) => {
          const split = inner.trySplit(f);
          return split && { primary: span(split.primary), residual: span(split.residual) };
        },
        checkDone: () => inner.checkDone(),
        isBounded: () => true,
      };
    };
    const fn: SplittableDoFn<Uint8Array, number, Span> = {
      getInitialRestriction: () => new Span(0, 100),
      newTracker: (_e, r) => spanTracker(r),
      process(_e: Uint8Array, ctx: SplittableProcessContext<number, Span, number>) {
        const n = ctx.tracker.currentRestriction().from;
        if (ctx.tracker.tryClaim(n)) ctx.output(n);
        return ProcessContinuation.resume(1000);
      },
    };
    const spans = () => ptransform("Spans", (input: PBegin) => input.apply(impulse()).apply("Read", splittableParDo(fn)));
    const driven = new Driven(spans).feedImpulse();
    await driven.step(0);
    expect(driven.outputs.length).toBe(1);
    let error: unknown;
    try {
      driven.snapshot();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BeamError);
    expect((error as BeamError).code).toBe("NOT_CHECKPOINTABLE");
    expect((error as BeamError).message).toMatch(/Splittable DoFn "Spans\/Read": its restriction .*cannot be written into a checkpoint/);
    expect((error as BeamError).message).toMatch(/OffsetRange or plain data/);
  });

  describe("in a parallel job", () => {
    const EXECUTORS = 3;
    const sequence = () => generateSequence({ from: 0, to: 90 });
    const parallelSettings = (claims: PieceClaims, index: number, fixedShares: boolean) => (coder: Coder<unknown>) => ({
      ...SETTINGS,
      desiredChunks: SETTINGS.desiredChunks * EXECUTORS,
      sharing: pieceSharing(claims, "Generate", coder, index, EXECUTORS, { fixedShares }),
    });

    it("with checkpoints, executors run fixed shares of the pieces, each restored from its own snapshot", async () => {
      const claims = PieceClaims.create();
      const outputs: unknown[] = [];
      for (let index = 0; index < EXECUTORS; index++) {
        const original = new Driven(sequence, parallelSettings(claims, index, true)).feedImpulse();
        await original.step(0);
        const restored = new Driven(sequence, parallelSettings(PieceClaims.create(), index, true)).restore(original.snapshot());
        for (let n = 1; !restored.stage.done; n++) await restored.step(n);
        outputs.push(...values(original.outputs), ...values(restored.outputs));
      }
      expect(outputs.sort((a, b) => (a as number) - (b as number))).toEqual([...Array(90).keys()]);
    });

    it("refuses to snapshot pieces still shared on demand (the job-wide claims table)", async () => {
      const driven = new Driven(sequence, parallelSettings(PieceClaims.create(), 0, false)).feedImpulse();
      await driven.step(0);
      expect(() => driven.snapshot()).toThrow(/pieces shared on demand.*fixed shares/);
    });
  });

  describe("restored at another --parallelism", () => {
    const sequence = () => generateSequence({ from: 0, to: 120 });
    const shareOf = (index: number, count: number) => (coder: Coder<unknown>) => ({
      ...SETTINGS,
      desiredChunks: SETTINGS.desiredChunks * count,
      sharing: pieceSharing(PieceClaims.create(), "Generate", coder, index, count, { fixedShares: true }),
    });

    /** Runs `from` executors `before` steps, restores `to` executors from all their snapshots, runs them to the end. */
    async function rescale(from: number, to: number, before: number) {
      const old = Array.from({ length: from }, (_, i) => new Driven(sequence, shareOf(i, from)).feedImpulse());
      for (const d of old) for (let n = 0; n < before; n++) await d.step(n);
      const snapshots = old.map((d) => d.snapshot());
      const restored = Array.from({ length: to }, (_, j) => {
        const d = new Driven(sequence, shareOf(j, to));
        snapshots.forEach((bytes, p) => {
          const input = new BufferReader(bytes);
          d.stage.restore(input, d.coders, [], [], restoreShare(j, to, p, from));
          expect(input.remaining).toBe(0);
        });
        return d;
      });
      for (const d of restored) for (let n = before; !d.stage.done; n++) await d.step(n);
      return { before: old.flatMap((d) => values(d.outputs)), after: restored.map((d) => values(d.outputs)) };
    }

    it.each([
      [2, 1, 2],
      [2, 3, 1],
      [1, 3, 2],
      [3, 2, 0],
    ])("from %i executors to %i (after %i steps): every number exactly once, the work items dealt out", async (from, to, before) => {
      const r = await rescale(from, to, before);
      const all = [...r.before, ...r.after.flat()].sort((a, b) => (a as number) - (b as number));
      expect(all).toEqual([...Array(120).keys()]);
      if (before > 0) expect(r.before.length).toBeGreaterThan(0);
      // Each new executor got work: the old pieces were spread, not all handed to one.
      if (to > 1) for (const out of r.after) expect(out.length).toBeGreaterThan(0);
    });

    it("refuses when the old executors wait to split different input elements, naming the step", () => {
      expect(() => checkBroadcastInputs("Generate", [["a"], []])).toThrow(/Splittable DoFn "Generate" cannot be rescaled.*executor 1.*--parallelism 2/s);
      expect(() => checkBroadcastInputs("Generate", [["a", "b"], ["b", "a"]])).not.toThrow();
    });
  });
});
