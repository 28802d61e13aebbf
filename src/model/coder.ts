/**
 * The Coder contract. Implementations live in src/coders; the contract sits in the model
 * because WindowFns and schemas name the coder of their values.
 */

/** Appends bytes; implementations grow a buffer. */
export interface ByteWriter {
  writeByte(b: number): void;
  writeBytes(bytes: Uint8Array): void;
  /** Unsigned LEB128 varint of a non-negative integer (or bigint for the full 64 bits). */
  writeVarInt(n: number | bigint): void;
  writeFixed64BE(n: bigint): void;
  /** A safe integer as 8 big-endian bytes of its 64-bit two's complement. */
  writeInt64BE(n: number): void;
  writeDoubleBE(n: number): void;
  writeFloatBE(n: number): void;
  writeInt32BE(n: number): void;
  writeInt16BE(n: number): void;
  /** UTF-8 bytes of `s`, preceded by their varint length when `lengthPrefixed`. */
  writeUtf8(s: string, lengthPrefixed: boolean): void;
  finish(): Uint8Array;
}

/** Reads bytes written by a ByteWriter. */
export interface ByteReader {
  readonly position: number;
  readonly remaining: number;
  readByte(): number;
  readBytes(n: number): Uint8Array;
  readVarInt(): number;
  readVarBigInt(): bigint;
  readFixed64BE(): bigint;
  readInt64BE(): number;
  readDoubleBE(): number;
  readFloatBE(): number;
  readInt32BE(): number;
  readInt16BE(): number;
  /** Decodes `byteLength` bytes of UTF-8. */
  readUtf8(byteLength: number): string;
  /** The rest of the input, for coders in the outer context. */
  readRest(): Uint8Array;
}

/**
 * Encodes values of T to bytes and back. `nested` is Beam's nested context: when true,
 * the encoding must be self-delimiting (it is followed by more data); when false the
 * value owns the rest of the stream.
 */
export interface Coder<T> {
  /** Beam's URN for standard coders; `beam-ts:coder:...` for ours. */
  readonly urn: string;
  readonly components: readonly Coder<unknown>[];
  /**
   * True when equal values always encode to equal bytes. GroupByKey requires a
   * deterministic key coder.
   */
  readonly deterministic: boolean;
  encode(value: T, writer: ByteWriter, nested: boolean): void;
  decode(reader: ByteReader, nested: boolean): T;
  /** A short description for messages: `kv<string_utf8, varint>`. */
  toString(): string;
}
