import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, open, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { parquetMetadata } from "hyparquet";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SDF_RUNNERS } from "../conformance/sdf/sdf-runners.js";
import { Pipeline, assertThat, create, map, schema, t, type BadRecord, type PCollection, type RowOf } from "../../src/index.js";
import {
  PARQUET_METRICS_NAMESPACE,
  ROW_GROUPS_READ,
  ROW_GROUPS_SKIPPED,
  BYTES_READ,
  inferParquetSchema,
  readParquet,
  writeParquet,
} from "../../src/io/parquet/index.js";

const PYTHON = path.resolve(".cache/runners/python/apache-beam-2.77.0/bin/python");
const HAVE_PYARROW = existsSync(PYTHON);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-parquet-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function collect<T>(pc: PCollection<T>, sink: T[], name = "Collect"): void {
  pc.apply(name, map((x: T) => {
    sink.push(x);
    return x;
  }));
}

async function run(build: (p: Pipeline) => void) {
  const p = new Pipeline({ runner: "embedded" });
  build(p);
  const result = p.run();
  await result.waitUntilFinish();
  return result;
}

function counter(result: Awaited<ReturnType<typeof run>>, name: string): number {
  return result.metrics().queryMetrics({ namespace: PARQUET_METRICS_NAMESPACE, name }).counters.reduce((n, c) => n + c.committed, 0);
}

const Order = schema(
  {
    id: t.int64(),
    customer: t.string(),
    amount: t.double(),
    price: t.decimal(),
    at: t.timestamp(),
    day: t.date().nullable(),
    note: t.string().nullable(),
    tags: t.array(t.string()),
    attrs: t.map(t.string(), t.int32()),
    address: t.row({ city: t.string(), zip: t.int32().nullable() }).nullable(),
  },
  { name: "Order" },
);
type Order = RowOf<typeof Order>;

function makeOrder(i: number): Order {
  return {
    id: BigInt(i),
    customer: `c${i % 7}`,
    amount: i * 1.5,
    price: { unscaledValue: BigInt(i * 101 - 500), scale: 2 },
    at: 1_700_000_000_000 + i * 1000,
    day: i % 3 === 0 ? null : 19_000 + i,
    note: i % 2 === 0 ? null : `note ${i}`,
    tags: i % 4 === 0 ? [] : [`t${i}`, "x"],
    attrs: new Map([["k", i]]),
    address: i % 5 === 0 ? null : { city: `city${i}`, zip: i % 2 === 0 ? null : 1000 + i },
  };
}

/** BigDecimals compare by value: the writer rescales to the column's scale (9 by default). */
function normalize(o: Record<string, unknown>): Record<string, unknown> {
  const price = o["price"] as { unscaledValue: bigint; scale: number } | undefined;
  if (price === undefined) return o;
  const scaled = price.unscaledValue * 10n ** BigInt(9 - price.scale);
  return { ...o, price: scaled.toString() };
}

const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a["id"] as bigint) - Number(b["id"] as bigint);

