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
  writeDoubleBE(n: number): void;
  writeInt32BE(n: number): void;
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
  readDoubleBE(): number;
  readInt32BE(): number;
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
