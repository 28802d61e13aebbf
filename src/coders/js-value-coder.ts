import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError, Secret, describeValue } from "../model/index.js";
import { BufferWriter } from "./byte-buffer.js";
import { CoderUrns } from "./urns.js";

/**
 * A compact tagged binary encoding for JS data: primitives, arrays, plain objects,
 * Uint8Array, bigint, Date, Map, Set and Secret, nested freely. Class instances, functions and
 * symbols are rejected with an error that asks for an explicit coder, because their
 * prototype would be lost silently otherwise.
 *
 * In deterministic mode (used for keys) equal values encode to equal bytes: object keys
 * are sorted and Map and Set entries are sorted by their encoding. -0 stays -0 (a double),
 * so, grouped by their bytes as Beam groups keys, -0 and 0 are two keys, as they are in
 * Beam Java (DoubleCoder) and Python (floats), and a -0 key decodes to -0.
 *
 * A Secret (an element holding parsed options, say) is written under its own tag around its
 * revealed value, so it decodes as a Secret in the executor, thread or worker that reads it
 * and stays `****` in metrics, logs and errors there. The bytes hold the value, as any
 * encoding must that is decoded again: shuffled and spilled data is not redacted.
 */
const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  PosInt = 4,
  NegInt = 5,
  Double = 6,
  String = 7,
  Array = 8,
  Object = 9,
  Bytes = 10,
  BigInt = 11,
  Date = 12,
  Map = 13,
  Set = 14,
  Secret = 15,
}

const MAX_DEPTH = 512;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

class JsValueCoder implements Coder<unknown> {
  readonly urn: string;
  readonly components: readonly Coder<unknown>[] = [];
  constructor(readonly deterministic: boolean) {
    this.urn = deterministic ? CoderUrns.jsValueDeterministic : CoderUrns.jsValue;
  }

  encode(value: unknown, writer: ByteWriter): void {
    this.write(value, writer, 0);
  }

  decode(reader: ByteReader): unknown {
    return this.read(reader);
  }

  toString(): string {
    return this.deterministic ? "js_value(deterministic)" : "js_value";
  }

