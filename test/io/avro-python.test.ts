import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import * as zlib from "node:zlib";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, create, map, schema, t, type PCollection, type RowOf } from "../../src/index.js";
import { readAvro, writeAvro, type AvroCodec } from "../../src/io/avro/index.js";
import { cacheDir } from "../../tools/runners/job-services.mjs";
import { PYTHON_BEAM_VERSION } from "../../tools/runners/python-beam.mjs";

// Beam Python's avroio reads and writes with fastavro; the venv of the cross-language tests has it.
const PYTHON = path.join(cacheDir(), "python", `apache-beam-${PYTHON_BEAM_VERSION}`, "bin", "python");
const HAVE_PYTHON = existsSync(PYTHON);
const run = promisify(execFile);

/** Whether the venv's python imports `module`: fastavro compresses snappy with cramjam, zstandard with backports.zstd (before Python 3.14). */
function pythonHas(module: string): boolean {
  if (!HAVE_PYTHON) return false;
  try {
    execFileSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const HAVE_SNAPPY = pythonHas("cramjam");
const HAVE_ZSTD = pythonHas("compression.zstd") || pythonHas("backports.zstd");
const REINSTALL = "re-run node tools/runners/python-beam.mjs, which installs it";
/** node:zlib compresses zstd from Node 22.15 / 23.8: only there does beam-ts write zstandard. */
const NODE_ZSTD = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === "function";

const TITLE = HAVE_PYTHON
  ? "Avro interop with Beam Python's fastavro"
  : `Avro interop with Beam Python (skipped: no venv at ${PYTHON}; create it with node tools/runners/python-beam.mjs)`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-avro-py-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, ["-c", script, ...args], { maxBuffer: 1 << 24 });
  return stdout;
}

function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply("Collect", map((x: T) => (sink.push(x), x)));
}

const READ_PY = `
import sys, json, glob, fastavro
out = []
for f in sorted(glob.glob(sys.argv[1])):
    with open(f, "rb") as fo:
        r = fastavro.reader(fo)
        codec = r.codec
        for rec in r:
            out.append({**rec, "id": str(rec["id"])})  # exact: JSON numbers lose bits past 2^53
def enc(v):
    if isinstance(v, bytes): return v.hex()
    return str(v)
print(json.dumps({"codec": codec, "records": out}, default=enc))
`;

const WRITE_PY = `
import sys, datetime, decimal, uuid, fastavro
schema = fastavro.parse_schema({"type": "record", "name": "Event", "fields": [
  {"name": "id", "type": "long"},
  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "day", "type": {"type": "int", "logicalType": "date"}},
  {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
  {"name": "key", "type": {"type": "string", "logicalType": "uuid"}},
  {"name": "note", "type": ["null", "string"]},
  {"name": "attrs", "type": {"type": "map", "values": "long"}},
  {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}}]})
recs = [{"id": 2**62 + i, "at": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=i),
         "day": datetime.date(2024, 1, 1), "price": decimal.Decimal("-12.34") * i, "key": uuid.UUID(int=i),
         "note": None if i % 2 else "n%d" % i, "attrs": {"k": i}, "kind": "AB"[i % 2]} for i in range(500)]
with open(sys.argv[1], "wb") as fo:
    fastavro.writer(fo, schema, recs, codec=sys.argv[2] if len(sys.argv) > 2 else "deflate", sync_interval=1000)
`;

// Beam Python's own AvroIO transforms, in a DirectRunner pipeline: ReadFromAvro of what
// beam-ts wrote (as JSON lines), WriteToAvro of records beam-ts then reads.
const BEAM_READ_PY = `
import sys, json, apache_beam as beam
from apache_beam.io.avroio import ReadFromAvro
def enc(v):
    return v.hex() if isinstance(v, bytes) else str(v)
with beam.Pipeline() as p:
    (p | ReadFromAvro(sys.argv[1]) | beam.Map(lambda r: json.dumps({**r, "id": str(r["id"])}, default=enc, sort_keys=True))
       | beam.io.WriteToText(sys.argv[2], shard_name_template=""))
`;

