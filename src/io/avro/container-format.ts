/**
 * The Avro object container file format (Avro specification, "Object Container Files"):
 * a header (magic `Obj\x01`, a metadata map with `avro.schema` and `avro.codec`, a
 * 16-byte sync marker), then blocks: a record count and a byte size (zig-zag varint
 * longs), the (compressed) serialized records, and the file's sync marker again.
 */
export const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
export const SYNC_SIZE = 16;

/**
 * The block compression codecs beam-ts reads and writes, by their names in the header's
 * `avro.codec` (block-codecs.ts has their implementations). Avro's "bzip2" and "xz" are not
 * among them.
 */
export type AvroCodec = "null" | "deflate" | "snappy" | "zstandard";
export const AVRO_CODECS: readonly AvroCodec[] = ["null", "deflate", "snappy", "zstandard"];

/** A parsed header. */
export interface ContainerHeader {
  /** The writer's schema, parsed from `avro.schema`. */
  readonly schema: unknown;
  readonly codec: AvroCodec;
  readonly sync: Buffer;
  /** Offset of the first block: the byte after the header's sync marker. */
  readonly end: number;
}

/** Thrown by the parsers: what is wrong, at which file offset. Wrapped with the file by the reader. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** The bytes end before the structure does (a truncated file, or more bytes needed). */
    readonly truncated = false,
  ) {
    super(message);
  }
}

/** A zig-zag varint long at `pos`, as a number (exact up to 2^53), and the offset after it. */
export function readLong(buf: Buffer, pos: number, base = 0): { value: number; next: number } {
  let n = 0;
  let mul = 1;
  let i = pos;
  for (;;) {
    if (i >= buf.length) throw new FormatError("the bytes end inside a varint", base + pos, true);
    const b = buf[i++]!;
    n += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
    if (i - pos > 10) throw new FormatError("a varint is longer than 10 bytes", base + pos);
  }
  if (n > Number.MAX_SAFE_INTEGER) throw new FormatError("a count or size is too large", base + pos);
  const value = n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  return { value, next: i };
}

/** The zig-zag varint encoding of a safe integer. */
export function encodeLong(value: number): Buffer {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/**
 * Parses a header from the start of a file. Throws a FormatError with `truncated` when
 * `buf` (the first bytes of the file) ends before the header does: read more and retry.
 */
export function parseHeader(buf: Buffer): ContainerHeader {
  if (buf.length < MAGIC.length) throw new FormatError("the file is shorter than the Avro magic bytes", 0, true);
  if (!buf.subarray(0, 4).equals(MAGIC)) {
    throw new FormatError(`the file does not start with the Avro magic bytes "Obj\\x01" (it starts with ${hex(buf.subarray(0, 4))})`, 0);
  }
  const meta = new Map<string, Buffer>();
  let pos = 4;
  for (;;) {
    const header = readLong(buf, pos);
    let count = header.value;
    pos = header.next;
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      pos = readLong(buf, pos).next; // the block's byte size, unused
    }
    for (let i = 0; i < count; i++) {
      const key = readBytes(buf, pos);
      const value = readBytes(buf, key.next);
      meta.set(key.bytes.toString("utf8"), value.bytes);
      pos = value.next;
    }
  }
  if (pos + SYNC_SIZE > buf.length) throw new FormatError("the bytes end inside the header's sync marker", pos, true);
  const sync = Buffer.from(buf.subarray(pos, pos + SYNC_SIZE));
  const schemaBytes = meta.get("avro.schema");
  if (schemaBytes === undefined) throw new FormatError("the header has no avro.schema", 4);
  let schema: unknown;
  try {
    schema = JSON.parse(schemaBytes.toString("utf8"));
  } catch (err) {
    throw new FormatError(`the header's avro.schema is not JSON (${(err as Error).message})`, 4);
  }
  const codec = meta.get("avro.codec")?.toString("utf8") ?? "null";
  if (!(AVRO_CODECS as readonly string[]).includes(codec)) {
    throw new FormatError(
      `the file's codec "${codec}" is not supported (beam-ts reads ${AVRO_CODECS.map((c) => `"${c}"`).join(", ")}; ` +
        `it bundles no ${codec} codec). Re-write the file with codec "snappy", "deflate" or "null"`,
      4,
    );
  }
  return { schema, codec: codec as AvroCodec, sync, end: pos + SYNC_SIZE };
}

function readBytes(buf: Buffer, pos: number): { bytes: Buffer; next: number } {
  const { value: size, next } = readLong(buf, pos);
  if (size < 0) throw new FormatError(`a negative byte length ${size}`, pos);
  if (next + size > buf.length) throw new FormatError("the bytes end inside the header", next, true);
  return { bytes: buf.subarray(next, next + size), next: next + size };
}

/** The header bytes of a file with this schema, codec and sync marker. */
export function encodeHeader(schemaJson: string, codec: AvroCodec, sync: Buffer): Buffer {
  const entry = (key: string, value: Buffer) => {
    const k = Buffer.from(key, "utf8");
    return [encodeLong(k.length), k, encodeLong(value.length), value];
  };
  return Buffer.concat([
    MAGIC,
    encodeLong(2),
    ...entry("avro.schema", Buffer.from(schemaJson, "utf8")),
    ...entry("avro.codec", Buffer.from(codec, "utf8")),
    encodeLong(0),
    sync,
  ]);
}

/** A block's bytes: count, size, its data (the records as the file's codec compressed them), the sync marker. */
export function encodeBlock(count: number, data: Buffer, sync: Buffer): Buffer {
  return Buffer.concat([encodeLong(count), encodeLong(data.length), data, sync]);
}

/** Bytes in hex for messages: `0x4F 0x62`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`).join(" ");
}
