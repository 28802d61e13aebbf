import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { writeText } from "../../src/io/text/index.js";
import {
  Pipeline,
  StateSpecs,
  combinePerKey,
  fixedWindows,
  generateSequence,
  kv,
  map,
  parDo,
  statefulParDo,
  sum,
  windowInto,
  type BundleFinalizer,
  type DoFn,
  type KV,
} from "../../src/index.js";

/**
 * The deterministic streaming job the checkpoint tests kill and restore: numbers 0..n-1 at
 * 10 ms of event time each, keyed by n % 3; a stateful running count per key (global
 * window), written by a two-phase sink of its own that writes a pending file per bundle and
 * renames it when the runner finalizes the bundle (after the checkpoint covering it) or a
 * restored job recovers the commit; and a windowed sum per key (1 s windows), written by
 * writeText's windowed (streaming) write, one set of files per window pane.
 */
export function buildCheckpointJob(p: Pipeline, outDir: string, n: number, ratePerSecond: number): void {
  const numbers = p.apply("Numbers", generateSequence({ from: 0, to: n, rate: { elements: ratePerSecond / 10, period: 100 }, timestamp: (x) => x * 10 }));
  const keyed = numbers.apply("Key", map((x: number) => kv(`k${x % 3}`, x)));
  keyed
    .apply(
      "RunningCount",
      statefulParDo({
        state: { count: StateSpecs.value<number>() },
        process(e: KV<string, number>, ctx) {
          const count = (ctx.state.count.read() ?? 0) + 1;
          ctx.state.count.write(count);
          ctx.output(`count ${e.key} ${e.value} ${count}`);
        },
      }),
    )
    .apply("WriteCounts", parDo(twoPhaseFileSink(outDir, "counts")));
  keyed
    .apply("Windows", windowInto(fixedWindows(1000)))
    .apply("Sum", combinePerKey(sum()))
    .apply(
      "Format",
      parDo<KV<string, number>, string>({
        process(e, ctx) {
          ctx.output(`sum ${e.key} ${(ctx.window as unknown as { start: number }).start} ${e.value}`);
        },
      }),
    )
    .apply("WriteSums", writeText(path.join(outDir, "sums", "part"), { suffix: ".txt", numShards: 2 }));
}

/** The lines the job must write, in sorted order. */
export function expectedLines(n: number): string[] {
  const lines: string[] = [];
  const sums = new Map<string, number>();
  for (let x = 0; x < n; x++) {
    const key = `k${x % 3}`;
    lines.push(`count ${key} ${x} ${Math.floor(x / 3) + 1}`);
    const at = `${key} ${Math.floor((x * 10) / 1000) * 1000}`;
    sums.set(at, (sums.get(at) ?? 0) + x);
  }
  for (const [at, s] of sums) lines.push(`sum ${at} ${s}`);
  return lines.sort();
}

/** Every committed line in `outDir` (pending and temporary files are not output), sorted. */
export function committedLines(outDir: string): string[] {
  const lines: string[] = [];
  const read = (file: string) => {
    for (const line of readFileSync(file, "utf8").split("\n")) if (line !== "") lines.push(line);
  };
  if (!existsSync(outDir)) return lines;
  for (const f of readdirSync(outDir)) if (f.endsWith(".out")) read(path.join(outDir, f));
  const sums = path.join(outDir, "sums");
  if (existsSync(sums)) for (const f of readdirSync(sums)) if (f.startsWith("part-") && f.endsWith(".txt")) read(path.join(sums, f));
  return lines.sort();
}

/**
 * A sink made exactly-once by the runner's two-phase seam: each bundle's lines go to a
 * pending file (durable, invisible), committed by renaming it after the bundle's checkpoint;
 * the rename is idempotent, so a recovered commit that already happened does nothing.
 */
function twoPhaseFileSink(outDir: string, name: string): DoFn<string, never> & { lines?: string[]; finalizer?: BundleFinalizer } {
  const commit = (id: string) => {
    const pending = path.join(outDir, `${id}.pending`);
    if (existsSync(pending)) renameSync(pending, path.join(outDir, `${id}.out`));
  };
  return {
    startBundle(ctx) {
      this.lines = [];
      this.finalizer = ctx.bundleFinalizer;
    },
    process(line) {
      this.lines!.push(line);
    },
    finishBundle() {
      if (this.lines!.length === 0) return;
      mkdirSync(outDir, { recursive: true });
      const id = `${name}-${randomUUID()}`;
      writeFileSync(path.join(outDir, `${id}.pending`), this.lines!.join("\n") + "\n");
      this.finalizer!.afterBundleCommit(Date.now() + 3_600_000, () => commit(id), Buffer.from(id));
    },
    recoverCommit(recovery) {
      commit(Buffer.from(recovery).toString());
    },
  };
}
