/**
 * Checkpoints of a large keyed state, and restoring from one (bench/checkpoints.ts).
 *
 * The job: an unbounded, unthrottled sequence, each number n written to the value state of
 * key n mod `keys` by a stateful DoFn. The first `keys` numbers create the keys; later ones
 * overwrite them, so the state stays at `keys` keys while the job keeps running, as a live
 * job does. It checkpoints every `intervalMillis`; each checkpoint's pause (the executor
 * stopped for its snapshot), size and duration are read from the job's metrics as they
 * appear. Once a checkpoint whose snapshot came after the last key was created is durable,
 * the job is cancelled (as if it had crashed), and a second job restores from that
 * checkpoint (`restoreFrom: "latest"`): time to its first element, and a check that the
 * state it resumed with is the one the first job left (each key's value is the number
 * `keys` before the one that now overwrites it).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  Pipeline,
  StateSpecs,
  combinePerKey,
  fixedWindows,
  generateSequence,
  kv,
  map,
  statefulParDo,
  sum,
  varIntCoder,
  windowInto,
  type KV,
  type MetricQueryResults,
  type PipelineResult,
} from "../src/index.js";

/** One checkpoint of the filling job. */
export interface StateCheckpoint {
  /** Keys in the state at the snapshot: between these bounds (processed count before and after). */
  readonly keysAtLeast: number;
  readonly keysAtMost: number;
  readonly bytes: number;
  /** From the coordinator's request to the file being durable (CheckpointStats.millis). */
  readonly millis: number;
  /** How long the executor stopped for the snapshot (checkpointPauseMillis). */
  readonly pauseMillis: number;
}

export interface StateBenchResult {
  readonly keys: number;
  readonly intervalMillis: number;
  /** Every checkpoint of the filling job, in order; the last one holds all keys. */
  readonly checkpoints: readonly StateCheckpoint[];
  /** Size of the checkpoint file restored from, as on disk. */
  readonly fileBytes: number;
  /** Elements per second while filling the state, checkpoint pauses included. */
  readonly fillElementsPerSec: number;
  /** A fresh job: from run() to its first element in the stateful DoFn. */
  readonly freshFirstElementMillis: number;
  /** The restored job: from run() to its first element in the stateful DoFn. */
  readonly restoredFirstElementMillis: number;
  /** Time the restored executor spent in restore (restoreMillis). */
  readonly restoreMillis: number;
  /** Where the source resumed: the first number the restored job read. */
  readonly resumedAt: number;
  /** Elements the restored job checked against the state it restored, and how many disagreed. */
  readonly checked: number;
  readonly mismatches: number;
}

const NS = "beam-ts:embedded";
const POLL_MS = 20;

type Specs = { last: ReturnType<typeof StateSpecs.value<number>> };

/** The job; `onElement` sees each number and the value its key held before it. */
function buildJob(p: Pipeline, keys: number, onElement: (n: number, previous: number | undefined) => void): void {
  p.apply(generateSequence({ rate: { elements: 1e9, period: 1000 } }))
    .apply(map((n: number) => kv(n % keys, n)))
    .apply(
      statefulParDo<number, number, never, Specs>({
        state: { last: StateSpecs.value<number>(varIntCoder) },
        process(e: KV<number, number>, ctx) {
          onElement(e.value, ctx.state.last.read());
          ctx.state.last.write(e.value);
        },
      }),
    );
}

function distribution(m: MetricQueryResults, name: string): { count: number; sum: number } {
  const d = m.distributions.find((x) => x.namespace === NS && x.name === name && x.step === "");
  return d === undefined ? { count: 0, sum: 0 } : { count: d.committed.count, sum: d.committed.sum };
}

function counter(m: MetricQueryResults, name: string): number {
  return m.counters.find((x) => x.namespace === NS && x.name === name && x.step === "")?.committed ?? 0;
}

function gauge(m: MetricQueryResults, name: string): number | undefined {
  return m.gauges.find((x) => x.namespace === NS && x.name === name && x.step === "")?.committed.value;
}

