/**
 * Failure injection for the checkpoint tests (test/checkpoint/failure-injection.test.ts):
 * with `BEAM_TS_TEST_CRASH=<point>:<n>` in the environment, the process kills itself with
 * SIGKILL the n-th time it reaches `point` (counted per thread): "snapshot" (an executor took
 * its part of a checkpoint, nothing written yet), "write" (the checkpoint file is written
 * and synced, not yet renamed into place), "commit" (a held finalization, such as a
 * two-phase sink's commit, is about to run). Unset, this is one comparison.
 */
const spec = process.env["BEAM_TS_TEST_CRASH"];
const [point, nth] = spec === undefined ? [undefined, 0] : [spec.split(":")[0], Number(spec.split(":")[1] ?? 1)];
let reached = 0;

export function crashPoint(name: "snapshot" | "write" | "commit"): void {
  if (point !== name) return;
  if (++reached === nth) process.kill(process.pid, "SIGKILL");
}
