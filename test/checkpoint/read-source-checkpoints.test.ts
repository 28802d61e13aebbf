import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, parDo, read, varIntCoder, type Instant, type Source, type SourceReader } from "../../src/index.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "beam-ts-read-checkpoint-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * An unbounded source of 0..end-1, two numbers per millisecond of processing time since its
 * reader was created, with the next number as its checkpoint mark (or without marks).
 */
function pacedCounter(end: number, starts: (number | undefined)[], checkpointable = true, finalized?: number[]): Source<number, number> {
  return {
    isBounded: false,
    ...(checkpointable ? { checkpointMarkCoder: varIntCoder } : {}),
    createReader(mark?: number): SourceReader<number, number> {
      starts.push(mark);
      let next = mark ?? 0;
      let startedAt: Instant | undefined;
      return {
        read(max, now) {
          startedAt ??= now;
          const due = Math.min(end, (mark ?? 0) + Math.floor((now - startedAt) * 2) + 1);
          const elements: { value: number; timestamp: Instant }[] = [];
          while (next < due && elements.length < max) elements.push({ value: next, timestamp: next++ });
          return { elements, watermark: next - 1, done: next >= end, ...(elements.length === 0 ? { nextReadAt: now + 1 } : {}) };
        },
        checkpointMark: () => next,
        ...(finalized !== undefined ? { finalizeCheckpoint: (m: number) => void finalized.push(m) } : {}),
      };
    },
    toString: () => `PacedCounter(${end})`,
  };
}

async function run(source: Source<number, number>, seen: number[], options: Record<string, unknown>): Promise<string> {
  const p = new Pipeline({ enforceImmutability: false, ...options });
  p.apply("Counter", read(source, { coder: varIntCoder })).apply(
    "Record",
    parDo<number, never>({
      process(n) {
        seen.push(n);
      },
    }),
  );
  return p.run().waitUntilFinish();
}

describe("read(source) with checkpoints", () => {
  it("a restored job's reader starts at the checkpoint's mark, and every number is read", async () => {
    const n = 600;
    const checkpointDir = path.join(tempDir(), "checkpoints");
    const base = { checkpointDir, checkpointInterval: 20, restoreFrom: "latest" };
    const starts: (number | undefined)[] = [];
    const seen: number[] = [];
    let stops = 0;
    for (let k = 0; k < 10; k++) {
      const state = await run(pacedCounter(n, starts), seen, { ...base, stopAfterCheckpoint: 2 });
      if (state === "DONE") break;
      expect(state).toBe("CANCELLED");
      stops++;
    }
    if (stops === 10) expect(await run(pacedCounter(n, starts), seen, base)).toBe("DONE");
    expect(stops).toBeGreaterThanOrEqual(2);
    // Each restored reader started where a checkpoint left the one before: never from the start.
    expect(starts[0]).toBeUndefined();
    const marks = starts.slice(1);
    expect(marks.every((m) => m !== undefined && m > 0)).toBe(true);
    expect([...marks].sort((a, b) => a! - b!)).toEqual(marks);
    // At least once into a plain DoFn: nothing lost.
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: n }, (_, i) => i)));
  }, 60_000);

  it("a reader's marks are finalized only once the checkpoint holding them is durable, in order", async () => {
    const checkpointDir = path.join(tempDir(), "checkpoints");
    const finalized: number[] = [];
    const state = await run(pacedCounter(400, [], true, finalized), [], { checkpointDir, checkpointInterval: 20, stopAfterCheckpoint: 3 });
    expect(state).toBe("CANCELLED");
    // Three checkpoints became durable before the stop; the third's mark may still be finalizing.
    expect(finalized.length).toBeGreaterThanOrEqual(2);
    expect(finalized.length).toBeLessThanOrEqual(3);
    expect([...finalized].sort((a, b) => a - b)).toEqual(finalized);
    expect(finalized.every((m) => m > 0 && m <= 400)).toBe(true);
  }, 30_000);

  it("a job with checkpoints is refused at start when a source has no checkpoint mark coder", async () => {
    const starts: (number | undefined)[] = [];
    const checkpointDir = path.join(tempDir(), "checkpoints");
    await expect(run(pacedCounter(100, starts, false), [], { checkpointDir, checkpointInterval: 20 })).rejects.toThrow(
      /Source ".*Counter.*" \(PacedCounter\(100\)\) cannot be checkpointed: it has no checkpointMarkCoder/,
    );
    expect(starts).toEqual([]);
  });
});
