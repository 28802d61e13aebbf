import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Pipeline,
  create,
  map,
  splittableParDo,
  OffsetRange,
  OffsetRangeTracker,
  type PCollection,
  type SplittableDoFn,
} from "../../src/index.js";
import { readJsonLines, readText } from "../../src/io/text/index.js";
import type { BadRecord } from "../../src/index.js";
import { ReadFileLinesFn, type TextFile } from "../../src/io/text/read-file-fn.js";
import { resolveReadOptions } from "../../src/io/text/read-text.js";
import { SDF_RUNNERS } from "../conformance/sdf/sdf-runners.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-text-sdf-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function collect<T>(pc: PCollection<T>, sink: T[], name = "Collect"): void {
  pc.apply(
    name,
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

const TERMINATORS = ["\n", "\r\n", "\r"];

/** `n` lines (some empty, some multi-byte) and the file text, with mixed terminators. */
function makeLines(n: number, tag = "l"): { lines: string[]; text: string } {
  const lines = Array.from({ length: n }, (_, i) => (i % 97 === 5 ? "" : `${tag}${i}:${"é€😀x".repeat(i % 5)}`));
  let prev = "";
  const text = lines
    .map((l, i) => {
      // An empty line after a CR must not start with LF (CR LF would be one terminator).
      const term = l === "" && prev === "\r" ? "\r" : TERMINATORS[i % 3]!;
      prev = term;
      return l + term;
    })
    .join("");
  return { lines, text };
}

const sorted = (xs: readonly string[]) => [...xs].sort();

describe("readText through a splittable DoFn", () => {
  it("reads a 1 MB+ file as several byte ranges, checkpointed, every line exactly once", async () => {
    const { lines, text } = makeLines(60_000);
    const file = path.join(dir, "big.txt");
    await writeFile(file, text);
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(1_000_000);

    const real = new ReadFileLinesFn(resolveReadOptions("test", file), (_f, l) => l.text);
    const initial: OffsetRange[] = [];
    const processed: OffsetRange[] = [];
    const spy: SplittableDoFn<TextFile, string, OffsetRange> = {
      getInitialRestriction: (f) => real.getInitialRestriction(f),
      splitRestriction: (f, r, n) => {
        const pieces = real.splitRestriction(f, r, n);
        initial.push(...pieces);
        return pieces;
      },
      getSize: (f, r) => real.getSize(f, r),
      newTracker: (f, r) => real.newTracker(f, r),
      process: (f, ctx) => {
        processed.push(ctx.tracker.currentRestriction());
        return real.process(f, ctx);
      },
    };
    const out: string[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(p.apply(create<TextFile>([{ path: file, size }])).apply(splittableParDo(spy)), out);
    await p.run().waitUntilFinish();

    expect(initial.length).toBeGreaterThanOrEqual(2);
    expect(processed.length).toBeGreaterThan(initial.length); // residuals of checkpoints ran too
    expect(out.length).toBe(lines.length);
    expect(sorted(out)).toEqual(sorted(lines));
  });

  it("reads a line of 50 MB (whose offset is claimed after the checkpoint budget ran out) once, and the lines around it", async () => {
    const file = path.join(dir, "long-line.txt");
    const long = "x".repeat(50 * 1024 * 1024);
    await writeFile(file, `first\n${long}\nlast\n`);
    const lengths: number[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(p.apply(readText(file)).apply(map((line: string) => line.length)), lengths);
    await p.run().waitUntilFinish();
    expect(lengths.sort((a, b) => a - b)).toEqual([4, 5, long.length]);
  }, 60_000);

  it("fails a splittable DoFn whose checkpoints make no progress, naming it and the restriction", async () => {
    // A tracker whose trySplit(0) hands back the whole restriction: without the guard the
    // runner would process the same restriction for ever.
    const stuck: SplittableDoFn<number, number, OffsetRange> = {
      getInitialRestriction: () => new OffsetRange(0, 1_000_000),
      newTracker: (_e, r) => {
        const tracker = new OffsetRangeTracker(r);
        tracker.trySplit = () => ({ primary: r, residual: r });
        return tracker;
      },
      process: (_e, ctx) => {
        for (let i = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(i); i++);
      },
    };
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
    p.apply(create([1])).apply("Stuck", splittableParDo(stuck));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/Splittable DoFn "Stuck[^"]*" made no progress.*\[0, 1000000\)|Splittable DoFn "Stuck[^"]*" made no progress/s);
  });

  for (const runner of SDF_RUNNERS) {
    it(`reads several files (split, gzip, BOM, header lines) on ${runner.name}`, async () => {
      const big = makeLines(40_000, "big");
      const gz = makeLines(25_000, "gz");
      await writeFile(path.join(dir, "big.txt"), "header\r\n" + big.text);
      await writeFile(path.join(dir, "z.txt.gz"), gzipSync("header\n" + gz.text));
      await writeFile(path.join(dir, "bom.txt"), "\uFEFFheader\nb1\r\n\uFEFFb2");
      await writeFile(path.join(dir, "only-header.txt"), "header\n");
      await writeFile(path.join(dir, "empty.txt"), "");
      const out: string[] = [];
      const p = new Pipeline(runner.options);
      collect(p.apply(readText(`${dir}/*`, { skipHeaderLines: 1 })), out);
      await p.run().waitUntilFinish();
      expect(out.length).toBe(big.lines.length + gz.lines.length + 2);
      expect(sorted(out)).toEqual(sorted([...big.lines, ...gz.lines, "b1", "\uFEFFb2"]));
    });
  }
});

describe("readJsonLines through a splittable DoFn", () => {
  async function bigJsonFile(badAt: number): Promise<{ file: string; good: number[] }> {
    const rows: string[] = [];
    const good: number[] = [];
    for (let i = 1; i <= 50_000; i++) {
      if (i === badAt) rows.push(`{"n": oops ${i}}`);
      else {
        rows.push(JSON.stringify({ n: i, pad: "€".repeat(i % 4) }));
        good.push(i);
      }
    }
    const file = path.join(dir, "big.jsonl");
    await writeFile(file, rows.join(badAt % 2 === 0 ? "\n" : "\r\n") + "\n");
    return { file, good };
  }

  it("numbers a bad line deep in a split file correctly", async () => {
    const { file } = await bigJsonFile(41_234);
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readJsonLines(file));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/line 41234 of ".*big\.jsonl".*oops/s);
  });

  it("routes bad lines to the dead-letter output with their line numbers", async () => {
    const { file, good } = await bigJsonFile(33_333);
    const values: number[] = [];
    const bad: BadRecord[] = [];
    const p = new Pipeline({ runner: "embedded" });
    const { output, failures } = p.apply(readJsonLines<{ n: number }>(file, { invalidJson: "deadLetter" }));
    collect(output.apply(map((v: { n: number }) => v.n)), values);
    collect(failures, bad, "CollectBad");
    await p.run().waitUntilFinish();
    expect(values.sort((a, b) => a - b)).toEqual(good);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.error.description).toBe(`parsing line 33333 of "${file}" as JSON`);
    expect(bad[0]!.element.preview).toBe(JSON.stringify('{"n": oops 33333}'));
  });

  it("numbers bad lines of a gzipped file, counting header lines", async () => {
    const file = path.join(dir, "x.jsonl.gz");
    await writeFile(file, gzipSync('header\n{"a":1}\nbad\n{"a":2}\n'));
    const bad: BadRecord[] = [];
    const values: unknown[] = [];
    const p = new Pipeline({ runner: "embedded" });
    const { output, failures } = p.apply(readJsonLines<unknown>(file, { invalidJson: "deadLetter", skipHeaderLines: 1 }));
    collect(output, values);
    collect(failures, bad, "CollectBad");
    await p.run().waitUntilFinish();
    expect(values).toHaveLength(2);
    expect(bad.map((b) => [b.element.preview, b.error.description])).toEqual([['"bad"', `parsing line 3 of "${file}" as JSON`]]);
  });
});
