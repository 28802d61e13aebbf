import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { Pipeline, map, type BadRecord, type PCollection } from "../../src/index.js";
import { INVALID_UTF8_LINES_METRIC, readJsonLines, readText } from "../../src/io/text/index.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-utf8-"));
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

/** "a\n" + "caf\xE9\n" (Latin-1 é: invalid UTF-8 at byte 5) + "ok\n" */
const LATIN1 = Buffer.concat([Buffer.from("a\ncaf"), Buffer.from([0xe9]), Buffer.from("\nok\n")]);

/** Many valid lines (several byte ranges), then one bad line. */
function bigWithBadLine(): { bytes: Buffer; badAt: number; badLine: number } {
  const head = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `línea ${i}`).join("\n") + "\n", "utf8");
  const bad = Buffer.concat([Buffer.from("x"), Buffer.from([0xff]), Buffer.from("y\nlast\n")]);
  return { bytes: Buffer.concat([head, bad]), badAt: head.length + 1, badLine: 30_001 };
}

describe("readText with invalid UTF-8", () => {
  it("fails by default naming the file, the byte offset, the line and the option", async () => {
    const file = path.join(dir, "latin1.txt");
    await writeFile(file, LATIN1);
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readText(file));
    const failure = p.run().waitUntilFinish();
    await expect(failure).rejects.toThrow(/invalid UTF-8 at byte 5, line 2 of ".*latin1\.txt" \(bytes 0xE9\)/);
    await expect(failure).rejects.toThrow(/"caf\uFFFD".*invalidUtf8: "replace".*invalidUtf8: "deadLetter"/s);
    await expect(failure).rejects.toThrow(/ReadText\/ReadLines/);
  });

  it("numbers the bad line of a file read as several byte ranges, and of a gzipped file", async () => {
    const { bytes, badAt, badLine } = bigWithBadLine();
    await writeFile(path.join(dir, "big.txt"), bytes);
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readText(path.join(dir, "big.txt")));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(new RegExp(`at byte ${badAt}, line ${badLine} of `));

    await writeFile(path.join(dir, "big.txt.gz"), gzipSync(bytes));
    const q = new Pipeline({ runner: "embedded" });
    q.apply(readText(path.join(dir, "big.txt.gz")));
    await expect(q.run().waitUntilFinish()).rejects.toThrow(
      new RegExp(`at byte ${badAt} of the decompressed stream, line ${badLine} of `),
    );
  });

  it('reads bad bytes as U+FFFD with "replace" and counts the lines in a metric', async () => {
    await writeFile(path.join(dir, "a.txt"), LATIN1);
    await writeFile(path.join(dir, "b.txt.gz"), gzipSync(Buffer.concat([LATIN1, Buffer.from([0xc3, 0x0a, 0xef, 0xbf, 0xbd])])));
    const out: string[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(p.apply(readText(`${dir}/*`, { invalidUtf8: "replace" })), out);
    const result = p.run();
    await result.waitUntilFinish();
    // A real U+FFFD (EF BF BD, the last line) is valid UTF-8 and not counted.
    expect(out.sort()).toEqual(["a", "a", "caf\uFFFD", "caf\uFFFD", "ok", "ok", "\uFFFD", "\uFFFD"].sort());
    const counters = result.metrics().queryMetrics(INVALID_UTF8_LINES_METRIC).counters;
    expect(counters.map((c) => [c.step, c.committed])).toEqual([["ReadText/ReadLines", 3]]);
  });

  it('sends bad lines to failures as BadRecords with "deadLetter", and reads the rest', async () => {
    const file = path.join(dir, "latin1.txt");
    await writeFile(file, LATIN1);
    const out: string[] = [];
    const failures: BadRecord[] = [];
    const p = new Pipeline({ runner: "embedded" });
    const read = p.apply("Read", readText(file, { invalidUtf8: "deadLetter" }));
    expectTypeOf(read.output).toEqualTypeOf<PCollection<string>>();
    expectTypeOf(read.failures).toEqualTypeOf<PCollection<BadRecord>>();
    collect(read.output, out);
    collect(read.failures, failures, "CollectFailures");
    await p.run().waitUntilFinish();
    expect(out.sort()).toEqual(["a", "ok"]);
    expect(failures).toHaveLength(1);
    const [bad] = failures;
    expect(bad).toMatchObject({
      step: "Read/ReadLines",
      element: { preview: '"caf\uFFFD"', coder: "beam:coder:bytes:v1" },
      error: { type: "TextIOError", stack: "" },
      window: "GlobalWindow",
      attempt: 1,
    });
    expect(Buffer.from(bad!.element.encoded!)).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(bad!.error.message).toMatch(/^Invalid UTF-8 at byte 5 of ".*latin1\.txt" \(bytes 0xE9\)$/);
    expect(bad!.error.description).toMatch(/line starting at byte 2 of ".*latin1\.txt"/);
    expect(typeof bad!.failedAt).toBe("number");
  });

  it("rejects an unknown treatment when the pipeline is built", () => {
    expect(() => readText("x", { invalidUtf8: "ignore" as "fail" })).toThrow(/invalidUtf8 must be "fail", "replace" or "deadLetter", got ignore/);
  });
});

describe("readJsonLines with invalid UTF-8", () => {
  const JSONL = Buffer.concat([Buffer.from('{"n":1}\n{"s":"'), Buffer.from([0xe9]), Buffer.from('"}\nnot json\n{"n":2}\n')]);

  it("fails by default, before parsing, naming the line", async () => {
    const file = path.join(dir, "x.jsonl");
    await writeFile(file, JSONL);
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readJsonLines(file, { invalidJson: "deadLetter" }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/readJsonLines: invalid UTF-8 at byte 14, line 2 of /);
  });

  it("sends unparseable and undecodable lines to one failures output", async () => {
    const file = path.join(dir, "x.jsonl");
    await writeFile(file, JSONL);
    const values: unknown[] = [];
    const failures: BadRecord[] = [];
    const p = new Pipeline({ runner: "embedded" });
    const read = p.apply(readJsonLines<{ n: number }>(file, { invalidJson: "deadLetter", invalidUtf8: "deadLetter" }));
    expectTypeOf(read.output).toEqualTypeOf<PCollection<{ n: number }>>();
    collect(read.output, values);
    collect(read.failures, failures, "CollectFailures");
    await p.run().waitUntilFinish();
    expect(values).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
    const summary = failures.map((f) => [f.step, f.error.message.replace(/ of ".*"/, ""), f.error.description?.replace(/ of ".*"/, "")]);
    expect(summary.sort()).toEqual([
      ["ReadJsonLines/ParseLines", expect.stringMatching(/JSON|Unexpected token/), "parsing line 3 as JSON"],
      ["ReadJsonLines/ReadLines", "Invalid UTF-8 at byte 14 (bytes 0xE9 0x22 0x7D)", "decoding the line starting at byte 8 as UTF-8"],
    ]);

    const plain = new Pipeline({ runner: "embedded" }).apply(readJsonLines(file, { invalidUtf8: "deadLetter" }));
    expectTypeOf(plain.output).toEqualTypeOf<PCollection<unknown>>();
    expectTypeOf(plain.failures).toEqualTypeOf<PCollection<BadRecord>>();
  });
});
