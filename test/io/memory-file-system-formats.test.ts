// Every file reader and writer on a FileSystem that is not the local one: a test-only
// in-memory object store (scheme "mem", no atomic rename), so a reader or writer that still
// used node:fs would fail here. Also: finalization on a file system without atomic rename
// (copy, marker last, then delete), and paths of unknown schemes refused at construction.
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, TestStream, create, fixedWindows, map, schema, t, windowInto, type PCollection } from "../../src/index.js";
import { readAvro, writeAvro } from "../../src/io/avro/index.js";
import { readCsv, writeCsv } from "../../src/io/csv/index.js";
import { readSuccessMarker, successMarkerFile } from "../../src/io/files/index.js";
import { registerFileSystem, registeredSchemes } from "../../src/io/filesystems/index.js";
import { inferParquetSchema, readParquet, writeParquet } from "../../src/io/parquet/index.js";
import { readJsonLines, readText, writeJsonLines, writeText } from "../../src/io/text/index.js";
import { MemoryFileSystem } from "./memory-file-system.js";

const mem = new MemoryFileSystem();
beforeAll(() => registerFileSystem("mem", () => mem));
afterAll(() => registerFileSystem("mem", () => new MemoryFileSystem()));
beforeEach(() => mem.clear());

function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

async function run(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
  build(p);
  await p.run().waitUntilFinish();
}

async function readBack<T>(read: (p: Pipeline) => PCollection<T>): Promise<T[]> {
  const out: T[] = [];
  await run((p) => collect(read(p), out));
  return out;
}

/** The shard objects of a prefix, the marker, and anything else (temporary objects) under its directory. */
function layout(dir: string, base: string): { shards: string[]; markers: string[]; others: string[] } {
  const under = mem.paths().filter((p) => p.startsWith(`${dir}/`));
  const shards = under.filter((p) => new RegExp(`^${dir}/${base}-\\d{5}-of-\\d{5}`).test(p));
  const markers = under.filter((p) => p.endsWith("_SUCCESS"));
  return { shards, markers, others: under.filter((p) => !shards.includes(p) && !markers.includes(p)) };
}

