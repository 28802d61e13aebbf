import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OffsetRange, OffsetRangeTracker, type SplittableProcessContext } from "../../transforms/index.js";
import { AvroShardWriter } from "./avro-shard-writer.js";
import { compressorOf, hasNodeZstd } from "./block-codecs.js";
import { encodeBlock, encodeHeader, type AvroCodec } from "./container-format.js";
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

/** The codecs this Node writes: zstandard only where node:zlib has zstd. */
const WRITABLE: AvroCodec[] = ["null", "deflate", "snappy", ...(hasNodeZstd() ? (["zstandard"] as const) : [])];

async function writeFileOf(name: string, n: number, codec: AvroCodec, syncInterval = 64): Promise<string> {
  const avsc = await loadAvsc();
  const file = path.join(dir, name);
  const compress = await compressorOf(codec, "test");
  const w = await AvroShardWriter.open(file, { schemaJson: JSON.stringify(SCHEMA), type: avscType(avsc, SCHEMA), mapping: mapAvroSchema(SCHEMA), codec, compress, syncInterval });
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

/** Offsets of every copy of the file's sync marker (the header's first). */
function syncMarkers(bytes: Buffer): number[] {
  const sync = bytes.subarray(bytes.length - 16);
  const markers: number[] = [];
  for (let at = bytes.indexOf(sync); at >= 0; at = bytes.indexOf(sync, at + 1)) markers.push(at);
  return markers;
}

/**
 * A zstd frame (RFC 8878) holding `content` in one raw (stored) block: valid zstd that any
 * decoder reads, built by hand so that a zstandard file can be made on a Node without zstd.
 */
function rawZstdFrame(content: Buffer): Buffer {
  if (content.length >= 128 * 1024) throw new Error("one raw block holds less than 128 KiB");
  const header = Buffer.alloc(4 + 1 + 4 + 3);
  header.writeUInt32LE(0xfd2fb528, 0); // magic
  header[4] = 0xa0; // single segment, a 4-byte frame content size, no checksum, no dictionary
  header.writeUInt32LE(content.length, 5);
  const blockHeader = (content.length << 3) | 1; // last block, type raw
  header.writeUIntLE(blockHeader, 9, 3);
  return Buffer.concat([header, content]);
}

describe("ReadAvroFn", () => {
  it.each(WRITABLE)("reads every block exactly once for any split points, as the unsplit read does (codec %s)", async (codec) => {
    const file = await writeFileOf(`split-${codec}.avro`, 300, codec);
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
      { numRuns: 25 },
    );
  });

  it("fails naming the file and the CRC32's offset when a snappy block's checksum does not match its records", async () => {
    const file = await writeFileOf("crc.avro", 100, "snappy");
    const copy = Buffer.from(await readFile(file));
    const markers = syncMarkers(copy);
    const victim = markers[Math.floor(markers.length / 2)]!; // the sync marker ending a block mid-file
    copy[victim - 1]! ^= 0x01; // the last byte of that block's CRC32, just before its sync marker
    const bad = path.join(dir, "crc-bad.avro");
    await writeFile(bad, copy);
    const fail = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fail, bad, copy.length, new OffsetRange(0, copy.length))).rejects.toThrow(
      new RegExp(
        `corrupt block at byte \\d+ of "[^"]*crc-bad\\.avro" \\(problem at byte ${victim - 4}\\): the block does not decompress with codec "snappy": ` +
          `the block's CRC32 0x[0-9A-F]{8} does not match the CRC32 of its decompressed records 0x[0-9A-F]{8}`,
      ),
    );
    const deadLetter = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "deadLetter" }, (x) => x);
    const items = await readRange(deadLetter, bad, copy.length, new OffsetRange(0, copy.length));
    const corrupt = items.flatMap((i) => ("corrupt" in i ? [i.corrupt] : []));
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]!.message).toMatch(/CRC32/);
    expect(items.filter((i) => "record" in i).length).toBeGreaterThan(80);
  });

  it("reports damaged snappy data as a corrupt block, not as records", async () => {
    const file = await writeFileOf("snappy-damage.avro", 100, "snappy");
    const copy = Buffer.from(await readFile(file));
    const markers = syncMarkers(copy);
    const start = markers[1]! + 16; // the second block
    const count = copy[start]!; // one-byte varints: blocks of a few records of under 64 bytes
    const size = copy[start + 1]!;
    expect(count & 0x80).toBe(0);
    expect(size & 0x80).toBe(0);
    copy[start + 2]! = 0xff; // snappy's length preamble: now longer than 5 bytes or too large
    copy[start + 3]! = 0xff;
    const bad = path.join(dir, "snappy-damage-bad.avro");
    await writeFile(bad, copy);
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "deadLetter" }, (x) => x);
    const items = await readRange(fn, bad, copy.length, new OffsetRange(0, copy.length));
    const corrupt = items.flatMap((i) => ("corrupt" in i ? [i.corrupt] : []));
    expect(corrupt.map((c) => c.offset)).toEqual([start]);
    expect(corrupt[0]!.message).toMatch(/does not decompress with codec "snappy": the snappy/);
  });

  it("reads zstandard blocks (one zstd frame each) on any Node, split or not", async () => {
    const avsc = await loadAvsc();
    const type = avscType(avsc, SCHEMA);
    const sync = Buffer.alloc(16, 9);
    const blocks: Buffer[] = [];
    for (let b = 0; b < 20; b++) {
      const records = Buffer.concat(Array.from({ length: 5 }, (_, i) => type.toBuffer({ id: BigInt(b * 5 + i), name: `z${b}` })));
      blocks.push(encodeBlock(5, rawZstdFrame(records), sync));
    }
    const bytes = Buffer.concat([encodeHeader(JSON.stringify(SCHEMA), "zstandard", sync), ...blocks]);
    const file = path.join(dir, "zstd.avro");
    await writeFile(file, bytes);
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x, 64);
    const want = Array.from({ length: 100 }, (_, i) => BigInt(i));
    expect(ids(await readRange(fn, file, bytes.length, new OffsetRange(0, bytes.length)))).toEqual(want);
    const cuts = [0, 100, 333, 700, bytes.length];
    const split: bigint[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) split.push(...ids(await readRange(fn, file, bytes.length, new OffsetRange(cuts[i]!, cuts[i + 1]!))));
    expect(split).toEqual(want);
    // A zstd frame that is not one: the block is corrupt, named by its offset.
    const damaged = Buffer.from(bytes);
    const second = syncMarkers(damaged)[1]! + 16;
    damaged.writeUInt32LE(0x12345678, second + 2); // over the frame's magic number
    const bad = path.join(dir, "zstd-bad.avro");
    await writeFile(bad, damaged);
    await expect(readRange(fn, bad, damaged.length, new OffsetRange(0, damaged.length))).rejects.toThrow(
      new RegExp(`corrupt block at byte ${second} of "[^"]*zstd-bad\\.avro".*does not decompress with codec "zstandard"`),
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
    const file = path.join(dir, "bzip2.avro");
    const header = encodeHeader(JSON.stringify(SCHEMA), "bzip2" as AvroCodec, Buffer.alloc(16, 7));
    await writeFile(file, header);
    const fn = new ReadAvroFn({ readerSchema: undefined, corruptBlock: "fail" }, (x) => x);
    await expect(readRange(fn, file, header.length, new OffsetRange(0, header.length))).rejects.toThrow(
      /"[^"]*bzip2\.avro" is not a readable Avro file: the file's codec "bzip2" is not supported/,
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
