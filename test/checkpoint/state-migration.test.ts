import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  Pipeline,
  StateSpecs,
  combinePerKey,
  fixedWindows,
  generateSequence,
  groupByKey,
  jsValueCoder,
  kv,
  kvCoder,
  map,
  parDo,
  statefulParDo,
  stringUtf8Coder,
  varIntCoder,
  windowInto,
  type CombineFn,
  type Coder,
  type KV,
} from "../../src/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "beam-ts-migration-"));
  dirs.push(d);
  return d;
}

const N = 2000;
/** Version 2 keeps its count as a row-like object, written with the JS value coder. */
interface CountRow {
  readonly n: number;
  readonly migrated: boolean;
}

/** numbers 0..N-1 keyed by parity → "Count" keeps a running count per key → recorded lines. */
function buildCount(p: Pipeline, seen: string[], version: 1 | 2): void {
  const keyed = p
    .apply("Numbers", generateSequence({ from: 0, to: N, rate: { elements: 50, period: 10 }, timestamp: (x) => x }))
    .apply("Key", map((x: number): KV<string, number> => kv(`k${x % 2}`, x)))
    .withCoder(kvCoder(stringUtf8Coder, varIntCoder));
  const counts =
    version === 1
      ? keyed.apply(
          "Count",
          statefulParDo({
            state: { count: StateSpecs.value<number>(varIntCoder) },
            process(e: KV<string, number>, ctx) {
              const count = (ctx.state.count.read() ?? 0) + 1;
              ctx.state.count.write(count);
              ctx.output(`${e.key} ${e.value} ${count}`);
            },
          }),
        )
      : keyed.apply(
          "Count",
          statefulParDo({
            state: { count: StateSpecs.value<CountRow>(jsValueCoder as Coder<CountRow>) },
            process(e: KV<string, number>, ctx) {
              const count = (ctx.state.count.read()?.n ?? 0) + 1;
              ctx.state.count.write({ n: count, migrated: ctx.state.count.read()?.migrated ?? false });
              ctx.output(`${e.key} ${e.value} ${count}`);
            },
          }),
        );
  counts.apply("Record", parDo<string, never>({ process: (s) => void seen.push(s) }));
}

/** A sum per key whose accumulator is a number (v1, varint) or a { sum } object (v2, JS value coder). */
const sumV1: CombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
  accumulatorCoder: varIntCoder,
  outputCoder: varIntCoder,
};
const sumV2: CombineFn<number, { sum: number }, number> = {
  createAccumulator: () => ({ sum: 0 }),
  addInput: (a, x) => ({ sum: a.sum + x }),
  mergeAccumulators: (accs) => ({ sum: [...accs].reduce((a, b) => a + b.sum, 0) }),
  extractOutput: (a) => a.sum,
  accumulatorCoder: jsValueCoder as Coder<{ sum: number }>,
  outputCoder: varIntCoder,
};

/** Numbers the sum pipeline has keyed so far (it outputs nothing before its window ends). */
let keyedSoFar = 0;

/** numbers 0..N-1 in one 1-hour window, summed per parity: one pane per key when the input ends. */
function buildSum(p: Pipeline, seen: string[], version: 1 | 2): void {
  const keyed = p
    .apply("Numbers", generateSequence({ from: 0, to: N, rate: { elements: 50, period: 10 }, timestamp: (x) => x }))
    .apply(
      "Key",
      map((x: number): KV<string, number> => {
        keyedSoFar++;
        return kv(`k${x % 2}`, x);
      }),
    )
    .withCoder(kvCoder(stringUtf8Coder, varIntCoder))
    .apply("Hour", windowInto(fixedWindows(3_600_000)));
  const sums = version === 1 ? keyed.apply("Sum", combinePerKey(sumV1)) : keyed.apply("Sum", combinePerKey(sumV2));
  sums.apply("Record", parDo<KV<string, number>, never>({ process: (e) => void seen.push(`${e.key} ${e.value}`) }));
}

