import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { parse as parseCsv } from "csv-parse/sync";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConstructionError, Pipeline, create, map, schema, t, type BadRecord, type PCollection, type RowOf } from "../../src/index.js";
import { readCsv, writeCsv } from "../../src/io/csv/index.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-csv-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
  build(p);
  await p.run().waitUntilFinish();
}

function collect<T>(pc: PCollection<T>, sink: T[], name = "Collect"): void {
  pc.apply(
    name,
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

async function put(name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

async function readAll<T>(build: (p: Pipeline) => PCollection<T>): Promise<T[]> {
  const out: T[] = [];
  await run((p) => collect(build(p), out));
  return out;
}

const Trip = schema({ id: t.int64(), fare: t.decimal(), at: t.timestamp(), day: t.date(), ok: t.boolean(), note: t.string().nullable(), n: t.int32().nullable() }, { name: "Trip" });
type Trip = RowOf<typeof Trip>;
const byId = (a: { id: bigint }, b: { id: bigint }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe("readCsv", () => {
  it("reads typed rows of a schema, columns matched by header name, and attaches the schema", async () => {
    const file = await put(
      "trips.csv",
      'n,id,fare,at,day,ok,note\n7,1,12.50,2024-05-01T12:00:00.000Z,2024-05-01,true,""\n,9007199254740993,-0.1,2024-05-01T14:00:00+02:00,1999-12-31,FALSE,\n',
    );
    let coderUrn = "";
    const rows = await readAll((p) => {
      const out: PCollection<Trip> = p.apply(readCsv(file, { schema: Trip })); // typed by the schema
      coderUrn = out.coder.urn;
      return out;
    });
    expect(coderUrn).toBe("beam:coder:row:v1");
    expect(rows.sort(byId)).toEqual([
      { id: 1n, fare: { unscaledValue: 1250n, scale: 2 }, at: Date.UTC(2024, 4, 1, 12), day: 19844, ok: true, note: "", n: 7 },
      { id: 9007199254740993n, fare: { unscaledValue: -1n, scale: 1 }, at: Date.UTC(2024, 4, 1, 12), day: 10956, ok: false, note: null, n: null },
    ]);
  });

  it("keys string records by the header without a schema, and gives arrays with header: false", async () => {
    const file = await put("plain.csv", "skipped line\nname;city\n# a comment\nAda;'Lon;don'\n\nBob;\n");
    const options = { delimiter: ";", quote: "'", comment: "#", skipLines: 1 } as const;
    const keyed: Record<string, string>[] = await readAll((p) => p.apply(readCsv(file, options)));
    expect(keyed.sort((a, b) => a["name"]!.localeCompare(b["name"]!))).toEqual([
      { name: "Ada", city: "Lon;don" },
      { name: "Bob", city: "" },
    ]);
    const arrays: string[][] = await readAll((p) => p.apply(readCsv(file, { ...options, header: false })));
    expect(arrays.sort()).toEqual([["Ada", "Lon;don"], ["Bob", ""], ["name", "city"]].sort());
  });

  for (const splittable of [true, false]) {
    it(`reads files whose lines end in LF, CRLF and CR mixed, as Commons CSV and Python's csv do (splittable: ${splittable})`, async () => {
      // csv-parse alone takes the first terminator (CRLF here) for the whole file and read "2\n3" as one cell.
      const file = await put(`mixed-${splittable}.csv`, "a,b\r\n1,2\n3,4\r5,6\r\n7,8\n");
      const rows: Record<string, string>[] = await readAll((p) => p.apply(readCsv(file, { splittable })));
      expect(rows.map((r) => `${r["a"]}${r["b"]}`).sort()).toEqual(["12", "34", "56", "78"]);
    });
  }

  it("keeps a CRLF inside a quoted field of a whole-file read with mixed line endings", async () => {
    const file = await put("mixed-quoted.csv", 'a,b\r1,"x\r\ny"\r\n3,4\n');
    const rows: Record<string, string>[] = await readAll((p) => p.apply(readCsv(file, { splittable: false })));
    expect(rows).toEqual([
      { a: "1", b: "x\r\ny" },
      { a: "3", b: "4" },
    ]);
  });

  it("reads gzipped files and skips success markers", async () => {
    await put("a.csv.gz", gzipSync("x,y\n1,2\n"));
    await put("_a_SUCCESS", "{}");
    expect(await readAll((p) => p.apply(readCsv(`${dir}/*`)))).toEqual([{ x: "1", y: "2" }]);
    expect(await readAll((p) => p.apply(readCsv(`${dir}/*`, { splittable: false })))).toEqual([{ x: "1", y: "2" }]);
  });

  it("reads bytes that are not UTF-8 as U+FFFD with invalidUtf8: \"replace\", and fails on them by default", async () => {
    const file = await put("latin1.csv", Buffer.concat([Buffer.from("name\n"), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from("\n")]));
    expect(await readAll((p) => p.apply(readCsv(file, { invalidUtf8: "replace" })))).toEqual([{ name: "caf\uFFFD" }]);
    await expect(run((p) => void p.apply(readCsv(file)))).rejects.toThrow(/latin1\.csv.*not valid UTF-8|UTF-8.*latin1\.csv/s);
  });

  it("read whole (splittable: false), fails naming the file and offset of bytes that are not UTF-8, or reads them as U+FFFD with invalidUtf8: \"replace\"", async () => {
    const file = await put("latin1-whole.csv", Buffer.concat([Buffer.from('name\n"multi\nline"\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from("\n")]));
    await expect(run((p) => void p.apply(readCsv(file, { splittable: false })))).rejects.toThrow(/readCsv: ".*latin1-whole\.csv" is not UTF-8 at byte 21\. .*invalidUtf8: "replace"/s);
    expect(await readAll((p) => p.apply(readCsv(file, { splittable: false, invalidUtf8: "replace" })))).toEqual([{ name: "multi\nline" }, { name: "caf\uFFFD" }]);
    const gz = await put("latin1-whole.csv.gz", gzipSync(await readFile(file)));
    await expect(run((p) => void p.apply(readCsv(gz, { splittable: false })))).rejects.toThrow(/is not UTF-8 at byte 21 of its decompressed content/);
  });

  it("with strict: false reads missing fields as null and drops extra ones", async () => {
    const file = await put("ragged.csv", "id,note,n\n1\n2,a,3,extra\n");
    const rows = await readAll((p) => p.apply(readCsv(file, { schema: schema({ id: t.int64(), note: t.string().nullable(), n: t.int32().nullable() }), strict: false })));
    expect(rows.sort(byId)).toEqual([
      { id: 1n, note: null, n: null },
      { id: 2n, note: "a", n: 3 },
    ]);
  });

  it("fails on a record with the wrong field count, naming the file, line, text and the fix", async () => {
    const file = await put("short.csv", "a,b\n1,2\n3\n");
    await expect(run((p) => void p.apply(readCsv(file)))).rejects.toThrow(/line 3 of ".*short\.csv" is not a valid CSV record: expected 2 fields, got 1.*Text: "3".*invalidRecords: "deadLetter"/s);
  });

  it("fails on an unparsable number, naming the field", async () => {
    const file = await put("num.csv", "id,fare,at,day,ok,note,n\n1,2.0,2024-01-01T00:00Z,2024-01-01,true,x,1\n2,abc,2024-01-01T00:00Z,2024-01-01,true,x,1\n");
    await expect(run((p) => void p.apply(readCsv(file, { schema: Trip })))).rejects.toThrow(/line 3 of ".*num\.csv".*field "fare": expected a decimal number.*"abc"/s);
  });

  it("fails on an unterminated quote, in both read modes", async () => {
    const file = await put("quote.csv", 'a,b\n1,"open\n2,3\n');
    await expect(run((p) => void p.apply(readCsv(file)))).rejects.toThrow(/line 2 of ".*quote\.csv" is not a valid CSV record: .*[Qq]uote.*splittable: false/s);
    await expect(run((p) => void p.apply(readCsv(file, { splittable: false })))).rejects.toThrow(/line 2 of ".*quote\.csv" is not a valid CSV record: .*Quote Not Closed/s);
  });

  it("fails when the header lacks a schema field, naming the columns it has", async () => {
    const file = await put("cols.csv", "id,other\n1,2\n");
    await expect(run((p) => void p.apply(readCsv(file, { schema: schema({ id: t.int64(), fare: t.double() }) })))).rejects.toThrow(/header of ".*cols\.csv" has no column "fare" \(it has "id", "other"\)/);
  });

  for (const splittable of [true, false]) {
    it(`sends bad records to failures as BadRecords with invalidRecords: "deadLetter" (splittable: ${splittable})`, async () => {
      const S = schema({ id: t.int64(), v: t.double() });
      const file = await put("mixed.csv", 'id,v\n1,1.5\n2\n3,x\n4,"4"\n5,"unterminated\n');
      const good: unknown[] = [];
      const bad: BadRecord[] = [];
      await run((p) => {
        const { output, failures } = p.apply(readCsv(file, { schema: S, splittable, invalidRecords: "deadLetter" }));
        collect(output, good, "Good");
        collect(failures, bad, "Bad");
      });
      expect(good.sort()).toEqual([{ id: 1n, v: 1.5 }, { id: 4n, v: 4 }]);
      const descriptions = bad.map((b) => b.error.description).sort();
      expect(descriptions).toEqual([3, 4, 6].map((n) => `parsing line ${n} of "${file}" as CSV`));
      expect(bad.every((b) => b.step === "ReadCsv/ParseCsv")).toBe(true);
      expect(bad.find((b) => b.error.description!.includes("line 4"))).toMatchObject({ element: { preview: '"3,x"' }, error: { message: expect.stringMatching(/field "v": expected a number/) } });
    });
  }

  for (const splittable of [true, false]) {
    it(`numbers a bad record by its own first line, and gives only its text, after empty and comment lines (splittable: ${splittable})`, async () => {
      const file = await put("gaps.csv", 'id,v\n1,2\n\n# note\n\n3\n"a\nb",4\n#x\n5,6,7\n');
      const bad: BadRecord[] = [];
      const good: unknown[] = [];
      await run((p) => {
        const { output, failures } = p.apply(readCsv(file, { comment: "#", splittable, invalidRecords: "deadLetter" }));
        collect(output, good, "Good");
        collect(failures, bad, "Bad");
      });
      const seen = bad.map((b) => [b.error.description, b.element.preview]).sort();
      // Byte ranges read "a and b",4 as two broken lines; a whole-file read parses the record.
      const quoted = splittable ? [[`parsing line 7 of "${file}" as CSV`, '"\\"a"'], [`parsing line 8 of "${file}" as CSV`, '"b\\",4"']] : [];
      expect(seen).toEqual([[`parsing line 10 of "${file}" as CSV`, '"5,6,7"'], [`parsing line 6 of "${file}" as CSV`, '"3"'], ...quoted].sort());
      expect(good).toEqual(splittable ? [{ id: "1", v: "2" }] : [{ id: "1", v: "2" }, { id: "a\nb", v: "4" }]);
    });
  }

  /** Reads `file` with dead letters: the good records, and each bad record as [line, raw text]. */
  async function readWithFailures(file: string, options: { splittable: boolean; skipLines?: number }): Promise<{ good: Record<string, string>[]; bad: [number, string][] }> {
    const good: Record<string, string>[] = [];
    const failures: BadRecord[] = [];
    await run((p) => {
      const read = p.apply(readCsv(file, { ...options, invalidRecords: "deadLetter" }));
      collect(read.output, good, "Good");
      collect(read.failures, failures, "Bad");
    });
    const bad = failures.map((b): [number, string] => {
      const line = /^parsing line (\d+) of "(.*)" as CSV$/.exec(b.error.description ?? "");
      expect(line?.[2]).toBe(file);
      return [Number(line![1]), Buffer.from(b.element.encoded!).toString("utf8")];
    });
    return { good, bad: bad.sort((x, y) => x[0] - y[0]) };
  }

  const byA = (x: Record<string, string>, y: Record<string, string>) => x["a"]!.localeCompare(y["a"]!);

  // Each malformed record is dead-lettered as its first line, and every other line is read:
  // the same in both read modes (issue #19: whole-file reads lost the records after some errors).
  const malformed: { name: string; text: string; good: string[][]; bad: [number, string][] }[] = [
    { name: "an invalid closing quote", text: 'a,b\n"x"y,1\nc,d\n', good: [["c", "d"]], bad: [[2, '"x"y,1']] },
    { name: "a quote in an unquoted field", text: 'a,b\nx"y,1\nc,d\n', good: [["c", "d"]], bad: [[2, 'x"y,1']] },
    { name: "an unterminated quote at the end of the file", text: 'a,b\nc,d\n"open,1\ne,f', good: [["c", "d"], ["e", "f"]], bad: [[3, '"open,1']] },
    { name: "a quote left open until a later line", text: 'a,b\n1,"open\n2,3\n\n4,"x"y\n5,6\n', good: [["2", "3"], ["5", "6"]], bad: [[2, '1,"open'], [5, '4,"x"y']] },
    { name: "a wrong field count", text: "a,b\n1,2,3\nc,d\n4\n", good: [["c", "d"]], bad: [[2, "1,2,3"], [4, "4"]] },
  ];
  for (const splittable of [true, false]) {
    for (const c of malformed) {
      it(`dead-letters ${c.name} as its first line and reads every other record (splittable: ${splittable})`, async () => {
        const file = await put("bad.csv", c.text);
        const { good, bad } = await readWithFailures(file, { splittable });
        expect(good.sort(byA)).toEqual(c.good.map(([a, b]) => ({ a, b })).sort(byA));
        expect(bad).toEqual(c.bad);
      });
    }
  }

  it("fails on an invalid closing quote in a whole-file read, naming the file, line and text", async () => {
    const file = await put("closing.csv", 'a,b\n"x"y,1\nc,d\n');
    await expect(run((p) => void p.apply(readCsv(file, { splittable: false })))).rejects.toThrow(/line 2 of ".*closing\.csv" is not a valid CSV record: Invalid Closing Quote: got "y" at line 2.*Text: "\\"x\\"y,1"/s);
  });

  it("skips skipLines as physical lines in a whole-file read (a quote in a preamble line is not parsed)", async () => {
    const file = await put("preamble.csv", 'Report "Q1", made by "x\na,b\n1,2\n');
    expect(await readAll((p) => p.apply(readCsv(file, { splittable: false, skipLines: 1 })))).toEqual([{ a: "1", b: "2" }]);
    expect(await readAll((p) => p.apply(readCsv(file, { splittable: true, skipLines: 1 })))).toEqual([{ a: "1", b: "2" }]);
  });

  it("fails on a malformed header naming its line, even with dead letters (every record would be bad)", async () => {
    const file = await put("header.csv", '"a"x,b\n1,2\n3,4\n');
    for (const splittable of [true, false]) {
      await expect(run((p) => void p.apply(readCsv(file, { splittable, invalidRecords: "deadLetter" })))).rejects.toThrow(/header of ".*header\.csv" \(line 1\) is not a valid CSV record: Invalid Closing Quote/);
    }
  });

  it("accounts for every line of random files with malformed lines inserted: good records out, bad lines in failures, in both read modes", async () => {
    const word = fc.stringMatching(/^[a-z]{1,4}$/);
    const cell = fc.oneof(word, fc.tuple(word, fc.constantFrom(",", " ", '"'), word).map((p) => p.join("")));
    const good = fc.tuple(cell).map(([b]) => ({ kind: "good" as const, b }));
    const bad = fc.oneof(
      word.map((w) => `"${w}"x,1`), // Invalid Closing Quote
      word.map((w) => `${w}"x,1`), // Invalid Opening Quote
      word.map((w) => `${w},"open`), // Quote Not Closed (or closed by a later line)
      word.map((w) => `${w},1,2`), // wrong field count
      word.map((w) => w), // wrong field count
    ).map((text) => ({ kind: "bad" as const, text }));
    const line = fc.oneof({ weight: 3, arbitrary: good }, { weight: 2, arbitrary: bad }, { weight: 1, arbitrary: fc.constant({ kind: "empty" as const }) });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.constantFrom("\n", "\r\n"), async (lines, eol) => {
        const texts = ["a,b"];
        const expectedGood: Record<string, string>[] = [];
        const expectedBad: [number, string][] = [];
        lines.forEach((l, i) => {
          if (l.kind === "empty") texts.push("");
          if (l.kind === "bad") {
            expectedBad.push([texts.length + 1, l.text]);
            texts.push(l.text);
          }
          if (l.kind === "good") {
            const a = `g${i}`;
            expectedGood.push({ a, b: l.b });
            texts.push(`${a},${/[,"]/.test(l.b) ? `"${l.b.replaceAll('"', '""')}"` : l.b}`);
          }
        });
        const file = await put(`random${n++}.csv`, texts.join(eol) + eol);
        for (const splittable of [true, false]) {
          const { good: out, bad: failures } = await readWithFailures(file, { splittable });
          expect(out.sort(byA)).toEqual(expectedGood.sort(byA));
          expect(failures).toEqual(expectedBad);
        }
      }),
      { numRuns: 25 },
    );
  });

  it("reads a large file in byte ranges exactly as one whole-file read, the header shared by every range", async () => {
    const lines = ["id,name,score,pad"];
    for (let i = 0; i < 12_000; i++) lines.push(`${i},"name ${i % 13 === 0 ? "with, comma" : "é" + i}",${(i * 0.25).toFixed(2)},padding-${i}`);
    const file = await put("big.csv", lines.join("\r\n") + "\r\n");
    // The embedded runner asks for 4 or more ranges of at least 64 KiB each: this file makes 4.
    expect((await stat(file)).size).toBeGreaterThan(4 * 64 * 1024);
    const split = await readAll((p) => p.apply(readCsv(file)));
    const whole = await readAll((p) => p.apply(readCsv(file, { splittable: false })));
    expect(split.length).toBe(12_000);
    const key = (r: Record<string, string>) => Number(r["id"]);
    expect([...split].sort((a, b) => key(a) - key(b))).toEqual([...whole].sort((a, b) => key(a) - key(b)));
    expect(split.find((r) => r["id"] === "26")).toEqual({ id: "26", name: "name with, comma", score: "6.50", pad: "padding-26" });
  });

  it("rejects at construction a field type a CSV cell cannot hold, and bad options", () => {
    expect(() => readCsv("x.csv", { schema: schema({ tags: t.array(t.string()) }) })).toThrow(/field "tags" has type .* which a CSV cell cannot hold/);
    expect(() => readCsv("x.csv", { invalidRecords: "skip" as "fail" })).toThrow(ConstructionError);
    expect(() => writeCsv("out", {})).toThrow(/needs \{ schema \} or \{ columns/);
  });
});

describe("writeCsv", () => {
  it("writes a header and RFC 4180 records through writeText's sharding and finalization", async () => {
    const prefix = path.join(dir, "out");
    await run((p) => void p.apply(create([{ a: "x,y", b: null }, { a: "", b: 'q"' }])).apply(writeCsv(prefix, { columns: ["a", "b"], numShards: 1 })));
    const text = await readFile(`${prefix}-00000-of-00001.csv`, "utf8");
    expect(text.split("\n").slice(1).sort()).toEqual(["", '"","q"""', '"x,y",'].sort());
    expect(text.startsWith("a,b\n")).toBe(true);
    expect(existsSync(path.join(dir, "_out.csv_SUCCESS"))).toBe(true);
  });

  it("round-trips rows of a schema through writeCsv and readCsv (quotes, delimiters, line breaks, nulls)", async () => {
    const S = schema({ id: t.int64(), s: t.string().nullable(), d: t.double(), dec: t.decimal().nullable(), at: t.timestamp(), b: t.bytes() });
    const text = fc.string({ unit: fc.constantFrom("a", ",", ";", '"', "'", " ", "\n", "\r", "é", "😀", "#") });
    const row = fc.record({
      s: fc.option(text, { nil: null }),
      d: fc.double({ noNaN: true, noDefaultInfinity: false }),
      dec: fc.option(fc.record({ unscaledValue: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), scale: fc.integer({ min: 0, max: 6 }) }), { nil: null }),
      at: fc.integer({ min: 0, max: 253_402_300_799_999 }),
      b: fc.uint8Array({ maxLength: 6 }),
    });
    const dialect = fc.constantFrom({}, { delimiter: ";", quote: "'", nullValue: "NULL" }, { delimiter: "\t", escape: "\\" });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 12 }), dialect, async (raw, dia) => {
        const rows = raw.map((r, i) => ({ id: BigInt(i), ...r, d: Object.is(r.d, -0) ? 0 : r.d }));
        const prefix = path.join(dir, `rt${n++}`);
        await run((p) => void p.apply(create<RowOf<typeof S>>(rows)).withSchema(S).apply(writeCsv(prefix, { schema: S, ...dia })));
        const back = await readAll((p) => p.apply(readCsv(`${prefix}-*`, { schema: S, splittable: false, ...dia })));
        expect([...back].sort(byId)).toEqual(rows);
      }),
      { numRuns: 8 },
    );
  });
  it("writes files that csv-parse reads back as the records written, header first (quotes, delimiters, line breaks, nulls)", async () => {
    const text = fc.string({ unit: fc.constantFrom("a", ",", ";", "\t", '"', "'", "\\", " ", "\n", "\r", "é", "N", "#") });
    const cell = fc.oneof(fc.constant(null), fc.constantFrom("", "NULL", "\\N"), text);
    const dialect = fc.constantFrom(
      { delimiter: ",", quote: '"', escape: '"', nullValue: "" },
      { delimiter: ";", quote: "'", escape: "'", nullValue: "NULL" },
      { delimiter: "\t", quote: '"', escape: "\\", nullValue: "\\N" },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 10 }), dialect, async (records, dia) => {
        const prefix = path.join(dir, `w${n++}`);
        const rows = records.map(([a, b, c], i) => ({ i: String(i), a, b, c }));
        await run((p) => void p.apply(create(rows)).apply(writeCsv(prefix, { columns: ["i", "a", "b", "c"], numShards: 1, ...dia })));
        const written = await readFile(`${prefix}-00000-of-00001.csv`, "utf8");
        const parsed = parseCsv(written, {
          delimiter: dia.delimiter,
          quote: dia.quote,
          escape: dia.escape,
          cast: (value: string, context: { quoting: boolean }) => (!context.quoting && value === dia.nullValue ? null : value),
        }) as (string | null)[][];
        expect(parsed[0]).toEqual(["i", "a", "b", "c"]);
        expect(parsed.slice(1).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual(rows.map((r) => [r.i, r.a, r.b, r.c]));
      }),
      { numRuns: 15 },
    );
  });
});

const PYTHON = path.resolve(".cache/runners/python/apache-beam-2.77.0/bin/python");
const execFileAsync = promisify(execFile);

describe.skipIf(!existsSync(PYTHON))("CSV against Python's csv module (Beam 2.77 venv; skipped when .cache/runners/python/apache-beam-2.77.0 is missing)", () => {
  const records = [
    ["plain", "with,comma", 'with "quotes"'],
    ["line\nbreak", "crlf\r\nbreak", ""],
    [" spaced ", "é😀", "'single'"],
    ["", "", "x"],
  ];

  it("reads what Python's csv.writer writes, and Python's csv.reader reads what writeCsv writes", async () => {
    const pyFile = path.join(dir, "py.csv");
    const script = `import csv, json, sys\nrows = json.loads(sys.argv[2])\nwith open(sys.argv[1], "w", newline="") as f:\n    csv.writer(f, lineterminator="\\n").writerows(rows)\n`;
    await execFileAsync(PYTHON, ["-c", script, pyFile, JSON.stringify(records)]);
    const ours = await readAll((p) => p.apply(readCsv(pyFile, { header: false, splittable: false })));
    expect(ours.sort()).toEqual([...records].sort());

    const prefix = path.join(dir, "ts");
    await run((p) => void p.apply(create(records.map(([a, b, c]) => ({ a, b, c })))).apply(writeCsv(prefix, { columns: ["a", "b", "c"], header: false, numShards: 1 })));
    const read = `import csv, json, sys\nwith open(sys.argv[1], newline="") as f:\n    print(json.dumps(list(csv.reader(f))))\n`;
    const { stdout } = await execFileAsync(PYTHON, ["-c", read, `${prefix}-00000-of-00001.csv`]);
    expect((JSON.parse(stdout) as string[][]).sort()).toEqual([...records].sort());
  });
});
