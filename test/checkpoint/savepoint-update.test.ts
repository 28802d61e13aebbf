import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Pipeline,
  StateSpecs,
  decodeCheckpoint,
  fixedWindows,
  generateSequence,
  kv,
  map,
  parDo,
  statefulParDo,
  windowInto,
  kvCoder,
  stringUtf8Coder,
  varIntCoder,
  type Coder,
  type KV,
  type PCollection,
} from "../../src/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "beam-ts-savepoint-"));
  dirs.push(d);
  return d;
}

interface Variant {
  /** The stateful step's name. */
  readonly countName?: string;
  /** Keys as numbers instead of strings (another key coder). */
  readonly numericKeys?: boolean;
  /** Windows the stateful step's input. */
  readonly windowed?: boolean;
  /** Leaves the stateful step out. */
  readonly withoutCount?: boolean;
  /** Adds a step after the stateful one. */
  readonly addedStep?: boolean;
  /** The stateful step also declares a `seen` bag (a state cell the savepoint lacks). */
  readonly addedCell?: boolean;
  /** The stateful step declares only a `seen` bag: its `count` cell is removed. */
  readonly removedCell?: boolean;
}

/** numbers 0..n-1 → keyed by n % 2 → a running count per key (value state) → recorded lines. */
function build(p: Pipeline, n: number, seen: string[], v: Variant = {}): void {
  const keyCoder = (v.numericKeys === true ? varIntCoder : stringUtf8Coder) as Coder<unknown>;
  let keyed: PCollection<KV<unknown, number>> = p
    .apply("Numbers", generateSequence({ from: 0, to: n, rate: { elements: 50, period: 10 }, timestamp: (x) => x }))
    .apply("Key", map((x: number): KV<unknown, number> => kv(v.numericKeys === true ? x % 2 : `k${x % 2}`, x)))
    .withCoder(kvCoder(keyCoder, varIntCoder));
  if (v.windowed === true) keyed = keyed.apply("Windows", windowInto(fixedWindows(1000)));
  if (v.withoutCount === true) {
    keyed.apply("Record", parDo<KV<unknown, number>, never>({ process: (e) => void seen.push(`raw ${String(e.key)} ${e.value}`) }));
    return;
  }
  if (v.addedCell === true || v.removedCell === true) {
    keyed
      .apply(
        "Count",
        statefulParDo({
          state: v.removedCell === true ? { seen: StateSpecs.bag<number>(varIntCoder) } : { count: StateSpecs.value<number>(), seen: StateSpecs.bag<number>(varIntCoder) },
          process(e: KV<unknown, number>, ctx) {
            const state = ctx.state as { count?: { read(): number | undefined; write(n: number): void }; seen: { add(x: number): void; read(): Iterable<number> } };
            const count = (state.count?.read() ?? 0) + 1;
            state.count?.write(count);
            const seenBefore = [...state.seen.read()].length;
            state.seen.add(e.value);
            ctx.output(`${String(e.key)} ${e.value} ${count} ${seenBefore}`);
          },
        }),
      )
      .apply("Record", parDo<string, never>({ process: (s) => void seen.push(s) }));
    return;
  }
  let counts = keyed.apply(
    v.countName ?? "Count",
    statefulParDo({
      state: { count: StateSpecs.value<number>() },
      process(e: KV<unknown, number>, ctx) {
        const count = (ctx.state.count.read() ?? 0) + 1;
        ctx.state.count.write(count);
        ctx.output(`${String(e.key)} ${e.value} ${count}`);
      },
    }),
  );
  if (v.addedStep === true) counts = counts.apply("Added", map((s: string) => `added ${s}`));
  counts.apply("Record", parDo<string, never>({ process: (s) => void seen.push(s) }));
}

/** The numbers every job here reads (a restored source goes on with the saved restriction, so all agree). */
const N = 2000;

/** Runs until `n` numbers are in, takes a savepoint, cancels; returns the savepoint's path. */
async function savepointOf(dir: string, n: number): Promise<string> {
  const seen: string[] = [];
  const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, checkpointInterval: 60_000 });
  build(p, N, seen);
  const result = p.run();
  while (seen.length < n) await new Promise((r) => setTimeout(r, 5));
  const location = await result.savepoint!();
  await result.cancel();
  return location;
}

async function restore(location: string, v: Variant, options: Record<string, unknown> = {}): Promise<string[]> {
  const seen: string[] = [];
  const p = new Pipeline({ enforceImmutability: false, checkpointDir: path.dirname(location), restoreFrom: location, checkpointInterval: 60_000, ...options });
  build(p, N, seen, v);
  expect(await p.run().waitUntilFinish()).toBe("DONE");
  return seen;
}