/** numbers 0..N-1 in one 1-hour window, grouped per parity; v1 groups varints, v2 decimal strings. */
function buildGroup(p: Pipeline, seen: string[], version: 1 | 2): void {
  const numbers = p
    .apply("Numbers", generateSequence({ from: 0, to: N, rate: { elements: 50, period: 10 }, timestamp: (x) => x }))
    .apply("Hour", windowInto(fixedWindows(3_600_000)));
  const keyed =
    version === 1
      ? numbers
          .apply(
            "Key",
            map((x: number): KV<string, unknown> => {
              keyedSoFar++;
              return kv(`k${x % 2}`, x);
            }),
          )
          .withCoder(kvCoder(stringUtf8Coder, varIntCoder as Coder<unknown>))
      : numbers.apply("Key", map((x: number): KV<string, unknown> => kv(`k${x % 2}`, String(x)))).withCoder(kvCoder(stringUtf8Coder, stringUtf8Coder as Coder<unknown>));
  keyed.apply("Group", groupByKey()).apply(
    "Record",
    parDo<KV<string, Iterable<unknown>>, never>({
      process: (e) => {
        const values = [...e.value];
        seen.push(`${e.key} ${values.length} ${values.every((v) => typeof v === "string")} ${values.reduce((a: number, v) => a + Number(v), 0)}`);
      },
    }),
  );
}

type Build = (p: Pipeline, seen: string[], version: 1 | 2) => void;

/** Runs version 1 until `n` lines (or numbers, for the sum) are in, takes a savepoint, cancels. */
async function savepointOf(build: Build, progress: (seen: readonly string[]) => boolean): Promise<string> {
  const seen: string[] = [];
  const p = new Pipeline({ enforceImmutability: false, checkpointDir: tempDir(), checkpointInterval: 60_000 });
  build(p, seen, 1);
  const result = p.run();
  while (!progress(seen)) await new Promise((r) => setTimeout(r, 5));
  const location = await result.savepoint!();
  await result.cancel();
  return location;
}

async function restore(location: string, build: Build, migrate: (p: Pipeline) => void): Promise<string[]> {
  const seen: string[] = [];
  const p = new Pipeline({ enforceImmutability: false, checkpointDir: path.dirname(location), restoreFrom: location, checkpointInterval: 60_000 });
  build(p, seen, 2);
  migrate(p);
  expect(await p.run().waitUntilFinish()).toBe("DONE");
  return seen;
}

