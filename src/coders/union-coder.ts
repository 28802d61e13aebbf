import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError, describeValue } from "../model/index.js";
import { CoderUrns } from "./urns.js";

/** A value of one of several inputs, with the index of its input (Beam's RawUnionValue). */
export interface UnionValue {
  readonly tag: number;
  readonly value: unknown;
}

/**
 * Beam's UnionCoder, which CoGroupByKey gives the values it flattens together: the tag as a
 * varint, then the value in the coder of that tag's input (in the outer context). Each
 * input keeps its own coder, so values cross threads and the disk as compactly as in their
 * own PCollection, and values only their input's coder can encode still can.
 */
class UnionCoder implements Coder<UnionValue> {
  readonly urn = CoderUrns.union;
  readonly deterministic: boolean;
  constructor(readonly components: readonly Coder<unknown>[]) {
    this.deterministic = components.every((c) => c.deterministic);
  }
  encode(u: UnionValue, writer: ByteWriter, nested: boolean): void {
    const coder = this.components[u.tag];
    if (coder === undefined) {
      throw new CoderError(`union coder of ${this.components.length} inputs got ${describeValue(u)}, whose tag names none of them.`);
    }
    writer.writeVarInt(u.tag);
    coder.encode(u.value, writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): UnionValue {
    const tag = reader.readVarInt();
    const coder = this.components[tag];
    if (coder === undefined) throw new CoderError(`union coder read tag ${tag} but has ${this.components.length} inputs (corrupt or foreign bytes).`);
    return { tag, value: coder.decode(reader, nested) };
  }
  toString(): string {
    return `union<${this.components.map((c) => c.toString()).join(", ")}>`;
  }
}

/** The coder of `UnionValue`s whose tag `i` holds values of `coders[i]`. */
export function unionCoder(coders: readonly Coder<unknown>[]): Coder<UnionValue> {
  if (coders.length === 0) throw new CoderError("A union coder needs at least one input coder.");
  return new UnionCoder(coders);
}