  private write(v: unknown, w: ByteWriter, depth: number): void {
    switch (typeof v) {
      case "string":
        w.writeByte(Tag.String);
        w.writeUtf8(v, true);
        return;
      case "number":
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
          if (v >= 0) {
            w.writeByte(Tag.PosInt);
            w.writeVarInt(v);
          } else {
            w.writeByte(Tag.NegInt);
            w.writeVarInt(-v);
          }
        } else {
          w.writeByte(Tag.Double);
          w.writeDoubleBE(v);
        }
        return;
      case "boolean":
        w.writeByte(v ? Tag.True : Tag.False);
        return;
      case "undefined":
        w.writeByte(Tag.Undefined);
        return;
      case "bigint":
        w.writeByte(Tag.BigInt);
        w.writeUtf8(v.toString(), true);
        return;
      case "object":
        if (v === null) {
          w.writeByte(Tag.Null);
          return;
        }
        if (depth > MAX_DEPTH) {
          throw new CoderError(`js_value coder: the value is nested deeper than ${MAX_DEPTH} levels or is cyclic.`);
        }
        this.writeObject(v, w, depth + 1);
        return;
      default:
        throw this.unsupported(v);
    }
  }

  private writeObject(v: object, w: ByteWriter, depth: number): void {
    if (Array.isArray(v)) {
      w.writeByte(Tag.Array);
      w.writeVarInt(v.length);
      for (const item of v) this.write(item, w, depth);
      return;
    }
    if (v instanceof Uint8Array) {
      w.writeByte(Tag.Bytes);
      w.writeVarInt(v.length);
      w.writeBytes(v);
      return;
    }
    if (v instanceof Date) {
      w.writeByte(Tag.Date);
      w.writeDoubleBE(v.getTime());
      return;
    }
    if (v instanceof Map) {
      w.writeByte(Tag.Map);
      w.writeVarInt(v.size);
      if (!this.deterministic) {
        for (const [k, x] of v) {
          this.write(k, w, depth);
          this.write(x, w, depth);
        }
        return;
      }
      const entries = [...v].map(([k, x]) => [this.bytesOf(k, depth), this.bytesOf(x, depth)] as const);
      entries.sort((a, b) => compareBytes(a[0], b[0]));
      for (const [k, x] of entries) {
        w.writeBytes(k);
        w.writeBytes(x);
      }
      return;
    }
    if (v instanceof Set) {
      w.writeByte(Tag.Set);
      w.writeVarInt(v.size);
      if (!this.deterministic) {
        for (const item of v) this.write(item, w, depth);
        return;
      }
      const items = [...v].map((item) => this.bytesOf(item, depth));
      items.sort(compareBytes);
      for (const item of items) w.writeBytes(item);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      // Asked of class instances only, so plain data pays nothing for it.
      if (Secret.isSecret(v)) return this.writeSecret(v, w, depth);
      throw this.unsupported(v);
    }
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    if (this.deterministic) keys.sort();
    w.writeByte(Tag.Object);
    w.writeVarInt(keys.length);
    for (const k of keys) {
      w.writeUtf8(k, true);
      this.write(record[k], w, depth);
    }
  }

  private writeSecret(v: Secret<unknown>, w: ByteWriter, depth: number): void {
    w.writeByte(Tag.Secret);
    try {
      this.write(v.reveal(), w, depth);
    } catch {
      // The inner error describes the value: say what failed without it.
      throw new CoderError(
        `The default JS value coder cannot encode the value inside a Secret (not shown): it handles primitives, ` +
          `arrays, plain objects, Uint8Array, bigint, Date, Map and Set. Keep a secret as a string or plain data.`,
      );
    }
  }

  private bytesOf(v: unknown, depth: number): Uint8Array {
    const w = new BufferWriter(32);
    this.write(v, w, depth);
    return w.finish();
  }

  private unsupported(v: unknown): CoderError {
    const what =
      typeof v === "object" && v !== null
        ? `an instance of ${(v as { constructor?: { name?: string } }).constructor?.name ?? "a class"}`
        : `a ${typeof v}`;
    return new CoderError(
      `The default JS value coder cannot encode ${what} (${describeValue(v)}): it handles primitives, arrays, ` +
        `plain objects, Uint8Array, bigint, Date, Map, Set and Secret. Give the PCollection a coder for this type ` +
        `with .withCoder(...), or output plain data.`,
    );
  }

  private read(r: ByteReader): unknown {
    const tag = r.readByte();
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.PosInt:
        return r.readVarInt();
      case Tag.NegInt:
        return -r.readVarInt();
      case Tag.Double:
        return r.readDoubleBE();
      case Tag.String:
        return r.readUtf8(r.readVarInt());
      case Tag.Array: {
        const n = r.readVarInt();
        const out: unknown[] = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.read(r);
        return out;
      }
      case Tag.Object: {
        const n = r.readVarInt();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = r.readUtf8(r.readVarInt());
          out[k] = this.read(r);
        }
        return out;
      }
      case Tag.Bytes:
        return r.readBytes(r.readVarInt());
      case Tag.BigInt:
        return BigInt(r.readUtf8(r.readVarInt()));
      case Tag.Date:
        return new Date(r.readDoubleBE());
      case Tag.Map: {
        const n = r.readVarInt();
        const out = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) {
          const k = this.read(r);
          out.set(k, this.read(r));
        }
        return out;
      }
      case Tag.Set: {
        const n = r.readVarInt();
        const out = new Set<unknown>();
        for (let i = 0; i < n; i++) out.add(this.read(r));
        return out;
      }
      case Tag.Secret:
        return new Secret(this.read(r));
      default:
        throw new CoderError(`js_value coder read the unknown tag ${tag} at offset ${r.position - 1}.`);
    }
  }
}

/** The general coder for JS values; the default when no better coder is known. */
export const jsValueCoder: Coder<unknown> = new JsValueCoder(false);
/** The JS value coder in deterministic mode, for keys. */
export const deterministicJsValueCoder: Coder<unknown> = new JsValueCoder(true);
