import type { ByteReader, ByteWriter, Coder, KV } from "../model/index.js";
import { CoderError, describeValue, isKv } from "../model/index.js";
import { CoderUrns } from "./urns.js";
import { BufferReader, BufferWriter } from "./byte-buffer.js";

/** The shape of coders around one component: deterministic when the component is. */
abstract class WrapperCoder<T, C> implements Coder<T> {
  abstract readonly urn: string;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(readonly inner: Coder<C>) {
    this.components = [inner];
    this.deterministic = inner.deterministic;
  }
  abstract encode(value: T, writer: ByteWriter, nested: boolean): void;
  abstract decode(reader: ByteReader, nested: boolean): T;
  abstract toString(): string;
}

/** Key then value; the key is always nested, the value takes the outer context. */
class KvCoder<K, V> implements Coder<KV<K, V>> {
  readonly urn = CoderUrns.kv;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(
    readonly keyCoder: Coder<K>,
    readonly valueCoder: Coder<V>,
  ) {
    this.components = [keyCoder, valueCoder];
    this.deterministic = keyCoder.deterministic && valueCoder.deterministic;
  }
  encode(value: KV<K, V>, writer: ByteWriter, nested: boolean): void {
    if (!isKv(value)) {
      throw new CoderError(
        `kv coder expected a KV ({ key, value }) but got ${describeValue(value)}. Build KVs with kv(key, value).`,
      );
    }
    this.keyCoder.encode(value.key, writer, true);
    this.valueCoder.encode(value.value, writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): KV<K, V> {
    const key = this.keyCoder.decode(reader, true);
    return { key, value: this.valueCoder.decode(reader, nested) };
  }
  toString(): string {
    return `kv<${this.keyCoder.toString()}, ${this.valueCoder.toString()}>`;
  }
}

/**
 * A 4-byte big-endian count then the elements, nested. Decoding also accepts Beam's
 * unknown-length form (count -1, then varint-counted blocks ending with a 0 block).
 */
class IterableCoder<T> extends WrapperCoder<Iterable<T>, T> {
  readonly urn = CoderUrns.iterable;
  encode(value: Iterable<T>, writer: ByteWriter): void {
    writeCountedIterable("iterable", this.inner, value, writer);
  }
  decode(reader: ByteReader): T[] {
    const out: T[] = [];
    const terminator = readIterableElements(reader, this.inner, out);
    if (terminator !== 0) {
      // As Java's IterableLikeCoder: only a state-backed iterable may end in a state token.
      throw new CoderError(
        `iterable coder read the block terminator ${terminator} after ${out.length} elements; -1 starts the state token of a beam:coder:state_backed_iterable:v1, which this coder is not.`,
      );
    }
    return out;
  }
  toString(): string {
    return `iterable<${this.inner.toString()}>`;
  }
}

/**
 * Reads the elements of Beam's iterable encoding into `out`: a 4-byte big-endian count then
 * the elements, nested; or, when the count is -1 (unknown length), varint-counted blocks of
 * elements up to a block count that is not positive, the terminator. Returns the
 * terminator: 0 for a complete iterable (and for the counted form), -1 when a state token
 * for the remaining elements follows (state_backed_iterable), anything else is corrupt.
 */
/**
 * Writes an iterable in Beam's counted form (a 4-byte big-endian count, then the elements,
 * nested): the encoding of the iterable and state_backed_iterable coders. `coder` names the
 * coder in the error for a value that is not iterable.
 */
export function writeCountedIterable<T>(coder: string, elementCoder: Coder<T>, value: Iterable<T>, writer: ByteWriter): void {
  if (value === null || typeof value !== "object" || !(Symbol.iterator in value)) {
    throw new CoderError(`${coder} coder expected an iterable but got ${describeValue(value)}.`);
  }
  const items = Array.isArray(value) ? (value as T[]) : [...value];
  writer.writeInt32BE(items.length);
  for (const item of items) elementCoder.encode(item, writer, true);
}

export function readIterableElements<T>(reader: ByteReader, elementCoder: Coder<T>, out: T[]): number {
  const count = reader.readInt32BE();
  if (count >= 0) {
    for (let i = 0; i < count; i++) out.push(elementCoder.decode(reader, true));
    return 0;
  }
  let block = reader.readVarInt();
  for (; block > 0; block = reader.readVarInt()) {
    for (let i = 0; i < block; i++) out.push(elementCoder.decode(reader, true));
  }
  return block;
}

/** The inner encoding (outer context) preceded by its varint byte length. */
class LengthPrefixCoder<T> extends WrapperCoder<T, T> {
  readonly urn = CoderUrns.lengthPrefix;
  encode(value: T, writer: ByteWriter): void {
    const inner = encodeInner(this.inner, value);
    writer.writeVarInt(inner.length);
    writer.writeBytes(inner);
  }
  decode(reader: ByteReader): T {
    const bytes = reader.readBytes(reader.readVarInt());
    return decodeInner(this.inner, bytes);
  }
  toString(): string {
    return `length_prefix<${this.inner.toString()}>`;
  }
}

/** A 0 byte for null (or undefined), else a 1 byte and the value. */
class NullableCoder<T> extends WrapperCoder<T | null, T> {
  readonly urn = CoderUrns.nullable;
  encode(value: T | null, writer: ByteWriter, nested: boolean): void {
    if (value === null || value === undefined) {
      writer.writeByte(0);
      return;
    }
    writer.writeByte(1);
    this.inner.encode(value, writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): T | null {
    const flag = reader.readByte();
    if (flag === 0) return null;
    if (flag !== 1) throw new CoderError(`nullable coder expected a 0 or 1 marker byte but read ${flag}.`);
    return this.inner.decode(reader, nested);
  }
  toString(): string {
    return `nullable<${this.inner.toString()}>`;
  }
}


function encodeInner<T>(coder: Coder<T>, value: T): Uint8Array {
  const w = new BufferWriter(64);
  coder.encode(value, w, false);
  return w.finish();
}

function decodeInner<T>(coder: Coder<T>, bytes: Uint8Array): T {
  return coder.decode(new BufferReader(bytes), false);
}

export function kvCoder<K, V>(keyCoder: Coder<K>, valueCoder: Coder<V>): Coder<KV<K, V>> {
  return new KvCoder(keyCoder, valueCoder);
}

export function iterableCoder<T>(elementCoder: Coder<T>): Coder<Iterable<T>> {
  return new IterableCoder(elementCoder);
}

export function lengthPrefixCoder<T>(inner: Coder<T>): Coder<T> {
  return new LengthPrefixCoder(inner);
}

export function nullableCoder<T>(inner: Coder<T>): Coder<T | null> {
  return new NullableCoder(inner);
}
