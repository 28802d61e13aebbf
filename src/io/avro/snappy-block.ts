import { crc32 } from "node:zlib";

/**
 * Avro's "snappy" block framing (Avro specification, "Object Container Files"): the block's
 * data is the raw snappy encoding of the serialized records followed by the 4-byte
 * big-endian CRC32 of the UNCOMPRESSED records. The snappy codec itself comes from a
 * library (block-codecs.ts); this file adds the framing and the checks that make a damaged
 * block a BlockCodecError instead of wrong records.
 */

/** A block's data cannot be decoded: `at` is the offset in the block's data of the problem. */
export class BlockCodecError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Raw snappy: uncompress `input` into `output`, whose length is the uncompressed length (hyparquet's signature). */
export type SnappyUncompress = (input: Uint8Array, output: Uint8Array) => void;
/** Raw snappy: compress `input` (hysnappy's signature). */
export type SnappyCompress = (input: Uint8Array) => Uint8Array;

const CRC_SIZE = 4;
/**
 * Snappy's best case is a 3-byte copy of 64 bytes: no valid encoding of n bytes declares more
 * than 64/3 n. A larger declared length is damage, refused before allocating for it.
 */
const MAX_EXPANSION = 22;

/** The records and their CRC32, as a snappy block's data. */
export function encodeSnappyBlock(records: Buffer, compress: SnappyCompress): Buffer {
  const compressed = compress(records);
  const out = Buffer.alloc(compressed.length + CRC_SIZE);
  out.set(compressed, 0);
  out.writeUInt32BE(crc32(records), compressed.length);
  return out;
}

/** The records of a snappy block's data, checked against the block's CRC32. */
export function decodeSnappyBlock(data: Buffer, uncompress: SnappyUncompress): Buffer {
  if (data.length < CRC_SIZE + 1) {
    throw new BlockCodecError(`a snappy block needs at least 5 bytes (snappy data and a 4-byte CRC32), it has ${data.length}`, 0);
  }
  const crcAt = data.length - CRC_SIZE;
  const compressed = data.subarray(0, crcAt);
  const length = uncompressedLength(compressed);
  if (length > compressed.length * MAX_EXPANSION) {
    throw new BlockCodecError(`the snappy data declares ${length} uncompressed bytes, more than ${compressed.length} snappy bytes can hold`, 0);
  }
  const records = Buffer.alloc(length);
  try {
    uncompress(compressed, records);
  } catch (err) {
    throw new BlockCodecError(`the snappy data does not decompress (${(err as Error).message})`, 0);
  }
  const stored = data.readUInt32BE(crcAt);
  const actual = crc32(records);
  if (stored !== actual) {
    throw new BlockCodecError(
      `the block's CRC32 ${crcHex(stored)} does not match the CRC32 of its decompressed records ${crcHex(actual)}`,
      crcAt,
    );
  }
  return records;
}

/** Snappy's preamble: the uncompressed length as an unsigned little-endian varint of at most 5 bytes (< 2^32). */
function uncompressedLength(compressed: Buffer): number {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= compressed.length) throw new BlockCodecError("the snappy data ends inside its length preamble", i);
    const b = compressed[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return length;
  }
  throw new BlockCodecError("the snappy length preamble is longer than 5 bytes", 0);
}

function crcHex(crc: number): string {
  return `0x${crc.toString(16).toUpperCase().padStart(8, "0")}`;
}
