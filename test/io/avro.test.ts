import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import * as zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, create, map, schema, t, type BadRecord, type PCollection, type RowOf } from "../../src/index.js";
import { beamSchemaOfAvro, readAvro, writeAvro, type AvroCodec } from "../../src/io/avro/index.js";

/** node:zlib compresses zstd from Node 22.15 / 23.8: only there does writeAvro write zstandard. */
const NODE_ZSTD = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === "function";
const CODECS: AvroCodec[] = ["null", "deflate", "snappy", ...(NODE_ZSTD ? (["zstandard"] as const) : [])];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-avro-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(build: (p: Pipeline) => void, options: Record<string, unknown> = {}): Promise<void> {
  const p = new Pipeline({ runner: "embedded", ...options });
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

const User = schema(
  {
    id: t.int64(),
    name: t.string(),
    score: t.double(),
    at: t.timestamp(),
    born: t.date(),
    key: t.uuid(),
    tags: t.array(t.string()),
    attrs: t.map(t.string(), t.int32()),
    email: t.string().nullable(),
    home: t.row({ city: t.string(), zip: t.int32().nullable() }).nullable(),
  },
  { name: "User" },
);
type User = RowOf<typeof User>;

const user = fc.record({
  id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  name: fc.string(),
  score: fc.double({ noNaN: true }),
  at: fc.integer({ min: -1e12, max: 1e13 }),
  born: fc.integer({ min: -100000, max: 100000 }),
  key: fc.uuid(),
  tags: fc.array(fc.string(), { maxLength: 3 }),
  attrs: fc.dictionary(fc.string(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxKeys: 3 }).map((o) => new Map(Object.entries(o))),
  email: fc.option(fc.string(), { nil: null }),
  home: fc.option(fc.record({ city: fc.string(), zip: fc.option(fc.integer({ min: 0, max: 99999 }), { nil: null }) }), { nil: null }),
}) as fc.Arbitrary<User>;

const byId = (a: { id: bigint }, b: { id: bigint }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe("writeAvro and readAvro", () => {
  it(`round-trips rows of a Beam schema through sharded Avro files, with every codec it writes (${CODECS.join(", ")})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(user, { selector: (u) => u.id, maxLength: 40 }), fc.constantFrom(...CODECS), async (users, codec) => {
        const prefix = path.join(dir, `users-${codec}`);
        const names: string[] = [];
        await run((p) => collect(p.apply(create(users)).withSchema(User).apply(writeAvro(prefix, { schema: User, codec, numShards: 2, syncInterval: 64 })), names));
        expect(names.map((n) => path.basename(n)).sort()).toEqual([`users-${codec}-00000-of-00002.avro`, `users-${codec}-00001-of-00002.avro`]);
        const read: Record<string, unknown>[] = [];
        await run((p) => collect(p.apply(readAvro(`${prefix}-*.avro`)), read));
        expect([...read].sort(byId as never)).toEqual([...users].sort(byId));
      }),
      // Each codec at least once, with blocks to compress (syncInterval 64 cuts several).
      { numRuns: 10, examples: CODECS.map((codec) => [fc.sample(fc.uniqueArray(user, { selector: (u) => u.id, minLength: 10, maxLength: 10 }), { numRuns: 1, seed: 1 })[0]!, codec]) },
    );
  });

  it("writes snappy blocks that carry the CRC32 of their uncompressed records, and reads them back", async () => {
    const { readFile } = await import("node:fs/promises");
    const prefix = path.join(dir, "snappy");
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }, { name: "text", type: "string" }] };
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: BigInt(i), text: "abc".repeat(40) }));
    await run((p) => void p.apply(create(rows)).apply(writeAvro(prefix, { schema: s, numShards: 1, codec: "snappy", syncInterval: 100_000 })));
    const bytes = await readFile(`${prefix}-00000-of-00001.avro`);
    expect(bytes.includes(Buffer.from("avro.codec\x0csnappy", "latin1"))).toBe(true);
    // One block: header, count, size, snappy data + CRC32, sync marker.
    const sync = bytes.subarray(bytes.length - 16);
    const dataEnd = bytes.length - 16;
    const start = bytes.indexOf(sync) + 16;
    expect(bytes[start]).toBe(100); // 50 records, zig-zag
    const records = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([Number(r.id) * 2]), Buffer.from([240, 1]), Buffer.from(r.text)])));
    expect(bytes.readUInt32BE(dataEnd - 4)).toBe(zlib.crc32(records));
    expect(dataEnd - start).toBeLessThan(records.length / 4); // compressed: the text repeats
    const read: Record<string, unknown>[] = [];
    await run((p) => collect(p.apply(readAvro(`${prefix}-*.avro`)), read));
    expect([...read].sort(byId as never)).toEqual(rows);
  });

  it(NODE_ZSTD ? "writes zstandard where node:zlib has zstd" : `refuses codec zstandard at construction on Node ${process.versions.node}, naming the Node it needs`, async () => {
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }] };
    const prefix = path.join(dir, "zstd");
    if (!NODE_ZSTD) {
      expect(() => writeAvro(prefix, { schema: s, codec: "zstandard" })).toThrow(/writeAvro: codec "zstandard" needs node:zlib's zstd, in Node 22\.15\+ or 23\.8\+.*this is Node .*Write "snappy" or "deflate"/);
      return;
    }
    await run((p) => void p.apply(create([{ id: 1n }, { id: 2n }])).apply(writeAvro(prefix, { schema: s, numShards: 1, codec: "zstandard" })));
    const read: Record<string, unknown>[] = [];
    await run((p) => collect(p.apply(readAvro(`${prefix}-*.avro`)), read));
    expect([...read].sort(byId as never)).toEqual([{ id: 1n }, { id: 2n }]);
  });

  it("reads with a reader schema (evolution) and attaches the Beam schema it maps to", async () => {
    const v1 = { type: "record", name: "U", fields: [{ name: "id", type: "long" }, { name: "old", type: "string" }, { name: "n", type: "int" }] };
    const v2 = {
      type: "record",
      name: "U",
      fields: [
        { name: "id", type: "long" },
        { name: "n", type: "long" }, // promoted from int
        { name: "country", type: ["null", "string"], default: null }, // added
      ],
    };
    const prefix = path.join(dir, "v1");
    await run((p) => void p.apply(create([{ id: 1n, old: "x", n: 5 }, { id: 2n, old: "y", n: 6 }])).apply(writeAvro(prefix, { schema: v1, numShards: 1 })));
    const read: Record<string, unknown>[] = [];
    let coderUrn = "";
    await run((p) => {
      const rows = p.apply(readAvro(`${prefix}-*.avro`, { readerSchema: v2 }));
      coderUrn = rows.coder.urn;
      collect(rows, read);
    });
    expect(coderUrn).toBe("beam:coder:row:v1"); // rows of the reader schema's Beam schema
    expect([...read].sort(byId as never)).toEqual([
      { id: 1n, n: 5n, country: null },
      { id: 2n, n: 6n, country: null },
    ]);
  });

  it("reads large files split into byte ranges exactly once", async () => {
    const prefix = path.join(dir, "big");
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i), name: `n${i}`.repeat(5) }));
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }, { name: "name", type: "string" }] };
    await run((p) => void p.apply(create(rows)).apply(writeAvro(prefix, { schema: s, numShards: 1, codec: "null", syncInterval: 256 })));
    const read: Record<string, unknown>[] = [];
    await run((p) => collect(p.apply(readAvro(`${prefix}-*.avro`, { minSplitBytes: 1024 })), read));
    expect(read.map((r) => r.id as bigint).sort((a, b) => (a < b ? -1 : 1))).toEqual(rows.map((r) => r.id));
  });

  it("writes one file with a header and no blocks for an empty input, read as no records", async () => {
    const prefix = path.join(dir, "empty");
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }] };
    await run((p) => void p.apply(create<{ id: bigint }>([])).apply(writeAvro(prefix, { schema: s })));
    expect((await readdir(dir)).filter((f) => f.endsWith(".avro"))).toEqual(["empty-00000-of-00001.avro"]);
    const read: unknown[] = [];
    await run((p) => collect(p.apply(readAvro(`${prefix}-*.avro`)), read));
    expect(read).toEqual([]);
  });

  it("fails the job naming the record when an element does not fit the schema", async () => {
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }] };
    await expect(run((p) => void p.apply(create([{ id: "x" }])).apply(writeAvro(path.join(dir, "bad"), { schema: s })))).rejects.toThrow(
      /writeAvro: record 1 of ".*" does not fit the Avro schema/,
    );
  });

  it("refuses at construction what Avro cannot hold, naming the field and the fix", () => {
    expect(() => writeAvro(path.join(dir, "x"), { schema: schema({ price: t.decimal() }, { name: "Order" }) })).toThrow(
      /Order\.price: a decimal without a fixed scale .*logicalType: "decimal"/,
    );
    expect(() => writeAvro(path.join(dir, "x"), { schema: {}, codec: "bzip2" as never })).toThrow(
      /writeAvro: codec must be one of "null", "deflate", "snappy", "zstandard", got bzip2/,
    );
    expect(() => readAvro("")).toThrow(/non-empty file pattern/);
  });

  it("maps Avro schemas to Beam schemas, and none for unions other than with null", () => {
    expect(beamSchemaOfAvro({ type: "record", name: "A", fields: [{ name: "u", type: ["int", "string"] }] })).toBeUndefined();
    expect(
      beamSchemaOfAvro({ type: "record", name: "A", fields: [{ name: "d", type: { type: "bytes", logicalType: "decimal", precision: 9, scale: 2 } }] })?.fields[0]?.type,
    ).toEqual(t.decimal().type);
  });

  it("sends corrupt blocks to failures with deadLetter and reads the rest", async () => {
    const { readFile, writeFile } = await import("node:fs/promises");
    const prefix = path.join(dir, "dl");
    const s = { type: "record", name: "R", fields: [{ name: "id", type: "long" }] };
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: BigInt(i) }));
    await run((p) => void p.apply(create(rows)).apply(writeAvro(prefix, { schema: s, numShards: 1, codec: "null", syncInterval: 64 })));
    const file = `${prefix}-00000-of-00001.avro`;
    const bytes = await readFile(file);
    const sync = bytes.subarray(bytes.length - 16);
    const markers: number[] = [];
    for (let at = bytes.indexOf(sync); at >= 0; at = bytes.indexOf(sync, at + 1)) markers.push(at);
    bytes[markers[5]! + 1]! ^= 0xff; // the sync marker ending the fifth block
    await writeFile(file, bytes);
    const read: Record<string, unknown>[] = [];
    const failures: BadRecord[] = [];
    await run((p) => {
      const { output, failures: bad } = p.apply(readAvro(file, { corruptBlock: "deadLetter" }));
      collect(output, read);
      bad.apply("CollectFailures", map((x: BadRecord) => (failures.push(x), x)));
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error.message).toMatch(new RegExp(`Corrupt block at byte ${markers[4]! + 16} of ".*dl-00000-of-00001.avro": the block's sync marker`));
    expect(read.length).toBeLessThan(200);
    expect(read.length).toBeGreaterThan(150);
    await expect(run((p) => void p.apply(readAvro(file)))).rejects.toThrow(new RegExp(`corrupt block at byte ${markers[4]! + 16} of`));
  });
});
