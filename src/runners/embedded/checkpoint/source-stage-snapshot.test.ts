import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BufferReader, BufferWriter, varIntCoder } from "../../../coders/index.js";
import { BeamError, MAX_TIMESTAMP, type Instant, type TestStreamEvent, type WindowedValue } from "../../../model/index.js";
import type { Source, SourceReader } from "../../../transforms/index.js";
import { ImpulseStage, ReadStage, TestStreamStage } from "../source-stages.js";
import type { Stage } from "../stage.js";
import { ManualClock } from "../watermarks/clock.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

/** Source stages write runner metadata and their own coders' bytes only. */
const NO_CODERS: SnapshotCoders = {
  windowedValue: (pc) => {
    throw new Error(`a source stage asked for the coder of ${pc}`);
  },
};

const NOOP = { receive() {} };

function snapshot(stage: Stage): Uint8Array {
  const out = new BufferWriter();
  stage.snapshot!(out, NO_CODERS);
  return out.finish();
}

async function restore<S extends Stage>(stage: S, bytes: Uint8Array): Promise<S> {
  const input = new BufferReader(bytes);
  await stage.restore!(input, NO_CODERS);
  expect(input.remaining).toBe(0);
  return stage;
}

/** Steps a source stage as the executor does, recording what it emits and its watermark after each step. */
class Driven<S extends Stage> {
  readonly emitted: [unknown, Instant][] = [];
  readonly watermarks: Instant[] = [];
  constructor(readonly stage: S) {}
  async step(now: Instant): Promise<void> {
    await this.stage.step({
      now,
      inputWatermark: MAX_TIMESTAMP,
      draining: false,
      emit: async (elements: readonly WindowedValue<unknown>[]) => {
        for (const wv of elements) this.emitted.push([wv.value, wv.timestamp]);
      },
    });
    this.watermarks.push(this.stage.outputWatermark(MAX_TIMESTAMP));
  }
}

/**
 * Counts up from its mark, `perRead` numbers per read, each timestamped with itself; the
 * watermark is the last number read. Bounded sources end at `end`.
 */
function counter(options: {
  readonly perRead: number;
  readonly end?: number;
  readonly marks?: boolean;
  readonly coder?: boolean;
  readonly idle?: boolean;
}): Source<number, number> {
  const { perRead, end = Infinity, marks = true, coder = true, idle = false } = options;
  return {
    isBounded: end !== Infinity,
    ...(coder ? { checkpointMarkCoder: varIntCoder } : {}),
    createReader(mark = 0): SourceReader<number, number> {
      let next = mark;
      const reader: SourceReader<number, number> = {
        read: (max) => {
          const elements: { value: number; timestamp: Instant }[] = [];
          while (elements.length < Math.min(max, perRead) && next < end) elements.push({ value: next, timestamp: next++ });
          return { elements, watermark: next - 1, done: next >= end, idle };
        },
      };
      return marks ? { ...reader, checkpointMark: () => next } : reader;
    },
    toString: () => `Counter(${perRead} per read)`,
  };
}

const readStage = (source: Source<number, number>) => new ReadStage("Read", "pc", NOOP, source as Source<unknown>, 100);