describe("text and JSON Lines on a non-local file system", () => {
  it("writes lines to mem:// shards with a marker and reads them back, for any lines", async () => {
    const line = fc.string({ unit: fc.constantFrom("a", "b", "é", " ", ",", "𝄞"), maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.integer({ min: 1, max: 3 }), async (lines, numShards) => {
        mem.clear();
        await run((p) => p.apply(create(lines)).apply(writeText("mem://bucket/out/words", { suffix: ".txt", numShards })));
        const { shards, markers, others } = layout("mem://bucket/out", "words");
        expect(shards).toHaveLength(numShards);
        expect(markers).toEqual([successMarkerFile("mem://bucket/out/words", ".txt")]);
        expect(others).toEqual([]); // the temporary objects are gone
        expect(await readSuccessMarker(markers[0]!)).toEqual(shards);
        const back = await readBack((p) => p.apply(readText("mem://bucket/out/words-*.txt")));
        expect(back.sort()).toEqual([...lines].sort());
      }),
      { numRuns: 8 },
    );
  });

  it("finalizes by copying temporary objects and deleting them, never renaming, on a file system without atomic rename", async () => {
    await run((p) => p.apply(create(["a", "b", "c", "d"])).apply(writeText("mem://bucket/out/x", { numShards: 2 })));
    expect(mem.operations.renames).toBe(0);
    expect(mem.operations.copies).toBe(2);
    expect(layout("mem://bucket/out", "x").others).toEqual([]);
  });

  it("replaces the previous output of the prefix, of another shard count, and nothing else", async () => {
    const other = await mem.create("mem://bucket/out/notes.txt");
    await other.write(Buffer.from("keep\n"));
    await other.close();
    await run((p) => p.apply(create(["old1", "old2", "old3"])).apply(writeText("mem://bucket/out/x", { numShards: 3 })));
    await run((p) => p.apply(create(["new"])).apply(writeText("mem://bucket/out/x", { numShards: 1 })));
    expect(layout("mem://bucket/out", "x").shards).toEqual(["mem://bucket/out/x-00000-of-00001"]);
    expect(mem.text("mem://bucket/out/notes.txt")).toBe("keep\n");
    expect(await readBack((p) => p.apply(readText("mem://bucket/out/x-*")))).toEqual(["new"]);
  });

  it("writes gzipped text readers gunzip, header and footer included", async () => {
    await run((p) => p.apply(create(["one", "two"])).apply(writeText("mem://bucket/gz/lines", { suffix: ".txt.gz", numShards: 1, compression: "gzip", header: "H", footer: "F" })));
    const file = layout("mem://bucket/gz", "lines").shards[0]!;
    expect(gunzipSync(mem.objects.get(file)!.bytes).toString("utf8")).toBe("H\none\ntwo\nF\n");
    expect((await readBack((p) => p.apply(readText("mem://bucket/gz/*.gz", { skipHeaderLines: 1 })))).sort()).toEqual(["F", "one", "two"]);
  });

  it("reads a large file in several byte ranges, each line once", async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${"x".repeat(i % 17)}`);
    const out = await mem.create("mem://bucket/big/a.txt");
    await out.write(Buffer.from(`${lines.join("\n")}\n`));
    await out.close();
    expect(mem.objects.get("mem://bucket/big/a.txt")!.bytes.length).toBeGreaterThan(4 * 64 * 1024);
    const back = await readBack((p) => p.apply(readText("mem://bucket/big/*.txt")));
    expect(back.length).toBe(lines.length);
    expect(new Set(back)).toEqual(new Set(lines));
  });

  it("names the file and line of a bad JSON line read from mem://", async () => {
    const out = await mem.create("mem://bucket/j/bad.jsonl");
    await out.write(Buffer.from('{"a":1}\n{"a":\n'));
    await out.close();
    await expect(readBack((p) => p.apply(readJsonLines("mem://bucket/j/*.jsonl")))).rejects.toThrow(/line 2 of "mem:\/\/bucket\/j\/bad\.jsonl" is not valid JSON/);
  });

  it("writes and reads back JSON Lines", async () => {
    const values = [{ a: 1, b: ["x"] }, { a: 2, b: [] }, { a: 3, b: ["y", "z"] }];
    await run((p) => p.apply(create(values)).apply(writeJsonLines("mem://bucket/json/v", { suffix: ".jsonl", numShards: 2 })));
    const back = await readBack((p) => p.apply(readJsonLines<{ a: number; b: string[] }>("mem://bucket/json/v-*.jsonl")));
    expect(back.sort((x, y) => x.a - y.a)).toEqual(values);
  });

  it("fails naming the pattern when nothing on mem:// matches", async () => {
    await expect(readBack((p) => p.apply(readText("mem://bucket/none/*.txt")))).rejects.toThrow(/No file matches the pattern "mem:\/\/bucket\/none\/\*\.txt"\. /);
  });
});

const Trip = schema({ id: t.int64(), fare: t.double(), note: t.string().nullable() }, { name: "Trip" });

describe("CSV, Avro and Parquet on a non-local file system", () => {
  const trips = [
    { id: 1n, fare: 2.5, note: "a, quoted \"one\"" },
    { id: 2n, fare: 10, note: null },
    { id: 3n, fare: 0.25, note: "" },
  ];

  it("writes CSV to mem:// and reads typed rows back, in byte ranges and whole files", async () => {
    await run((p) => p.apply(create(trips)).apply(writeCsv("mem://bucket/csv/trips", { schema: Trip, numShards: 2 })));
    expect(layout("mem://bucket/csv", "trips").shards).toHaveLength(2);
    for (const splittable of [true, false]) {
      const back = await readBack((p) => p.apply(readCsv("mem://bucket/csv/trips-*.csv", { schema: Trip, splittable })));
      expect(back.sort((a, b) => Number(a.id - b.id))).toEqual(trips);
    }
  });

  it("writes Avro to mem:// and reads the records back", async () => {
    await run((p) => p.apply(create(trips)).apply(writeAvro("mem://bucket/avro/trips", { schema: Trip, numShards: 2, syncInterval: 32 })));
    const back = await readBack((p) => p.apply(readAvro("mem://bucket/avro/trips-*.avro")));
    expect(back.map((r) => ({ ...r })).sort((a, b) => Number((a.id as bigint) - (b.id as bigint)))).toEqual(trips);
  });

  it("writes Parquet to mem:// in several row groups and reads a projection back with ranged reads", async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ id: BigInt(i), fare: i / 4, note: i % 3 === 0 ? null : `n${i}` }));
    await run((p) => p.apply(create(many)).apply(writeParquet("mem://bucket/pq/trips", { schema: Trip, numShards: 1, rowGroupSize: 8 })));
    const [file] = layout("mem://bucket/pq", "trips").shards;
    expect(file).toBe("mem://bucket/pq/trips-00000-of-00001.parquet");
    const inferred = await inferParquetSchema(file!);
    expect(inferred.schema.fields.map((f) => f.name)).toEqual(["id", "fare", "note"]);
    const back = await readBack((p) => p.apply(readParquet<{ id: bigint; note: string | null }>("mem://bucket/pq/*.parquet", { columns: ["id", "note"] })));
    expect(back.sort((a, b) => Number(a.id - b.id))).toEqual(many.map(({ id, note }) => ({ id, note })));
  });
});

describe("streaming writes on a non-local file system", () => {
  it("commits each window's pane by copy and delete, leaving only the final files", async () => {
    const MINUTE = 60_000;
    const stream = TestStream.create<string>()
      .addElements({ value: "a", timestamp: 1_000 }, { value: "b", timestamp: MINUTE + 1 })
      .advanceWatermarkTo(MINUTE + 2)
      .addElements({ value: "c", timestamp: MINUTE + 3 })
      .advanceWatermarkToInfinity();
    await run((p) => p.apply(stream).apply(windowInto(fixedWindows(MINUTE))).apply(writeText("mem://bucket/stream/out", { suffix: ".txt", numShards: 1 })));
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(mem.paths()).toEqual([
      `mem://bucket/stream/out-${iso(0)}-${iso(MINUTE)}-00000-of-00001.txt`,
      `mem://bucket/stream/out-${iso(MINUTE)}-${iso(2 * MINUTE)}-00000-of-00001.txt`,
    ]);
    expect(mem.text(mem.paths()[0]!)).toBe("a\n");
    expect(mem.text(mem.paths()[1]!)!.split("\n").sort()).toEqual(["", "b", "c"]);
    expect(mem.operations.renames).toBe(0);
  });
});

