// The formats' FileSinks for writeFiles (Beam's TextIO.sink, CsvIO, AvroIO.sink,
// ParquetIO.sink): per-customer files of each format, sharded, read back with the format's
// reader (contents exact, schemas kept), and the sinks' messages for bad elements and options.
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import avsc from "avsc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, create, map, schema, t, type PCollection, type RowOf } from "../../src/index.js";
import { avroSchemaOfRow, avroSink, readAvro } from "../../src/io/avro/index.js";
import { csvSink, readCsv } from "../../src/io/csv/index.js";
import { writeFiles, type FileSink } from "../../src/io/files/index.js";
import { inferParquetSchema, parquetSink, readParquet } from "../../src/io/parquet/index.js";
import { jsonLinesSink, readJsonLines } from "../../src/io/text/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-format-sinks-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  build(p);
  await p.run().waitUntilFinish();
}

function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

/** Every file under `root`, relative, sorted (markers and temporary directories included). */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

const Order = schema(
  {
    id: t.int64(),
    customer: t.string(),
    amount: t.double(),
    note: t.string().nullable(),
    at: t.timestamp(),
  },
  { name: "Order" },
);
type Order = RowOf<typeof Order>;

const CUSTOMERS = ["acme", "beta"] as const;
// Notes with the delimiters, quotes and line-free oddities a CSV writer must quote, and nulls.
const NOTES = [null, "plain", 'say "hi"', "a;b", "a,b", ""];
const ORDERS: Order[] = Array.from({ length: 14 }, (_, i) => ({
  id: BigInt(i) * 1_000_000_007n,
  customer: CUSTOMERS[i % 3 === 0 ? 1 : 0]!,
  amount: i * 2.25,
  note: NOTES[i % NOTES.length]!,
  at: 1_700_000_000_000 + i * 60_000,
}));
const byId = (a: { id: bigint }, b: { id: bigint }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const ordersOf = (customer: string) => ORDERS.filter((o) => o.customer === customer);

/** Writes ORDERS per customer, 2 shards each, through `sink`; checks the files, markers and outputs. */
async function writePerCustomer(sink: FileSink<Order>, suffix: string): Promise<string> {
  const out = path.join(dir, "orders");
  const names: string[] = [];
  await run((p) =>
    collect(
      p
        .apply(create(ORDERS))
        .withSchema(Order)
        .apply(writeFiles({ to: out, by: (o: Order) => o.customer, sink, prefix: "part", suffix, numShards: 2 })),
      names,
    ),
  );
  const shards = CUSTOMERS.flatMap((c) => [`${c}/part-00000-of-00002${suffix}`, `${c}/part-00001-of-00002${suffix}`]);
  expect(await tree(out)).toEqual([...shards, ...CUSTOMERS.map((c) => `${c}/_part${suffix}_SUCCESS`)].sort());
  expect(names.map((n) => path.relative(out, n)).sort()).toEqual(shards.sort());
  return out;
}

describe("csvSink", () => {
  it("writes each customer's rows as CSV shards with the header and dialect, read back exactly by readCsv", async () => {
    const out = await writePerCustomer(csvSink({ schema: Order, delimiter: ";", nullValue: "NULL" }), ".csv");
    for (const customer of CUSTOMERS) {
      for (const shard of [0, 1]) {
        const text = await readFile(path.join(out, customer, `part-0000${shard}-of-00002.csv`), "utf8");
        expect(text.split("\n")[0]).toBe("id;customer;amount;note;at"); // every file has the header
      }
      const rows: Order[] = [];
      await run((p) => collect(p.apply(readCsv(`${out}/${customer}/part-*.csv`, { schema: Order, delimiter: ";", nullValue: "NULL" })), rows));
      expect(rows.sort(byId)).toEqual(ordersOf(customer));
    }
  });

  it("writes the columns given without a schema, and no header when asked", async () => {
    const out = path.join(dir, "kv");
    const records = [
      { k: "x", v: "1,5" },
      { k: "y", v: "2" },
      { k: "x", v: "3" },
    ];
    await run((p) => void p.apply(create(records)).apply(writeFiles({ to: out, by: (r: { k: string }) => r.k, sink: csvSink({ columns: ["v", "k"], header: false }), suffix: ".csv", numShards: 1 })));
    expect(await readFile(path.join(out, "x", "output-00000-of-00001.csv"), "utf8")).toMatch(/^("1,5",x\n3,x\n|3,x\n"1,5",x\n)$/);
    expect(await readFile(path.join(out, "y", "output-00000-of-00001.csv"), "utf8")).toBe("2,y\n");
  });

  it("fails naming the sink and the element when an element is not a row, and refuses bad options at construction", async () => {
    const sink = csvSink<unknown>({ columns: ["a"] });
    await expect(run((p) => void p.apply(create<unknown>([{ a: 1 }, 42])).apply(writeFiles({ to: path.join(dir, "bad"), sink, suffix: ".csv" })))).rejects.toThrow(
      /csvSink writes objects \(rows\), got 42\. Map elements to objects/,
    );
    expect(() => csvSink({})).toThrow(/csvSink needs \{ schema \} or \{ columns/);
    expect(() => csvSink({ columns: ["a"], delimiter: ";;" })).toThrow(/csvSink: delimiter must be one character/);
    expect(() => csvSink({ columns: ["a"], compression: "zip" as never })).toThrow(/csvSink: compression must be "none" or "gzip"/);
  });
});

describe("jsonLinesSink", () => {
  type Event = { id: number; customer: string; tags: string[]; raw: Uint8Array | null };
  const events: Event[] = Array.from({ length: 9 }, (_, i) => ({
    id: i,
    customer: CUSTOMERS[i % 2]!,
    tags: i % 3 === 0 ? [] : [`t${i}`],
    raw: i === 4 ? new Uint8Array([0, 255, 7]) : null,
  }));

  it("writes each customer's elements as JSON Lines shards, read back exactly by readJsonLines", async () => {
    const out = path.join(dir, "events");
    await run((p) => void p.apply(create(events)).apply(writeFiles({ to: out, by: (e: Event) => e.customer, sink: jsonLinesSink(), suffix: ".jsonl", numShards: 2 })));
    expect((await tree(out)).filter((f) => f.endsWith(".jsonl"))).toEqual(CUSTOMERS.flatMap((c) => [`${c}/output-00000-of-00002.jsonl`, `${c}/output-00001-of-00002.jsonl`]));
    for (const customer of CUSTOMERS) {
      const read: Record<string, unknown>[] = [];
      await run((p) => collect(p.apply(readJsonLines<Record<string, unknown>>(`${out}/${customer}/output-*.jsonl`)), read));
      // Byte arrays are written as base64, as writeJsonLines writes them.
      const expected = events.filter((e) => e.customer === customer).map((e) => ({ ...e, raw: e.raw === null ? null : Buffer.from(e.raw).toString("base64") }));
      expect(read.sort((a, b) => (a["id"] as number) - (b["id"] as number))).toEqual(expected);
    }
  });

  it("fails naming the sink and the element when an element has no JSON form", async () => {
    const sink = jsonLinesSink<unknown>();
    await expect(run((p) => void p.apply(create<unknown>([{ n: 1n }])).apply(writeFiles({ to: path.join(dir, "bad"), sink })))).rejects.toThrow(
      /jsonLinesSink: cannot serialise an element to JSON: .*BigInt.*Element: \{"n":"1n"\}/,
    );
  });
});

describe("avroSink", () => {
  it("writes each customer's rows as Avro shards with the row schema's Avro schema, read back exactly by readAvro", async () => {
    const out = await writePerCustomer(avroSink({ schema: Order, codec: "deflate", syncInterval: 64 }), ".avro");
    const expectedSchema = avroSchemaOfRow(Order.schema, "Order");
    for (const customer of CUSTOMERS) {
      for (const shard of [0, 1]) {
        // Read by avsc itself: the header holds the schema and codec asked for.
        const header = avsc.extractFileHeader(path.join(out, customer, `part-0000${shard}-of-00002.avro`));
        expect(header?.meta["avro.schema"]).toEqual(expectedSchema);
        expect(header?.meta["avro.codec"]).toBe("deflate");
      }
      const rows: Record<string, unknown>[] = [];
      await run((p) => collect(p.apply(readAvro(`${out}/${customer}/part-*.avro`)), rows));
      expect(rows.sort((a, b) => byId(a as Order, b as Order))).toEqual(ordersOf(customer));
    }
  });

  it("fails naming the sink, the record and its file when an element does not fit the schema, and refuses bad options", async () => {
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }] };
    await expect(run((p) => void p.apply(create([{ id: "x" }])).apply(writeFiles({ to: path.join(dir, "bad"), sink: avroSink({ schema: s }) })))).rejects.toThrow(
      /avroSink: record 1 of ".*" does not fit the Avro schema: \{"id":"x"\}/,
    );
    expect(() => avroSink({ schema: s, codec: "bzip2" as never })).toThrow(/avroSink: codec must be one of "null", "deflate", "snappy", "zstandard", got bzip2/);
    expect(() => avroSink({ schema: schema({ price: t.decimal() }, { name: "P" }) })).toThrow(/avroSink: the Beam schema has no Avro equivalent: P\.price/);
  });
});