describe("ReadStage snapshot", () => {
  it("a restored read continues from the reader's checkpoint mark: no element twice or missing, same watermarks", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 7 }), async (before, perRead) => {
        const source = counter({ perRead, end: 50 });
        const original = new Driven(readStage(source));
        let now = 0;
        for (; now < before; now++) await original.step(now);
        const emittedBefore = original.emitted.length;
        const watermarksBefore = original.watermarks.length;
        const restored = new Driven(await restore(readStage(source), snapshot(original.stage)));
        for (; !(original.stage.done && restored.stage.done); now++) {
          await original.step(now);
          await restored.step(now);
        }
        expect(restored.emitted).toEqual(original.emitted.slice(emittedBefore));
        expect(restored.watermarks).toEqual(original.watermarks.slice(watermarksBefore));
        const all = [...original.emitted.slice(0, emittedBefore), ...restored.emitted].map(([v]) => v);
        expect(all).toEqual([...Array(50).keys()]);
      }),
      { numRuns: 40 },
    );
  });

  it("keeps the source's watermark and idleness before the restored stage reads again", async () => {
    const source = counter({ perRead: 3, idle: true });
    const original = new Driven(readStage(source));
    await original.step(0);
    await original.step(1);
    const restored = await restore(readStage(source), snapshot(original.stage));
    expect(restored.outputWatermark()).toBe(5);
    expect(restored.idle).toBe(true);
    expect(restored.done).toBe(false);
  });

  it("a stage restored and snapshotted again before it reads keeps the restored mark", async () => {
    const source = counter({ perRead: 4 });
    const original = new Driven(readStage(source));
    await original.step(0);
    const first = snapshot(original.stage);
    const again = snapshot(await restore(readStage(source), first));
    expect(again).toEqual(first);
    const restored = new Driven(await restore(readStage(source), again));
    await restored.step(1);
    expect(restored.emitted.map(([v]) => v)).toEqual([4, 5, 6, 7]);
  });

  it("a finished read stays finished when restored", async () => {
    const source = counter({ perRead: 10, end: 5 });
    const original = new Driven(readStage(source));
    await original.step(0);
    expect(original.stage.done).toBe(true);
    const restored = new Driven(await restore(readStage(source), snapshot(original.stage)));
    await restored.step(1);
    expect(restored.stage.done).toBe(true);
    expect(restored.emitted).toEqual([]);
    expect(restored.stage.outputWatermark()).toBe(MAX_TIMESTAMP);
  });

  it("refuses a source without checkpointMarkCoder, at job start and at a checkpoint, naming the source and the fix", async () => {
    const stage = readStage(counter({ perRead: 2, coder: false }));
    const problem = stage.checkpointProblem();
    expect(problem).toMatch(/Source "Read" \(Counter\(2 per read\)\) cannot be checkpointed: it has no checkpointMarkCoder/);
    expect(problem).toMatch(/checkpointMark\(\).*checkpointMarkCoder.*or run the job without --checkpointDir/);
    await new Driven(stage).step(0);
    expect(() => snapshot(stage)).toThrow(expect.objectContaining({ code: "NOT_CHECKPOINTABLE", message: problem }));
  });

  it("refuses a reader without checkpointMark() at a checkpoint", async () => {
    const stage = readStage(counter({ perRead: 2, marks: false }));
    expect(stage.checkpointProblem()).toBeUndefined();
    await new Driven(stage).step(0);
    let error: unknown;
    try {
      snapshot(stage);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BeamError);
    expect((error as BeamError).code).toBe("NOT_CHECKPOINTABLE");
    expect((error as BeamError).message).toMatch(/it has a reader without checkpointMark\(\)/);
  });
});

describe("TestStreamStage snapshot", () => {
  const events: TestStreamEvent[] = [
    { kind: "elements", elements: [{ value: "a", timestamp: 1 }] },
    { kind: "processingTime", advanceBy: 1000 },
    { kind: "watermark", watermark: 10 },
    { kind: "elements", elements: [{ value: "b", timestamp: 12 }, { value: "c", timestamp: 15 }] },
    { kind: "processingTime", advanceBy: 500 },
    { kind: "watermark", watermark: 20 },
    { kind: "elements", elements: [{ value: "d", timestamp: 25 }] },
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7])("restored after %i events, plays the rest with the same watermarks and processing time", async (before) => {
    const clock = new ManualClock();
    const original = new Driven(new TestStreamStage("TestStream", "pc", NOOP, events, clock));
    for (let i = 0; i < before; i++) await original.step(clock.now());
    const emittedBefore = original.emitted.length;
    const restoredClock = new ManualClock();
    const restored = new Driven(await restore(new TestStreamStage("TestStream", "pc", NOOP, events, restoredClock), snapshot(original.stage)));
    expect(restoredClock.now()).toBe(clock.now());
    expect(restored.stage.outputWatermark()).toBe(original.stage.outputWatermark());
    const times: [Instant, Instant][] = [];
    while (!(original.stage.done && restored.stage.done)) {
      await original.step(clock.now());
      await restored.step(restoredClock.now());
      times.push([clock.now(), restoredClock.now()]);
    }
    expect(restored.emitted).toEqual(original.emitted.slice(emittedBefore));
    expect(restored.watermarks).toEqual(original.watermarks.slice(before));
    for (const [a, b] of times) expect(b).toBe(a);
    expect([...original.emitted.slice(0, emittedBefore), ...restored.emitted].map(([v]) => v)).toEqual(["a", "b", "c", "d"]);
  });

  it("refuses a checkpoint of another TestStream", async () => {
    const original = new TestStreamStage("TestStream", "pc", NOOP, events, new ManualClock());
    const other = new TestStreamStage("TestStream", "pc", NOOP, events.slice(0, 3), new ManualClock());
    await expect(restore(other, snapshot(original))).rejects.toThrow(/checkpoint was taken of a TestStream of 7 events, this one has 3/);
  });
});

describe("ImpulseStage snapshot", () => {
  it("an impulse that fired does not fire again when restored", async () => {
    const original = new Driven(new ImpulseStage("Impulse", "pc", NOOP));
    await original.step(0);
    expect(original.emitted.length).toBe(1);
    const restored = new Driven(await restore(new ImpulseStage("Impulse", "pc", NOOP), snapshot(original.stage)));
    await restored.step(1);
    expect(restored.emitted).toEqual([]);
    expect(restored.stage.done).toBe(true);
  });

  it("an impulse snapshotted before it fired fires once when restored", async () => {
    const restored = new Driven(await restore(new ImpulseStage("Impulse", "pc", NOOP), snapshot(new ImpulseStage("Impulse", "pc", NOOP))));
    await restored.step(0);
    await restored.step(1);
    expect(restored.emitted.length).toBe(1);
  });
});
