import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter, intervalWindowCoder, kvCoder, stringUtf8Coder, varIntCoder, windowedValueCoder } from "../../../coders/index.js";
import { IntervalWindow, MAX_TIMESTAMP, paneInfo, type BoundedWindow, type Coder, type Instant, type WindowedValue } from "../../../model/index.js";
import { BufferStage } from "../materialized-stages.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

// A Reshuffle (or a GroupByKey's LateData buffer) reads "in" and emits "out".
const inputCoder = windowedValueCoder(kvCoder(stringUtf8Coder, varIntCoder), intervalWindowCoder as Coder<BoundedWindow>) as Coder<WindowedValue<unknown>>;
const CODERS: SnapshotCoders = {
  windowedValue: (pc) => {
    if (pc !== "in") throw new Error(`the buffer holds elements of "in", not "${pc}"`);
    return inputCoder;
  },
};

const build = (): BufferStage => new BufferStage("Reshuffle", "in", "out", { receive() {} });

const element = (key: string, value: number, timestamp: Instant): WindowedValue<unknown> => ({
  value: { key, value },
  timestamp,
  windows: [new IntervalWindow(timestamp - (timestamp % 10), timestamp - (timestamp % 10) + 10)],
  pane: paneInfo(false, false, "LATE", 2, 1),
});

async function step(stage: BufferStage, inputWatermark: Instant): Promise<WindowedValue<unknown>[]> {
  const out: WindowedValue<unknown>[] = [];
  await stage.step({ now: 0, inputWatermark, draining: false, emit: (es) => (out.push(...es), Promise.resolve()) });
  return out;
}

function snapshot(stage: BufferStage): Uint8Array {
  const w = new BufferWriter();
  stage.snapshot(w, CODERS);
  return w.finish();
}

function restored(bytes: Uint8Array): BufferStage {
  const stage = build();
  stage.restore(new BufferReader(bytes), CODERS);
  return stage;
}

describe("BufferStage snapshot and restore", () => {
  it("a restored buffer emits the elements the original held, with their timestamps, windows and panes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string(), fc.nat(1000), fc.integer({ min: -50, max: 500 })), { maxLength: 20 }), async (raw) => {
        const original = build();
        original.buffer.push(...raw.map(([k, v, t]) => element(k, v, t)));
        const copy = restored(snapshot(original));
        const expected = await step(original, 7);
        expect(await step(copy, 7)).toEqual(expected);
        expect(expected).toHaveLength(raw.length);
      }),
    );
  });

  it("keeps the input watermark it reached: a drained buffer stays done after a restore", async () => {
    const original = build();
    await step(original, MAX_TIMESTAMP);
    expect(original.done).toBe(true);
    expect(build().done).toBe(false);
    expect(restored(snapshot(original)).done).toBe(true);
  });

  it("fails, naming the stage, on a truncated or damaged snapshot", () => {
    const original = build();
    original.buffer.push(element("a", 1, 3), element("b", 2, 14));
    const bytes = snapshot(original);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => restored(bytes.subarray(0, n)), `prefix of ${n} bytes`).toThrow(/Cannot restore stage "Reshuffle"/);
    }
    const damaged = bytes.slice();
    damaged[damaged.length - 2] ^= 0x10;
    expect(() => restored(damaged)).toThrow(/end marker/);
  });
});