describe("Parquet IO", () => {
  it("writes rows with nested, nullable, timestamp and decimal columns and reads them back with the inferred schema", async () => {
    const orders = Array.from({ length: 40 }, (_, i) => makeOrder(i));
    const prefix = path.join(dir, "orders");
    await run((p) => {
      p.apply(create(orders)).withSchema(Order).apply(writeParquet(prefix, { schema: Order, numShards: 2, rowGroupSize: 8, compression: "gzip" }));
    });
    const files = (await readdir(dir)).filter((f) => f.endsWith(".parquet")).sort();
    expect(files).toEqual(["orders-00000-of-00002.parquet", "orders-00001-of-00002.parquet"]);
    const inferred = await inferParquetSchema(path.join(dir, files[0]!));
    expect(inferred.schema.fields.map((f) => f.name)).toEqual(Object.keys(Order.fields));
    const rows: Record<string, unknown>[] = [];
    await run((p) => collect(p.apply(readParquet(`${prefix}-*.parquet`, { schema: inferred })), rows));
    expect(rows.map(normalize).sort(byId)).toEqual(orders.map(normalize));
  });

  it("reads only the projected columns", async () => {
    const prefix = path.join(dir, "orders");
    await run((p) => p.apply(create([makeOrder(1), makeOrder(2)])).withSchema(Order).apply(writeParquet(prefix, { schema: Order, numShards: 1 })));
    const rows: Record<string, unknown>[] = [];
    await run((p) => collect(p.apply(readParquet(`${prefix}-*`, { columns: ["id", "note"] })), rows));
    expect(rows.sort(byId)).toEqual([{ id: 1n, note: "note 1" }, { id: 2n, note: null }]);
  });

  it("skips row groups whose statistics rule out the filter, and filters the rows of the others", async () => {
    const prefix = path.join(dir, "orders");
    const orders = Array.from({ length: 100 }, (_, i) => makeOrder(i));
    await run((p) => p.apply(create(orders)).withSchema(Order).apply(writeParquet(prefix, { schema: Order, numShards: 1, rowGroupSize: 10 })));
    const rows: Record<string, unknown>[] = [];
    const result = await run((p) => collect(p.apply(readParquet(`${prefix}-*`, { columns: ["id", "customer"], filter: { id: { between: [15n, 24n] } } })), rows));
    expect(rows.map((r) => r["id"]).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(15 + i)));
    expect(counter(result, ROW_GROUPS_READ)).toBe(2);
    expect(counter(result, ROW_GROUPS_SKIPPED)).toBe(8);
  });

  it("filters on isNull and in, and null never matches a comparison", async () => {
    const prefix = path.join(dir, "orders");
    await run((p) => p.apply(create(Array.from({ length: 12 }, (_, i) => makeOrder(i)))).withSchema(Order).apply(writeParquet(prefix, { schema: Order, numShards: 1, rowGroupSize: 4 })));
    const nulls: Record<string, unknown>[] = [];
    const some: Record<string, unknown>[] = [];
    await run((p) => {
      collect(p.apply("A", readParquet(`${prefix}-*`, { columns: ["id", "note"], filter: { note: { isNull: true } } })), nulls, "CollectA");
      collect(p.apply("B", readParquet(`${prefix}-*`, { columns: ["id", "note"], filter: { note: { in: ["note 3", "note 4"] } } })), some, "CollectB");
    });
    expect(nulls.map((r) => r["id"]).sort((a, b) => Number(a) - Number(b))).toEqual([0n, 2n, 4n, 6n, 8n, 10n]);
    expect(some).toEqual([{ id: 3n, note: "note 3" }]);
  });

  it("refuses a filter of the wrong value type at construction, naming the fix", () => {
    expect(() => readParquet("x.parquet", { schema: Order, filter: { id: { eq: 5 } } })).toThrow(/holds bigint values \(write 5n, not 5\)/);
    expect(() => readParquet("x.parquet", { schema: Order, filter: { address: { isNull: true } } })).toThrow(/cannot be filtered/);
  });

  it("fails naming the file and the column when a projected column is missing", async () => {
    const prefix = path.join(dir, "orders");
    await run((p) => p.apply(create([makeOrder(1)])).withSchema(Order).apply(writeParquet(prefix, { schema: Order, numShards: 1 })));
    await expect(run((p) => p.apply(readParquet(`${prefix}-*`, { columns: ["nope"] })))).rejects.toThrow(/orders-00000-of-00001\.parquet" has no column "nope"/);
  });

  it("reads only the bytes of the projected columns", async () => {
    const S = schema({ id: t.int32(), blob: t.string() });
    const prefix = path.join(dir, "wide");
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, blob: `${i}`.padEnd(4000, "abcdefghijklmnopqrstuvwxyz".charAt(i % 26)) }));
    await run((p) => p.apply(create(rows)).withSchema(S).apply(writeParquet(prefix, { schema: S, numShards: 1, compression: "uncompressed" })));
    const narrow = await run((p) => p.apply(readParquet(`${prefix}-*`, { columns: ["id"] })));
    const wide = await run((p) => p.apply(readParquet(`${prefix}-*`)));
    expect(counter(wide, BYTES_READ)).toBeGreaterThan(50 * 26); // the dictionary of 26 distinct-ish blobs at least
    expect(counter(narrow, BYTES_READ)).toBeLessThan(1000);
    expect(counter(narrow, BYTES_READ) * 10).toBeLessThan(counter(wide, BYTES_READ));
  });

  it("writes one readable file without rows for an empty input", async () => {
    const prefix = path.join(dir, "empty");
    const names: string[] = [];
    await run((p) => collect(p.apply(create<Order>([])).withSchema(Order).apply(writeParquet(prefix, { schema: Order })), names));
    expect(names.map((n) => path.basename(n))).toEqual(["empty-00000-of-00001.parquet"]);
    const rows: unknown[] = [];
    await run((p) => collect(p.apply(readParquet(`${prefix}-*`, { schema: Order })), rows));
    expect(rows).toEqual([]);
  });

  it("writes a nullable field left out of a row as null, next to converted columns", async () => {
    const S = schema({ id: t.int64(), note: t.string().nullable(), at: t.timestamp() });
    const prefix = path.join(dir, "missing");
    const written = [{ id: 1n, at: 1000 }, { id: 2n, note: "x", at: 2000 }] as RowOf<typeof S>[];
    await run((p) => p.apply(create(written)).apply(writeParquet(prefix, { schema: S, numShards: undefined })));
    const rows: unknown[] = [];
    await run((p) => collect(p.apply(readParquet(`${prefix}-*`, { schema: S })), rows));
    expect(rows).toEqual(expect.arrayContaining([{ id: 1n, note: null, at: 1000 }, { id: 2n, note: "x", at: 2000 }]));
    expect(rows).toHaveLength(2);
  });

  it("refuses at construction a schema field Parquet has no mapping for, naming it", () => {
    const S = schema({ id: t.uuid() });
    expect(() => writeParquet(path.join(dir, "x"), { schema: S })).toThrow(/field "id" has logical type beam:logical_type:uuid:v1, which writeParquet does not write/);
  });

  it("fails naming the field and the fix when a decimal has more places than the column's scale", async () => {
    const S = schema({ price: t.decimal() });
    await expect(
      run((p) => p.apply(create([{ price: { unscaledValue: 12345n, scale: 4 } }])).withSchema(S).apply(writeParquet(path.join(dir, "d"), { schema: S, decimal: { precision: 10, scale: 2 } }))),
    ).rejects.toThrow(/field "price": the decimal 12345e-4 has more than 2 decimal places; raise the "decimal" option's scale/);
  });

  it("fails naming the file when it is not a Parquet file", async () => {
    await writeFile(path.join(dir, "bad.parquet"), "not parquet at all");
    await expect(run((p) => p.apply(readParquet(path.join(dir, "*.parquet"))))).rejects.toThrow(/cannot read the Parquet footer of ".*bad\.parquet".*Is it a Parquet file\?/);
  });

  it("fails naming the file and column when a file's column type differs from the schema", async () => {
    const A = schema({ id: t.int64() });
    const B = schema({ id: t.string() });
    await run((p) => p.apply(create([{ id: 1n }])).withSchema(A).apply(writeParquet(path.join(dir, "a"), { schema: A })));
    await expect(run((p) => p.apply(readParquet(path.join(dir, "a-*"), { schema: B })))).rejects.toThrow(/column "id" of ".*a-00000-of-00001\.parquet" does not have the schema's type/);
  });

  /** Writes 3 row groups of 5 ids and overwrites the first page header of row group 1. */
  async function corruptFile(): Promise<string> {
    const S = schema({ id: t.int64() });
    const prefix = path.join(dir, "corrupt");
    await run((p) => p.apply(create(Array.from({ length: 15 }, (_, i) => ({ id: BigInt(i) })))).withSchema(S).apply(writeParquet(prefix, { schema: S, numShards: 1, rowGroupSize: 5, compression: "uncompressed" })));
    const file = `${prefix}-00000-of-00001.parquet`;
    const bytes = await readFile(file);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const column = meta.row_groups[1]!.columns[0]!.meta_data!;
    const at = Number(column.dictionary_page_offset ?? column.data_page_offset);
    const handle = await open(file, "r+");
    await handle.write(Buffer.alloc(12, 0xff), 0, 12, at);
    await handle.close();
    return file;
  }

  it("fails naming the file, the row group and its rows when a row group cannot be decoded", async () => {
    const file = await corruptFile();
    await expect(run((p) => p.apply(readParquet(file)))).rejects.toThrow(/cannot read row group 1 \(rows 5\.\.9\) of ".*corrupt-00000-of-00001\.parquet".*invalidData: "deadLetter"/);
  });

  it("sends unreadable row groups and files to failures with invalidData: deadLetter, and reads the rest", async () => {
    const file = await corruptFile();
    await writeFile(path.join(dir, "corrupt-zz.parquet"), "PAR1 not really");
    const rows: Record<string, unknown>[] = [];
    const failures: BadRecord[] = [];
    await run((p) => {
      const read = p.apply(readParquet(path.join(dir, "corrupt-*"), { invalidData: "deadLetter" }));
      collect(read.output, rows);
      collect(read.failures, failures, "CollectFailures");
    });
    expect(rows.map((r) => Number(r["id"])).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    const described = failures.map((f) => f.error.description).sort();
    expect(described).toEqual([`reading row group 1 (rows 5..9) of "${file}"`, `reading the file "${path.join(dir, "corrupt-zz.parquet")}"`]);
    expect(failures.every((f) => f.step === "ReadParquet/ReadRowGroups" && f.error.type === "ParquetIOError")).toBe(true);
  });

  it("writes snappy, gzip and uncompressed files that read back alike; zstd without node:zlib's zstd fails saying why", async () => {
    const S = schema({ id: t.int64(), name: t.string() });
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i), name: `name ${i % 4}` }));
    for (const compression of ["snappy", "gzip", "uncompressed"] as const) {
      const prefix = path.join(dir, compression);
      await run((p) => p.apply(create(rows)).withSchema(S).apply(writeParquet(prefix, { schema: S, numShards: 1, compression })));
      const back: Record<string, unknown>[] = [];
      await run((p) => collect(p.apply(readParquet(`${prefix}-*`, { schema: S })), back));
      expect(back.sort(byId)).toEqual(rows);
    }
    const zstd = run((p) => p.apply(create(rows)).withSchema(S).apply(writeParquet(path.join(dir, "z"), { schema: S, compression: "zstd" })));
    if (typeof (await import("node:zlib") as { zstdCompressSync?: unknown }).zstdCompressSync === "function") await zstd;
    else await expect(zstd).rejects.toThrow(/compression "zstd" needs node:zlib's zstd \(Node 22\.15 or later\)/);
  });

  it("round-trips any rows of ints, strings and nullable doubles (property)", async () => {
    const S = schema({ a: t.int64(), b: t.string(), c: t.double().nullable(), d: t.array(t.int32()) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ a: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), b: fc.string(), c: fc.option(fc.double({ noNaN: true }), { nil: null }), d: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 5 }),
        async (rows, rowGroupSize) => {
          const prefix = path.join(dir, `prop-${Math.random().toString(36).slice(2)}`);
          await run((p) => p.apply(create<RowOf<typeof S>>(rows)).withSchema(S).apply(writeParquet(prefix, { schema: S, numShards: 1, rowGroupSize })));
          const back: Record<string, unknown>[] = [];
          await run((p) => collect(p.apply(readParquet(`${prefix}-*`, { schema: S })), back));
          const key = (r: Record<string, unknown>) => JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : Object.is(v, -0) ? "-0" : v));
          expect(back.map(key).sort()).toEqual(rows.map(key).sort());
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe.skipIf(!HAVE_PYARROW)("Parquet interop with pyarrow (Beam Python's venv)", () => {
  it("pyarrow reads what beam-ts writes, nested and nullable columns, timestamps and decimals included", async () => {
    const prefix = path.join(dir, "orders");
    const orders = Array.from({ length: 6 }, (_, i) => makeOrder(i));
    await run((p) => p.apply(create(orders)).withSchema(Order).apply(writeParquet(prefix, { schema: Order, numShards: 1, decimal: { precision: 18, scale: 2 } })));
    const script = `
import json, sys, pyarrow.parquet as pq
tbl = pq.read_table(sys.argv[1])
rows = tbl.to_pylist()
print(json.dumps({"schema": {f.name: str(f.type) for f in tbl.schema}, "row1": {k: str(v) for k, v in rows[1].items()}, "row0addr": rows[0]["address"]}))
`;
    const out = JSON.parse(execFileSync(PYTHON, ["-c", script, `${prefix}-00000-of-00001.parquet`], { encoding: "utf8" })) as {
      schema: Record<string, string>;
      row1: Record<string, string>;
      row0addr: unknown;
    };
    expect(out.schema).toMatchObject({ id: "int64", price: "decimal128(18, 2)", at: "timestamp[ms, tz=UTC]", day: "date32[day]", tags: "list<element: string not null>", attrs: "map<string, int32 ('attrs')>" });
    expect(out.row1).toMatchObject({ id: "1", price: "-3.99", at: "2023-11-14 22:13:21+00:00", day: "2022-01-09", note: "note 1", tags: "['t1', 'x']", attrs: "[('k', 1)]", address: "{'city': 'city1', 'zip': 1001}" });
    expect(out.row0addr).toBeNull();
  });

  it("beam-ts reads what pyarrow writes: nested, nullable, microsecond timestamps, decimals, zstd", async () => {
    const file = path.join(dir, "py.parquet");
    const script = `
import sys, datetime, decimal, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({
  "id": pa.array([1, 2, 3], pa.int64()),
  "name": pa.array(["a", None, "c"]),
  "ts": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, 678901), None, datetime.datetime(1969, 12, 31, 23, 59, 59, 999999)], pa.timestamp("us", tz="UTC")),
  "price": pa.array([decimal.Decimal("12.34"), decimal.Decimal("-0.01"), None], pa.decimal128(10, 2)),
  "tags": pa.array([["x", "y"], [], None], pa.list_(pa.string())),
  "kv": pa.array([[("a", 1)], [], None], pa.map_(pa.string(), pa.int64())),
  "loc": pa.array([{"lat": 1.5, "lon": None}, None, {"lat": 3.0, "lon": 4.0}]),
})
pq.write_table(t, sys.argv[1], row_group_size=2, compression="zstd")
`;
    execFileSync(PYTHON, ["-c", script, file]);
    const inferred = await inferParquetSchema(file);
    const rows: Record<string, unknown>[] = [];
    const result = await run((p) => collect(p.apply(readParquet(file, { schema: inferred })), rows));
    expect(counter(result, ROW_GROUPS_READ)).toBe(2);
    expect(rows.sort(byId)).toEqual([
      { id: 1n, name: "a", ts: Date.UTC(2024, 0, 2, 3, 4, 5, 678), price: { unscaledValue: 1234n, scale: 2 }, tags: ["x", "y"], kv: new Map([["a", 1n]]), loc: { lat: 1.5, lon: null } },
      { id: 2n, name: null, ts: null, price: { unscaledValue: -1n, scale: 2 }, tags: [], kv: new Map(), loc: null },
      { id: 3n, name: "c", ts: -1, price: null, tags: null, kv: null, loc: { lat: 3, lon: 4 } },
    ]);
  });
  it("refuses columns with no Beam type (INT96, unsigned INT64) naming them and the fix, and reads the others", async () => {
    const file = path.join(dir, "legacy.parquet");
    const script = `
import sys, datetime, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({"id": pa.array([1, 2], pa.int32()), "u": pa.array([1, 2], pa.uint64()), "ts": pa.array([datetime.datetime(2024, 1, 1), None], pa.timestamp("ns"))})
pq.write_table(t, sys.argv[1], use_deprecated_int96_timestamps=True)
`;
    execFileSync(PYTHON, ["-c", script, file]);
    await expect(inferParquetSchema(file)).rejects.toThrow(/column "u" has Parquet type INT64 \(INTEGER\), which beam-ts does not read.*Leave it out with the "columns" option/);
    await expect(inferParquetSchema(file, { columns: ["ts"] })).rejects.toThrow(/column "ts" has Parquet type INT96/);
    const rows: unknown[] = [];
    await run((p) => collect(p.apply(readParquet(file, { columns: ["id"] })), rows));
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

// The embedded runners and Prism: the text IO suite already runs the same splittable-DoFn
// path on Flink (batch and streaming), which costs over a minute per file format.
const PARQUET_RUNNERS = SDF_RUNNERS.filter((r) => !r.name.startsWith("flink"));

for (const runner of PARQUET_RUNNERS) {
  describe(`Parquet IO on ${runner.name}`, () => {
    it("round-trips rows through writeParquet and readParquet, per bundle and with numShards", async () => {
      const S = schema({ id: t.int64(), name: t.string().nullable(), price: t.decimal() });
      const rows = Array.from({ length: 25 }, (_, i) => ({ id: BigInt(i), name: i % 3 === 0 ? null : `n${i}`, price: { unscaledValue: BigInt(i), scale: 9 } }));
      for (const numShards of [undefined, 3]) {
        const prefix = path.join(dir, `rt${numShards ?? ""}`, "part");
        const p = new Pipeline(runner.options);
        p.apply(create(rows)).withSchema(S).apply(writeParquet(prefix, { schema: S, numShards, rowGroupSize: 4 }));
        await p.run().waitUntilFinish();
        const q = new Pipeline(runner.options);
        assertThat(q.apply(readParquet(`${prefix}-*`, { schema: S }))).containsInAnyOrder(rows);
        await q.run().waitUntilFinish();
      }
    }, 120_000);
  });
}
