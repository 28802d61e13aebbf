/**
 * `npm run bench -- --compare=<file>`: the change of every workload's ratio to hand-written
 * between an earlier run's bench/results.json and this one. Ratios, not elements/s: both
 * sides of a ratio ran in the same process at the same time, so a busy machine moves them
 * less than it moves raw rates.
 */

/** What `npm run bench` writes to bench/results.json (the fields a comparison reads). */
export interface BenchRun {
  readonly commit?: string;
  readonly batch: readonly { workload: string; system: string; ratioToHandWritten: number }[];
  readonly streaming?: { beamEventsPerSec: number; handEventsPerSec: number };
}

/** The ratios of beam-ts to hand-written, per workload (the streaming window count included). */
export function ratios(run: BenchRun): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of run.batch) if (r.system !== "hand-written Node loop") out.set(r.workload, r.ratioToHandWritten);
  if (run.streaming !== undefined) out.set("streaming window count", run.streaming.beamEventsPerSec / run.streaming.handEventsPerSec);
  return out;
}

/** One line per workload: the earlier ratio, this run's, and the change in percent. */
export function compareRuns(before: BenchRun, after: BenchRun): string[] {
  const was = ratios(before);
  const now = ratios(after);
  const lines = [`ratio to hand-written: ${before.commit ?? "earlier run"} → ${after.commit ?? "this run"}`];
  for (const [workload, ratio] of now) {
    const old = was.get(workload);
    const change = old === undefined || old === 0 ? "new" : `${ratio >= old ? "+" : ""}${(((ratio - old) / old) * 100).toFixed(0)}%`;
    lines.push(`${workload.padEnd(30)} ${old === undefined ? "    -" : old.toFixed(3)} → ${ratio.toFixed(3)}  ${change}`);
  }
  for (const workload of was.keys()) if (!now.has(workload)) lines.push(`${workload.padEnd(30)} ${was.get(workload)!.toFixed(3)} → not run`);
  return lines;
}