const BEAM_WRITE_PY = `
import sys, apache_beam as beam, fastavro
from apache_beam.io.avroio import WriteToAvro
schema = fastavro.parse_schema({"type": "record", "name": "Reading", "fields": [
  {"name": "id", "type": "long"}, {"name": "sensor", "type": "string"}, {"name": "value", "type": ["null", "double"]}]})
with beam.Pipeline() as p:
    (p | beam.Create([{"id": i, "sensor": "s%d" % (i % 3), "value": None if i % 4 == 0 else i / 2} for i in range(100)])
       | WriteToAvro(sys.argv[1], schema, file_name_suffix=".avro", num_shards=2))
`;

describe(TITLE, () => {
  it.skipIf(!HAVE_PYTHON)("writes files Python reads: longs beyond 2^53, timestamps, nullable and nested fields", async () => {
    const Row = schema({ id: t.int64(), at: t.timestamp(), tags: t.array(t.string()), home: t.row({ city: t.string() }).nullable() }, { name: "Row" });
    const rows: RowOf<typeof Row>[] = [
      { id: 2n ** 62n + 1n, at: Date.UTC(2024, 0, 2, 3, 4, 5, 6), tags: ["a", "b"], home: { city: "Oslo" } },
      { id: -5n, at: 0, tags: [], home: null },
    ];
    const prefix = path.join(dir, "to-python");
    const p = new Pipeline({ runner: "embedded" });
    p.apply(create(rows)).withSchema(Row).apply(writeAvro(prefix, { schema: Row, numShards: 2 }));
    await p.run().waitUntilFinish();
    const got = JSON.parse(await python(READ_PY, `${prefix}-*.avro`)) as { codec: string; records: Record<string, unknown>[] };
    expect(got.codec).toBe("deflate");
    const byId = new Map(got.records.map((r) => [String(r.id), r]));
    expect(byId.get(String(2n ** 62n + 1n))).toEqual({ id: "4611686018427387905", at: "2024-01-02 03:04:05.006000+00:00", tags: ["a", "b"], home: { city: "Oslo" } });
    expect(byId.get("-5")).toEqual({ id: "-5", at: "1970-01-01 00:00:00+00:00", tags: [], home: null });
  });

  it.skipIf(!HAVE_PYTHON)("writes files Beam Python's ReadFromAvro reads, and reads files its WriteToAvro writes", async () => {
    const Reading = schema({ id: t.int64(), sensor: t.string(), value: t.double().nullable() }, { name: "Reading" });
    const prefix = path.join(dir, "beam-in");
    const w = new Pipeline({ runner: "embedded" });
    w.apply(create([{ id: 1n, sensor: "a", value: 0.5 }, { id: 2n ** 60n, sensor: "b", value: null }])).withSchema(Reading).apply(writeAvro(prefix, { schema: Reading }));
    await w.run().waitUntilFinish();
    const out = path.join(dir, "beam-read.jsonl");
    await run(PYTHON, ["-c", BEAM_READ_PY, `${prefix}-*.avro`, out], { maxBuffer: 1 << 24 });
    const lines = (await readFile(out, "utf8")).trim().split("\n").sort();
    expect(lines).toEqual(['{"id": "1", "sensor": "a", "value": 0.5}', '{"id": "1152921504606846976", "sensor": "b", "value": null}']);

    const written = path.join(dir, "from-beam");
    await run(PYTHON, ["-c", BEAM_WRITE_PY, written], { maxBuffer: 1 << 24 });
    const read: Record<string, unknown>[] = [];
    const r = new Pipeline({ runner: "embedded" });
    collect(r.apply(readAvro(`${written}*.avro`)), read);
    await r.run().waitUntilFinish();
    expect(read).toHaveLength(100);
    read.sort((a, b) => ((a.id as bigint) < (b.id as bigint) ? -1 : 1));
    expect(read.slice(0, 2)).toEqual([
      { id: 0n, sensor: "s0", value: null },
      { id: 1n, sensor: "s1", value: 0.5 },
    ]);
  }, 120_000);

  it.skipIf(!HAVE_PYTHON)("reads files Python writes, split or not: logical types, decimals, maps, enums", async () => {
    const file = path.join(dir, "from-python.avro");
    await python(WRITE_PY, file);
    const read: Record<string, unknown>[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(p.apply(readAvro(file, { minSplitBytes: 2048 })), read);
    await p.run().waitUntilFinish();
    expect(read).toHaveLength(500);
    read.sort((a, b) => ((a.id as bigint) < (b.id as bigint) ? -1 : 1));
    expect(read[3]).toEqual({
      id: 2n ** 62n + 3n,
      at: Date.UTC(2024, 0, 1) + 3,
      day: 19723,
      price: { unscaledValue: -3702n, scale: 2 },
      key: "00000000-0000-0000-0000-000000000003",
      note: null,
      attrs: new Map([["k", 3n]]),
      kind: "B",
    });
    expect(read[4]!.note).toBe("n4");
  });
  // Beam Java's AvroIO writes snappy by default: reading snappy is what interop needs most.
  for (const codec of ["snappy", "zstandard"] as const) {
    const pyHas = codec === "snappy" ? HAVE_SNAPPY : HAVE_ZSTD;
    const pyMissing = codec === "snappy" ? "cramjam" : "backports.zstd";
    const skipRead = !HAVE_PYTHON ? "no venv" : !pyHas ? `the venv's fastavro lacks ${pyMissing}: ${REINSTALL}` : undefined;
    it.skipIf(skipRead !== undefined)(`reads ${codec} files fastavro writes, split or not${skipRead === undefined ? "" : ` (skipped: ${skipRead})`}`, async () => {
      const file = path.join(dir, `from-python-${codec}.avro`);
      await python(WRITE_PY, file, codec);
      expect((await readFile(file)).includes(Buffer.from(`avro.codec${String.fromCharCode(codec.length * 2)}${codec}`, "latin1"))).toBe(true);
      for (const minSplitBytes of [2048, undefined]) {
        const read: Record<string, unknown>[] = [];
        const p = new Pipeline({ runner: "embedded" });
        collect(p.apply(readAvro(file, minSplitBytes === undefined ? {} : { minSplitBytes })), read);
        await p.run().waitUntilFinish();
        expect(read).toHaveLength(500);
        read.sort((a, b) => ((a.id as bigint) < (b.id as bigint) ? -1 : 1));
        expect(read.map((r) => r.id)).toEqual(Array.from({ length: 500 }, (_, i) => 2n ** 62n + BigInt(i)));
        expect(read[7]).toMatchObject({ price: { unscaledValue: -8638n, scale: 2 }, note: null, attrs: new Map([["k", 7n]]), kind: "B" });
      }
    });

    const skipWrite = !HAVE_PYTHON
      ? "no venv"
      : !pyHas
        ? `the venv's fastavro lacks ${pyMissing}: ${REINSTALL}`
        : codec === "zstandard" && !NODE_ZSTD
          ? `beam-ts writes zstandard only with node:zlib's zstd (Node 22.15+ or 23.8+); this is Node ${process.versions.node}`
          : undefined;
    it.skipIf(skipWrite !== undefined)(`writes ${codec} files fastavro reads${skipWrite === undefined ? "" : ` (skipped: ${skipWrite})`}`, async () => {
      const Row = schema({ id: t.int64(), text: t.string(), at: t.timestamp() }, { name: "Row" });
      const rows = Array.from({ length: 300 }, (_, i) => ({ id: 2n ** 61n + BigInt(i), text: `row ${i % 7} `.repeat(i % 20), at: Date.UTC(2024, 5, 1) + i }));
      const prefix = path.join(dir, `to-python-${codec}`);
      const p = new Pipeline({ runner: "embedded" });
      p.apply(create(rows)).withSchema(Row).apply(writeAvro(prefix, { schema: Row, numShards: 2, codec: codec as AvroCodec, syncInterval: 512 }));
      await p.run().waitUntilFinish();
      const got = JSON.parse(await python(READ_PY, `${prefix}-*.avro`)) as { codec: string; records: Record<string, unknown>[] };
      expect(got.codec).toBe(codec);
      expect(got.records).toHaveLength(300);
      const byId = new Map(got.records.map((r) => [String(r.id), r]));
      expect(byId.get(String(2n ** 61n + 13n))).toEqual({ id: String(2n ** 61n + 13n), text: "row 6 ".repeat(13), at: "2024-06-01 00:00:00.013000+00:00" });
    });
  }
});