describe("savepoints and pipeline updates", () => {
  it("a savepoint is kept apart from checkpoints, and a pipeline with an added step restores from it: state continues", async () => {
    const dir = tempDir();
    const location = await savepointOf(dir, 200);
    expect(path.basename(location)).toMatch(/^svp-\d{6}\.beamckpt$/);
    const header = decodeCheckpoint(readFileSync(location), location).header;
    expect(header.kind).toBe("savepoint");
    const seen = await restore(location, { addedStep: true });
    // Every line after the restore went through the added step, and the counts went on from
    // the savepoint's state: number x is the (x/2 + 1)-th of its key, whatever came before.
    expect(seen.length).toBeGreaterThan(0);
    for (const line of seen) {
      const [, key, x, count] = line.split(" ");
      expect(key).toBe(`k${Number(x) % 2}`);
      expect(Number(count)).toBe(Math.floor(Number(x) / 2) + 1);
    }
    expect(Math.min(...seen.map((l) => Number(l.split(" ")[2])))).toBeGreaterThan(0);
  }, 30_000);

  it("a renamed stateful step is refused, naming it and the fix, and restores with --renameSteps", async () => {
    const location = await savepointOf(tempDir(), 100);
    await expect(restore(location, { countName: "Counter" })).rejects.toThrow(/step "Count" holds state in the checkpoint and is not in this pipeline.*--renameSteps="Count=<new name>"/s);
    const seen = await restore(location, { countName: "Counter" }, { renameSteps: "Count=Counter" });
    for (const line of seen) expect(Number(line.split(" ")[2])).toBe(Math.floor(Number(line.split(" ")[1]) / 2) + 1);
  }, 30_000);

  it("a changed key coder or a changed windowing of a stateful step is refused before the job starts", async () => {
    const location = await savepointOf(tempDir(), 100);
    await expect(restore(location, { numericKeys: true })).rejects.toThrow(/step "Count" changed incompatibly: the checkpoint has statefulParDo\(key .*\), this pipeline has statefulParDo\(key .*\)/);
    await expect(restore(location, { windowed: true })).rejects.toThrow(/step "Count" changed incompatibly.*GlobalWindows.*FixedWindows/s);
  }, 30_000);

  it("a removed stateful step is refused unless --allowDroppingState", async () => {
    const location = await savepointOf(tempDir(), 100);
    await expect(restore(location, { withoutCount: true })).rejects.toThrow(/--allowDroppingState/);
    const seen = await restore(location, { withoutCount: true }, { allowDroppingState: true });
    expect(seen.every((l) => l.startsWith("raw "))).toBe(true);
  }, 30_000);

  it("a stateful step that added a state cell restores: its old cells go on, the new one starts empty for every key", async () => {
    const location = await savepointOf(tempDir(), 200);
    const seen = await restore(location, { addedCell: true });
    expect(seen.length).toBeGreaterThan(0);
    const first = new Map<string, number>();
    for (const line of seen) {
      const [key, x, count, seenBefore] = line.split(" ");
      // `count` went on from the savepoint: number x is the (x/2 + 1)-th of its key.
      expect(Number(count)).toBe(Math.floor(Number(x) / 2) + 1);
      // `seen` started empty: it holds exactly the key's numbers since the restore.
      if (!first.has(key!)) first.set(key!, Number(x));
      expect(Number(seenBefore)).toBe((Number(x) - first.get(key!)!) / 2);
    }
    expect([...first.keys()].sort()).toEqual(["k0", "k1"]);
    expect(Math.min(...first.values())).toBeGreaterThan(0);
  }, 30_000);

  it("a removed state cell is refused, naming the step and the cell, and its values are dropped with --allowDroppingState", async () => {
    const location = await savepointOf(tempDir(), 100);
    await expect(restore(location, { removedCell: true })).rejects.toThrow(/step "Count" no longer declares state cell "count" \(value<\?>\), which the checkpoint holds.*--allowDroppingState/s);
    const seen = await restore(location, { removedCell: true }, { allowDroppingState: true });
    expect(seen.length).toBeGreaterThan(0);
    // No count any more (each line's count is 1), and `seen` starts empty, from the restore on.
    for (const line of seen) expect(line.split(" ")[2]).toBe("1");
    expect(seen.filter((l) => l.endsWith(" 0")).map((l) => l.split(" ")[0]).sort()).toEqual(["k0", "k1"]);
  }, 30_000);

  it("a damaged checkpoint is refused, naming the file and what to do", async () => {
    const location = await savepointOf(tempDir(), 100);
    const bytes = readFileSync(location);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(location, bytes);
    await expect(restore(location, {})).rejects.toThrow(/Checkpoint .*svp-\d+\.beamckpt cannot be used: its checksum does not match.*--restoreFrom/s);
  }, 30_000);

  it("--restoreFrom=latest in an empty directory is a first start; a savepoint needs --checkpointDir", async () => {
    const dir = tempDir();
    const seen: string[] = [];
    const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, restoreFrom: "latest", checkpointInterval: 60_000 });
    build(p, 300, seen);
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen).toHaveLength(300);
    expect(readdirSync(dir).filter((f) => f.startsWith("chk-"))).toHaveLength(1);
    const plain = new Pipeline({ enforceImmutability: false });
    build(plain, 100_000, []);
    const result = plain.run();
    await expect(result.savepoint!()).rejects.toThrow(/needs a streaming job with --checkpointDir/);
    await result.cancel();
  }, 30_000);
});