describe("parquetSink", () => {
  it("writes each customer's rows as Parquet shards with the row schema, read back exactly by readParquet", async () => {
    const out = await writePerCustomer(parquetSink({ schema: Order, rowGroupSize: 2, compression: "gzip" }), ".parquet");
    for (const customer of CUSTOMERS) {
      for (const shard of [0, 1]) {
        const inferred = await inferParquetSchema(path.join(out, customer, `part-0000${shard}-of-00002.parquet`));
        expect(inferred.schema.fields).toEqual(Order.schema.fields);
      }
      const rows: Order[] = [];
      await run((p) => collect(p.apply(readParquet(`${out}/${customer}/part-*.parquet`, { schema: Order })), rows));
      expect(rows.sort(byId)).toEqual(ordersOf(customer));
    }
  });

  it("fails naming the sink, the file and the row when a row does not fit the schema, and refuses bad options", async () => {
    const bad = { ...ORDERS[0]!, id: 5 };
    await expect(run((p) => void p.apply(create<unknown>([bad])).apply(writeFiles({ to: path.join(dir, "bad"), sink: parquetSink({ schema: Order }) })))).rejects.toThrow(
      /parquetSink to ".*": a row does not fit the schema: .*id.*Row: \{"id":5,.*Convert the rows to the schema first/,
    );
    expect(() => parquetSink({ schema: Order, rowGroupSize: 0 })).toThrow(/parquetSink: rowGroupSize must be a positive integer/);
    expect(() => parquetSink({ schema: Order, compression: "lz4" as never })).toThrow(/parquetSink: compression must be/);
  });
});