describe("paths of unknown schemes", () => {
  const cases: [string, () => unknown][] = [
    ["writeText", () => writeText("hdfs://x/out")],
    ["writeJsonLines", () => writeJsonLines("hdfs://x/out")],
    ["writeCsv", () => writeCsv("hdfs://x/out", { columns: ["a"] })],
    ["writeAvro", () => writeAvro("hdfs://x/out", { schema: Trip })],
    ["writeParquet", () => writeParquet("hdfs://x/out", { schema: Trip })],
    ["readText", () => readText("hdfs://x/in/*")],
    ["readJsonLines", () => readJsonLines("hdfs://x/in/*")],
    ["readCsv", () => readCsv("hdfs://x/in/*")],
    ["readAvro", () => readAvro("hdfs://x/in/*")],
    ["readParquet", () => readParquet("hdfs://x/in/*")],
  ];
  for (const [name, build] of cases) {
    it(`${name} refuses a path whose scheme no file system serves, at construction, naming the scheme and the known ones`, () => {
      expect(build).toThrow(new RegExp(`^${name}: no file system serves the scheme "hdfs" of "hdfs://x/(out|in/\\*)"\\. Known schemes: ${registeredSchemes().join(", ")}\\.`));
    });
  }

  it("refuses --output=s3x://bucket/x instead of writing a local folder named \"s3x:\"", () => {
    expect(() => writeText("s3x://bucket/x")).toThrow(/writeText: no file system serves the scheme "s3x".*Known schemes: .*file.*gs.*s3/);
  });

  it("inferParquetSchema refuses an unknown scheme naming it", async () => {
    await expect(inferParquetSchema("hdfs://x/a.parquet")).rejects.toThrow(/inferParquetSchema: no file system serves the scheme "hdfs"/);
  });
});