describe("state migrations on restore (Pipeline.migrateState)", () => {
  it("a value state whose coder changed from varint to a row-like coder restores through its declared migration, giving the unchanged run's counts", async () => {
    const location = await savepointOf(buildCount, (seen) => seen.length >= 200);
    const seen = await restore(location, buildCount, (p) =>
      p.migrateState("Count", { state: "count", from: varIntCoder, migrate: (n: number): CountRow => ({ n, migrated: true }) }),
    );
    // An unchanged run outputs, for number x, the (x/2 + 1)-th count of its key: so must the migrated one.
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.min(...seen.map((l) => Number(l.split(" ")[1])))).toBeGreaterThan(0);
    for (const line of seen) {
      const [key, x, count] = line.split(" ");
      expect(key).toBe(`k${Number(x) % 2}`);
      expect(Number(count)).toBe(Math.floor(Number(x) / 2) + 1);
    }
    expect(Number(seen.at(-1)!.split(" ")[1])).toBe(N - 1);
  }, 30_000);

  it("a Combine whose accumulator coder changed restores through its declared migration: the sums are the unchanged run's", async () => {
    keyedSoFar = 0;
    const location = await savepointOf(buildSum, () => keyedSoFar >= 200);
    let migrated = 0;
    const seen = await restore(location, buildSum, (p) => p.migrateState("Sum", { from: varIntCoder, migrate: (sum: number) => (migrated++, { sum }) }));
    // Both keys' accumulators were in the savepoint and went through the migration.
    expect(migrated).toBe(2);
    const total = (parity: number) => Array.from({ length: N }, (_, x) => x).filter((x) => x % 2 === parity).reduce((a, b) => a + b, 0);
    expect(seen.sort()).toEqual([`k0 ${total(0)}`, `k1 ${total(1)}`]);
  }, 30_000);

  it("a GroupByKey whose value coder changed restores its buffered values through the declared migration", async () => {
    keyedSoFar = 0;
    const location = await savepointOf(buildGroup, () => keyedSoFar >= 200);
    const seen = await restore(location, buildGroup, (p) => p.migrateState("Group", { from: varIntCoder, migrate: (x: number) => String(x) }));
    const total = (parity: number) => Array.from({ length: N }, (_, x) => x).filter((x) => x % 2 === parity).reduce((a, b) => a + b, 0);
    // Every value is a string (the old ones were migrated) and none is lost or doubled.
    expect(seen.sort()).toEqual([`k0 ${N / 2} true ${total(0)}`, `k1 ${N / 2} true ${total(1)}`]);
  }, 30_000);

  it("an undeclared coder change is refused before the job starts, naming the step, the cell and both coders", async () => {
    const location = await savepointOf(buildCount, (seen) => seen.length >= 100);
    await expect(restore(location, buildCount, () => {})).rejects.toThrow(
      new RegExp(`step "Count" changed the coder of its state cell "count" from ${varIntCoder.toString()} to ${jsValueCoder.toString()} and declares no migration.*migrateState\\("Count"`, "s"),
    );
    await expect(restore(location, buildCount, (p) => p.migrateState("Count", { state: "count", from: stringUtf8Coder, migrate: (s) => s }))).rejects.toThrow(
      /declares the state cell "count"'s old coder as string_utf8, but the checkpoint wrote it with varint/,
    );
    await expect(restore(location, buildCount, (p) => p.migrateState("Cuont", { state: "count", from: varIntCoder, migrate: (n) => n }))).rejects.toThrow(
      /migrateState\("Cuont"\) names no step of this pipeline that keeps keyed state/,
    );
  }, 30_000);

  it("a migration function that throws fails the restore, naming the step, the cell and the value", async () => {
    const location = await savepointOf(buildCount, (seen) => seen.length >= 100);
    const failing = restore(location, buildCount, (p) =>
      p.migrateState("Count", {
        state: "count",
        from: varIntCoder,
        migrate: (n: number): CountRow => {
          if (n > 10) throw new Error(`count ${n} is too large`);
          return { n, migrated: true };
        },
      }),
    );
    await expect(failing).rejects.toThrow(/Migrating the state cell "count" of step "Count" failed for the value \d+: count \d+ is too large/);
  }, 30_000);

  it("at --parallelism 2, every executor migrates its keys' state: each key's counts go on from the savepoint to its last number", async () => {
    const dir = tempDir();
    const fixture = fileURLToPath(new URL("./fixtures/migration-job.ts", import.meta.url));
    const run = (args: string[]) => promisify(execFile)(process.execPath, ["--import", "tsx", fixture, `--checkpointDir=${dir}`, "--n=2000", ...args], { timeout: 60_000 });
    const first = await run(["--version=1", `--out=${path.join(dir, "v1.txt")}`, "--savepointAfter=300"]);
    const location = /SAVEPOINT (\S+)/.exec(first.stdout)![1]!;
    const second = await run(["--version=2", `--out=${path.join(dir, "v2.txt")}`, `--restoreFrom=${location}`]);
    expect(second.stdout).toContain("STATE DONE");
    const byKey = new Map<string, number[]>();
    for (const line of readFileSync(path.join(dir, "v2.txt"), "utf8").trim().split("\n")) {
      const [key, , count] = line.split(" ");
      byKey.set(key!, [...(byKey.get(key!) ?? []), Number(count)]);
    }
    // Each key has 500 numbers: the restored counts start above 1 (the migrated state) and
    // end at 500, each count once.
    expect([...byKey.keys()].sort()).toEqual(["k0", "k1", "k2", "k3"]);
    for (const counts of byKey.values()) {
      expect(Math.max(...counts)).toBe(500);
      expect(Math.min(...counts)).toBeGreaterThan(1);
      expect(new Set(counts).size).toBe(counts.length);
      expect(counts.length).toBe(500 - Math.min(...counts) + 1);
    }
  }, 120_000);
});
