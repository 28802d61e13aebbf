import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OffsetRange, OffsetRangeTracker, type SplittableProcessContext } from "../../transforms/index.js";
import { AvroShardWriter } from "./avro-shard-writer.js";
import { encodeHeader, type AvroCodec } from "./container-format.js";
import { mapAvroSchema } from "./avro-values.js";
import { avscType, loadAvsc } from "./avsc-module.js";
import { ReadAvroFn, type ReadItem } from "./read-avro-fn.js";

const SCHEMA = { type: "record", name: "R", fields: [{ name: "id", type: "long" }, { name: "name", type: "string" }] };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-avro-fn-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeFileOf(name: string, n: number, codec: "null" | "deflate", syncInterval = 64): Promise<string> {
  const avsc = await loadAvsc();
  const file = path.join(dir, name);
  const w = await AvroShardWriter.open(file, { schemaJson: JSON.stringify(SCHEMA), type: avscType(avsc, SCHEMA), mapping: mapAvroSchema(SCHEMA), codec, syncInterval });
  for (let i = 0; i < n; i++) await w.write({ id: BigInt(i), name: `name-${i}` });
  await w.close();
  return file;
}

/** Runs the DoFn over one range as a runner would, collecting its output. */
async function readRange(fn: ReadAvroFn<ReadItem>, file: string, size: number, range: OffsetRange): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  const tracker = new OffsetRangeTracker(range);
  const ctx = { tracker, output: (x: ReadItem) => out.push(x) } as unknown as SplittableProcessContext<ReadItem, OffsetRange, number>;
  await fn.process({ path: file, size }, ctx);
  tracker.checkDone();
  return out;
}

const ids = (items: ReadItem[]) => items.map((i) => ("record" in i ? (i.record as { id: bigint }).id : -1n));

describe("ReadAvroFn", () => {
  it("reads every block exactly once for any split points, as the unsplit read does", async () => {
    const file = await writeFileOf("split.avro", 300, "deflate");
    const size = (await readFile(file)).length;
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    const whole = ids(await readRange(fn, file, size, new OffsetRange(0, size)));
    expect(whole).toEqual(Array.from({ length: 300 }, (_, i) => BigInt(i)));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: size - 1 }), { maxLength: 12 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), size];
        const got: bigint[] = [];
        for (let i = 0; i + 1 < points.length; i++) got.push(...ids(await readRange(fn, file, size, new OffsetRange(points[i]!, points[i + 1]!))));
        expect(got).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  });

  it("fails naming the file and the block's offset when a block is corrupt", async () => {
    const file = await writeFileOf("corrupt.avro", 100, "null");
    const bytes = await readFile(file);
    const bad = path.join(dir, "corrupt-bad.avro");
    const copy = Buffer.from(bytes);
    // Damage the sync marker ending a block in the middle of the file.
    const sync = bytes.subarray(bytes.length - 16);
    const markers: number[] = [];
    for (let at = bytes.indexOf(sync); at >= 0; at = bytes.indexOf(sync, at + 1)) markers.push(at);
    const victim = markers[Math.floor(markers.length / 2)]!;
    copy[victim + 3]! ^= 0xff;
    await writeFile(bad, copy);
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fn, bad, copy.length, new OffsetRange(0, copy.length))).rejects.toThrow(
      new RegExp(`readAvro: corrupt block at byte \\d+ of "${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" \\(problem at byte ${victim}\\).*corruptBlock: "deadLetter"`),
    );
  });

  it("with deadLetter, sends a damaged block to the output as corrupt and reads the others", async () => {
    const file = await writeFileOf("dl.avro", 100, "deflate");
    const copy = Buffer.from(await readFile(file));
    copy[Math.floor(copy.length / 2)] ^= 0xff;
    const bad = path.join(dir, "dl-bad.avro");
    await writeFile(bad, copy);
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "deadLetter" }, (x) => x);
    const items = await readRange(fn, bad, copy.length, new OffsetRange(0, copy.length));
    const corrupt = items.filter((i) => "corrupt" in i);
    expect(corrupt).toHaveLength(1);
    const records = items.filter((i) => "record" in i);
    expect(records.length).toBeGreaterThan(80);
    expect(records.length).toBeLessThan(100);
  });

  it("fails naming the offset when the file is truncated", async () => {
    const file = await writeFileOf("trunc.avro", 100, "null");
    const bytes = await readFile(file);
    const cut = path.join(dir, "trunc-cut.avro");
    await writeFile(cut, bytes.subarray(0, bytes.length - 5));
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fn, cut, bytes.length - 5, new OffsetRange(0, bytes.length - 5))).rejects.toThrow(/corrupt block at byte \d+ of .*the file is truncated/);
  });

  it("refuses a file that is not Avro, naming it", async () => {
    const file = path.join(dir, "text.avro");
    await writeFile(file, "hello world\n");
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fn, file, 12, new OffsetRange(0, 12))).rejects.toThrow(/"[^"]*text\.avro" is not a readable Avro file: .*magic bytes/);
  });

  it("refuses a file whose codec it cannot decompress, naming the codec and the file", async () => {
    const file = path.join(dir, "snappy.avro");
    const header = encodeHeader(JSON.stringify(SCHEMA), "snappy" as AvroCodec, Buffer.alloc(16, 7));
    await writeFile(file, header);
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fn, file, header.length, new OffsetRange(0, header.length))).rejects.toThrow(
      /"[^"]*snappy\.avro" is not a readable Avro file: the file's codec "snappy" is not supported/,
    );
  });

  it("fails when the reader schema cannot read the file's records, naming the file and the fix", async () => {
    const file = await writeFileOf("evolve.avro", 3, "null");
    const size = (await readFile(file)).length;
    const reader = { type: "record", name: "R", fields: [{ name: "added", type: "string" }] };
    const fn = new ReadAvroFn({ readerSchema: reader, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fn, file, size, new OffsetRange(0, size))).rejects.toThrow(
      /the reader schema cannot read ".*evolve\.avro".*field "added" is absent from the file's writer schema and string in the reader schema \(READER_FIELD_MISSING_DEFAULT_VALUE.*give the reader field a "default"/,
    );
  });
});
