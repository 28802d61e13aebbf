import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConstructionError,
  Pipeline,
  TestStream,
  Triggers,
  fixedWindows,
  map,
  schema,
  t,
  windowInto,
  type PCollection,
} from "../../src/index.js";
import { readAvro, writeAvro } from "../../src/io/avro/index.js";
import { writeJsonLines, writeText } from "../../src/io/text/index.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-streaming-write-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MINUTE = 60_000;
const iso = (t: number) => new Date(t).toISOString();

/** Collects a PCollection's elements (the embedded runner runs in-process). */
function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

/** The lines of every file in `dir` whose name starts with `base`, by file name. */
async function filesOf(base: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const name of (await readdir(dir)).sort()) {
    if (!name.startsWith(base)) continue;
    const text = await readFile(path.join(dir, name), "utf8");
    out.set(name, text.length === 0 ? [] : text.replace(/\n$/, "").split("\n"));
  }
  return out;
}

/** A TestStream of `{ value, timestamp }` lines in bundles of `bundle`, the watermark after each bundle. */
function script(lines: readonly { value: string; timestamp: number }[], bundle: number) {
  let s = TestStream.create<string>();
  for (let i = 0; i < lines.length; i += bundle) {
    const chunk = lines.slice(i, i + bundle);
    s = s.addElements(...chunk).advanceWatermarkTo(Math.min(...lines.slice(i + bundle).map((l) => l.timestamp), Infinity) - 1);
  }
  return s.advanceWatermarkToInfinity();
}

