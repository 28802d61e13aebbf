import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, generateSequence, map, parDo, type MetricQueryResults } from "../../src/index.js";

/** The embedded runner's own metrics (job level: step ""). */
const EMBEDDED_NAMESPACE = "beam-ts:embedded";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * An unbounded job (a paced sequence that would run for minutes) that stops, as if killed,
 * right after its `stopAfter`-th checkpoint is durable. Returns its state and metrics.
 */
async function runUntilCheckpoint(checkpointDir: string, stopAfter: number, restore: boolean): Promise<{ state: string; metrics: MetricQueryResults }> {
  const p = new Pipeline({
    checkpointDir,
    checkpointInterval: 10,
    stopAfterCheckpoint: stopAfter,
    ...(restore ? { restoreFrom: "latest" } : {}),
  });
  p.apply(generateSequence({ to: 1_000_000, rate: { elements: 10_000, period: 1000 } }))
    .apply(map((n: number) => n * 2))
    .apply(parDo<number, never>({ process() {} }));
  const result = p.run();
  const state = await result.waitUntilFinish();
  return { state, metrics: result.metrics().queryMetrics({ namespace: EMBEDDED_NAMESPACE }) };
}

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "beam-ts-checkpoint-metrics-"));
  dirs.push(d);
  return d;
}

describe("what checkpoints cost, as job metrics", () => {
  it("records one pause of the executor for every checkpoint it took", async () => {
    const { state, metrics } = await runUntilCheckpoint(tempDir(), 3, false);
    expect(state).toBe("CANCELLED");
    const pauses = metrics.distributions.filter((d) => d.name === "checkpointPauseMillis");
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.step).toBe("");
    expect(pauses[0]!.committed.count).toBe(3);
    expect(pauses[0]!.committed.min).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(pauses[0]!.committed.max)).toBe(true);
  }, 30_000);

  it("records the time spent restoring only when the job starts from a checkpoint", async () => {
    const dir = tempDir();
    const fresh = await runUntilCheckpoint(dir, 1, false);
    expect(fresh.metrics.gauges.filter((g) => g.name === "restoreMillis")).toEqual([]);
    const restored = await runUntilCheckpoint(dir, 1, true);
    expect(restored.state).toBe("CANCELLED");
    const gauges = restored.metrics.gauges.filter((g) => g.name === "restoreMillis");
    expect(gauges).toHaveLength(1);
    expect(gauges[0]!.committed.value).toBeGreaterThanOrEqual(0);
  }, 30_000);
});