/** Resolves once `done()` holds, checking every POLL_MS (the executor yields to the event loop between passes). */
async function until(done: () => boolean, timeoutMillis: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMillis;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`bench:checkpoints: gave up after ${timeoutMillis / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The same sequence counted per key by `combinePerKey(sum())` in one-day windows, which stay
 * open for the whole run: the Combine's table holds `keys` accumulators.
 */
function buildCombineJob(p: Pipeline, keys: number, onElement: () => void): void {
  p.apply(generateSequence({ rate: { elements: 1e9, period: 1000 } }))
    .apply(windowInto(fixedWindows(86_400_000)))
    .apply(
      map((n: number) => {
        onElement();
        return kv(n % keys, 1);
      }),
    )
    .apply(combinePerKey(sum()));
}

/** The checkpoints of a combinePerKey holding `keys` keys (no restore: see runStateBench for that). */
export async function runCombineBench(keys: number, intervalMillis: number, timeoutMillis = 120_000): Promise<Pick<StateBenchResult, "keys" | "intervalMillis" | "checkpoints" | "fillElementsPerSec">> {
  const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-bench-checkpoints-"));
  try {
    const filled = await fill(dir, keys, intervalMillis, timeoutMillis, "combine");
    return { keys, intervalMillis, checkpoints: filled.checkpoints, fillElementsPerSec: filled.fillElementsPerSec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills `keys` keys, checkpointing every `intervalMillis`, until a checkpoint holding all of them is durable. */
async function fill(dir: string, keys: number, intervalMillis: number, timeoutMillis: number, job: "state" | "combine" = "state") {
  let processed = 0;
  let firstAt: number | undefined;
  const p = new Pipeline({ checkpointDir: dir, checkpointInterval: intervalMillis, checkpointsRetained: 1 });
  const onElement = () => {
    firstAt ??= performance.now();
    processed++;
  };
  if (job === "state") buildJob(p, keys, onElement);
  else buildCombineJob(p, keys, onElement);
  const started = performance.now();
  const result = p.run();
  const checkpoints: StateCheckpoint[] = [];
  const pauses: { keysAtLeast: number; keysAtMost: number; millis: number }[] = [];
  let seen = { count: 0, sum: 0 };
  let processedBefore = 0;
  // A pause seen at a poll happened after the previous poll: the keys then are a lower bound.
  const poll = () => {
    const m = result.metrics().queryMetrics();
    const d = distribution(m, "checkpointPauseMillis");
    if (d.count > seen.count) {
      // One checkpoint at a time: a poll sees at most one new snapshot unless a pause outlasted POLL_MS twice.
      const millis = (d.sum - seen.sum) / (d.count - seen.count);
      for (let i = seen.count; i < d.count; i++) pauses.push({ keysAtLeast: Math.min(processedBefore, keys), keysAtMost: Math.min(processed, keys), millis });
      seen = d;
    }
    while (checkpoints.length < counter(m, "checkpoints") && checkpoints.length < pauses.length) {
      const pause = pauses[checkpoints.length]!;
      checkpoints.push({ ...pause, pauseMillis: pause.millis, bytes: gauge(m, "lastCheckpointBytes") ?? NaN, millis: gauge(m, "lastCheckpointMillis") ?? NaN });
    }
    processedBefore = processed;
    return checkpoints.length > 0 && checkpoints.at(-1)!.keysAtLeast >= keys;
  };
  try {
    await until(poll, timeoutMillis, `a checkpoint of ${keys} keys (${processed} elements so far)`);
  } finally {
    await result.cancel();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    checkpoints: checkpoints.map(({ keysAtLeast, keysAtMost, bytes, millis, pauseMillis }) => ({ keysAtLeast, keysAtMost, bytes, millis, pauseMillis })),
    fillElementsPerSec: processed / seconds,
    freshFirstElementMillis: (firstAt ?? NaN) - started,
  };
}

/** Restores from the newest checkpoint in `dir`, runs until `check` elements were checked, and cancels. */
async function restore(dir: string, keys: number, check: number, timeoutMillis: number) {
  let firstAt: number | undefined;
  let resumedAt = -1;
  let checked = 0;
  let mismatches = 0;
  // No checkpoint during this run: the one restored from stays the newest.
  const p = new Pipeline({ checkpointDir: dir, checkpointInterval: "1h", restoreFrom: "latest" });
  buildJob(p, keys, (n, previous) => {
    if (firstAt === undefined) {
      firstAt = performance.now();
      resumedAt = n;
    }
    checked++;
    if (n >= keys && previous !== n - keys) mismatches++;
  });
  const started = performance.now();
  const job: PipelineResult = p.run();
  try {
    await until(() => checked >= check, timeoutMillis, `${check} elements after the restore`);
  } finally {
    await job.cancel();
  }
  return {
    restoredFirstElementMillis: (firstAt ?? NaN) - started,
    restoreMillis: gauge(job.metrics().queryMetrics(), "restoreMillis") ?? NaN,
    resumedAt,
    checked,
    mismatches,
  };
}

/** Measures checkpoints of `keys` keys of value state and the restore from one. */
export async function runStateBench(keys: number, intervalMillis: number, timeoutMillis = 120_000): Promise<StateBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-bench-checkpoints-"));
  try {
    const filled = await fill(dir, keys, intervalMillis, timeoutMillis);
    const files = readdirSync(dir).filter((f) => f.startsWith("chk-"));
    const newest = files.sort().at(-1);
    if (newest === undefined) throw new Error(`bench:checkpoints: no checkpoint in ${dir}`);
    const fileBytes = statSync(path.join(dir, newest)).size;
    const restored = await restore(dir, keys, Math.min(keys, 50_000), timeoutMillis);
    return { keys, intervalMillis, ...filled, fileBytes, ...restored };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