describe("writeText of an unbounded input", () => {
  it("writes each window's pane as its own files, named as Beam's defaultNaming, with the window's lines", async () => {
    const lines = [
      { value: "a", timestamp: 1_000 },
      { value: "b", timestamp: 2_000 },
      { value: "c", timestamp: MINUTE + 5 },
      { value: "d", timestamp: 2 * MINUTE + 1 },
      { value: "e", timestamp: 2 * MINUTE + 2 },
    ];
    const names: string[] = [];
    const p = new Pipeline({ runner: "embedded" });
    const written = p
      .apply(script(lines, 2))
      .apply(windowInto(fixedWindows(MINUTE)))
      .apply(writeText(path.join(dir, "out"), { suffix: ".txt", numShards: 2 }));
    collect(written, names);
    await p.run().waitUntilFinish();

    const files = await filesOf("out-");
    // One set of files per window; a shard without lines in a pane has no file.
    const byWindow = new Map<number, string[]>();
    for (const [name, content] of files) {
      const m = /^out-(.+Z)-(.+Z)-(\d{5})-of-00002\.txt$/.exec(name);
      expect(m, name).not.toBeNull();
      const start = Date.parse(m![1]!);
      expect(Date.parse(m![2]!)).toBe(start + MINUTE);
      byWindow.set(start, [...(byWindow.get(start) ?? []), ...content]);
    }
    expect([...byWindow.keys()].sort((a, b) => a - b)).toEqual([0, MINUTE, 2 * MINUTE]);
    for (const [start, content] of byWindow) {
      const expected = lines.filter((l) => l.timestamp >= start && l.timestamp < start + MINUTE).map((l) => l.value);
      expect(content.sort()).toEqual(expected.sort());
    }
    expect(names.map((n) => path.basename(n)).sort()).toEqual([...files.keys()]);
    expect(files.has(`out-${iso(0)}-${iso(MINUTE)}-00000-of-00002.txt`) || files.has(`out-${iso(0)}-${iso(MINUTE)}-00001-of-00002.txt`)).toBe(true);
    // Nothing is left behind: no temporary directory, no success marker.
    expect((await readdir(dir)).filter((n) => !n.startsWith("out-"))).toEqual([]);
  });

  it("writes the same lines as a bounded write would, window by window, for any script", async () => {
    const arbLines = fc.array(
      fc.record({ value: fc.string({ unit: fc.constantFrom("a", "b", "z", " ", "é"), maxLength: 4 }), timestamp: fc.integer({ min: 0, max: 5 * MINUTE }) }),
      { maxLength: 25 },
    );
    await fc.assert(
      fc.asyncProperty(arbLines, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), async (raw, bundle, numShards) => {
        const lines = [...raw].sort((a, b) => a.timestamp - b.timestamp);
        const out = await mkdtemp(path.join(dir, "case-"));
        const p = new Pipeline({ runner: "embedded" });
        p.apply(script(lines, bundle))
          .apply(windowInto(fixedWindows(MINUTE)))
          .apply(writeText(path.join(out, "w"), { numShards }));
        await p.run().waitUntilFinish();
        const got = new Map<number, string[]>();
        for (const name of await readdir(out)) {
          const m = /^w-(.+Z)-.+Z-\d{5}-of-\d{5}$/.exec(name);
          expect(m, name).not.toBeNull();
          const text = await readFile(path.join(out, name), "utf8");
          const start = Date.parse(m![1]!);
          got.set(start, [...(got.get(start) ?? []), ...text.replace(/\n$/, "").split("\n")]);
        }
        const want = new Map<number, string[]>();
        for (const l of lines) {
          const start = Math.floor(l.timestamp / MINUTE) * MINUTE;
          want.set(start, [...(want.get(start) ?? []), l.value]);
        }
        expect(new Map([...got].map(([k, v]) => [k, v.sort()]))).toEqual(new Map([...want].map(([k, v]) => [k, v.sort()])));
      }),
      { numRuns: 12 },
    );
  });

  it("names each firing of a window by its pane index when a trigger fires more than once", async () => {
    const p = new Pipeline({ runner: "embedded" });
    p.apply(
      TestStream.create<string>()
        .addElements({ value: "early", timestamp: 1_000 })
        .addElements({ value: "more", timestamp: 2_000 })
        .advanceWatermarkTo(MINUTE + 1)
        .advanceWatermarkToInfinity(),
    )
      .apply(windowInto(fixedWindows(MINUTE), { trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }), accumulationMode: "DISCARDING" }))
      .apply(writeText(path.join(dir, "panes"), { numShards: 1 }));
    await p.run().waitUntilFinish();
    const files = await filesOf("panes-");
    const window = `panes-${iso(0)}-${iso(MINUTE)}`;
    expect([...files.keys()].every((n) => new RegExp(`^${window.replace(/[.]/g, "\\.")}-\\d+-00000-of-00001$`).test(n))).toBe(true);
    expect([...files.values()].flat().sort()).toEqual(["early", "more"]);
    expect(files.size).toBeGreaterThanOrEqual(2);
  });

  it("writes JSON Lines of an unbounded input the same way", async () => {
    const p = new Pipeline({ runner: "embedded" });
    p.apply(
      TestStream.create<string>()
        .addElements({ value: "x", timestamp: 10 }, { value: "y", timestamp: MINUTE + 10 })
        .advanceWatermarkToInfinity(),
    )
      .apply(windowInto(fixedWindows(MINUTE)))
      .apply(map((s: string) => ({ s })))
      .apply(writeJsonLines(path.join(dir, "j"), { suffix: ".jsonl", numShards: 1 }));
    await p.run().waitUntilFinish();
    const files = await filesOf("j-");
    expect(Object.fromEntries(files)).toEqual({
      [`j-${iso(0)}-${iso(MINUTE)}-00000-of-00001.jsonl`]: ['{"s":"x"}'],
      [`j-${iso(MINUTE)}-${iso(2 * MINUTE)}-00000-of-00001.jsonl`]: ['{"s":"y"}'],
    });
  });

  it("writes Avro of an unbounded input per window too, readable by readAvro", async () => {
    const Reading = schema({ id: t.int64(), v: t.string() }, { name: "Reading" });
    const p = new Pipeline({ runner: "embedded" });
    p.apply(
      TestStream.create<number>()
        .addElements({ value: 1, timestamp: 10 }, { value: 2, timestamp: 20 }, { value: 3, timestamp: MINUTE + 10 })
        .advanceWatermarkToInfinity(),
    )
      .apply(windowInto(fixedWindows(MINUTE)))
      .apply(map((n: number) => ({ id: BigInt(n), v: `r${n}` })))
      .withSchema(Reading)
      .apply(writeAvro(path.join(dir, "r"), { schema: Reading, numShards: 1 }));
    await p.run().waitUntilFinish();
    expect((await readdir(dir)).sort()).toEqual([`r-${iso(0)}-${iso(MINUTE)}-00000-of-00001.avro`, `r-${iso(MINUTE)}-${iso(2 * MINUTE)}-00000-of-00001.avro`]);
    const read: unknown[] = [];
    const q = new Pipeline({ runner: "embedded" });
    collect(q.apply(readAvro(path.join(dir, `r-${iso(0)}*.avro`))), read);
    await q.run().waitUntilFinish();
    expect(read).toEqual(expect.arrayContaining([{ id: 1n, v: "r1" }, { id: 2n, v: "r2" }]));
    expect(read).toHaveLength(2);
  });

  it("refuses an unbounded input without numShards, naming the fix", () => {
    const p = new Pipeline({ runner: "embedded" });
    const input = p.apply(TestStream.create<string>().addElements("a").advanceWatermarkToInfinity()).apply(windowInto(fixedWindows(MINUTE)));
    expect(() => input.apply(writeText(path.join(dir, "x")))).toThrow(ConstructionError);
    expect(() => input.apply("Again", writeText(path.join(dir, "x")))).toThrow(/unbounded .* needs a fixed number of files .*numShards/s);
  });
});
