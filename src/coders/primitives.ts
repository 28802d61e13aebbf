import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError, describeValue } from "../model/index.js";
import { CoderUrns } from "./urns.js";

/** The shape shared by coders without components. */
abstract class AtomicCoder<T> implements Coder<T> {
  abstract readonly urn: string;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic: boolean = true;
  abstract encode(value: T, writer: ByteWriter, nested: boolean): void;
  abstract decode(reader: ByteReader, nested: boolean): T;
  abstract toString(): string;
}

function wrongType(coder: string, expected: string, value: unknown): CoderError {
  return new CoderError(
    `${coder} expected ${expected} but got ${describeValue(value)}. ` +
      `Set a coder that matches the elements with .withCoder(...) or fix the transform's output.`,
  );
}

/** Raw bytes; length-prefixed in the nested context. */
class BytesCoder extends AtomicCoder<Uint8Array> {
  readonly urn = CoderUrns.bytes;
  encode(value: Uint8Array, writer: ByteWriter, nested: boolean): void {
    if (!(value instanceof Uint8Array)) throw wrongType("bytes", "a Uint8Array", value);
    if (nested) writer.writeVarInt(value.length);
    writer.writeBytes(value);
  }
  decode(reader: ByteReader, nested: boolean): Uint8Array {
    return nested ? reader.readBytes(reader.readVarInt()) : reader.readRest();
  }
  toString(): string {
    return "bytes";
  }
}

/** UTF-8 strings; length-prefixed in the nested context. */
class StringUtf8Coder extends AtomicCoder<string> {
  readonly urn = CoderUrns.stringUtf8;
  encode(value: string, writer: ByteWriter, nested: boolean): void {
    if (typeof value !== "string") throw wrongType("string_utf8", "a string", value);
    writer.writeUtf8(value, nested);
  }
  decode(reader: ByteReader, nested: boolean): string {
    return reader.readUtf8(nested ? reader.readVarInt() : reader.remaining);
  }
  toString(): string {
    return "string_utf8";
  }
}

/**
 * Beam's varint: a signed 64-bit integer as an unsigned LEB128 varint of its two's
 * complement (negative values take 10 bytes). Values are JS numbers and must be safe
 * integers; use bigVarIntCoder for the full 64-bit range.
 */
class VarIntCoder extends AtomicCoder<number> {
  readonly urn = CoderUrns.varint;
  encode(value: number, writer: ByteWriter): void {
    if (!Number.isSafeInteger(value)) {
      throw wrongType("varint", "a safe integer (use bigVarIntCoder for 64-bit values, doubleCoder for fractions)", value);
    }
    writer.writeVarInt(value);
  }
  decode(reader: ByteReader): number {
    return reader.readVarInt();
  }
  toString(): string {
    return "varint";
  }
}

/** Beam's varint with values as bigint: the full signed 64-bit range. */
class BigVarIntCoder extends AtomicCoder<bigint> {
  readonly urn = CoderUrns.varint;
  encode(value: bigint, writer: ByteWriter): void {
    if (typeof value !== "bigint" || BigInt.asIntN(64, value) !== value) {
      throw wrongType("varint (bigint)", "a bigint in the signed 64-bit range", value);
    }
    writer.writeVarInt(value);
  }
  decode(reader: ByteReader): bigint {
    return reader.readVarBigInt();
  }
  toString(): string {
    return "varint(bigint)";
  }
}

/** IEEE 754 doubles, 8 bytes big-endian. */
class DoubleCoder extends AtomicCoder<number> {
  readonly urn = CoderUrns.double;
  encode(value: number, writer: ByteWriter): void {
    if (typeof value !== "number") throw wrongType("double", "a number", value);
    writer.writeDoubleBE(value);
  }
  decode(reader: ByteReader): number {
    return reader.readDoubleBE();
  }
  toString(): string {
    return "double";
  }
}

/** Booleans as one byte, 0 or 1. */
class BoolCoder extends AtomicCoder<boolean> {
  readonly urn = CoderUrns.bool;
  encode(value: boolean, writer: ByteWriter): void {
    if (typeof value !== "boolean") throw wrongType("bool", "a boolean", value);
    writer.writeByte(value ? 1 : 0);
  }
  decode(reader: ByteReader): boolean {
    const b = reader.readByte();
    if (b > 1) throw new CoderError(`bool expected the byte 0 or 1 but read ${b}.`);
    return b === 1;
  }
  toString(): string {
    return "bool";
  }
}

export const bytesCoder: Coder<Uint8Array> = new BytesCoder();
export const stringUtf8Coder: Coder<string> = new StringUtf8Coder();
export const varIntCoder: Coder<number> = new VarIntCoder();
export const bigVarIntCoder: Coder<bigint> = new BigVarIntCoder();
export const doubleCoder: Coder<number> = new DoubleCoder();
export const boolCoder: Coder<boolean> = new BoolCoder();
