import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError } from "../model/index.js";
import { CoderUrns, jsValueCoder, type CoderSpec } from "../coders/index.js";
import { OffsetRange } from "../transforms/index.js";

/** First byte of an encoded restriction: which of the two encodings follows. */
const enum Tag {
  JsValue = 0,
  OffsetRange = 1,
}

/**
 * The coder of splittable-DoFn restrictions between the runner and the harness
 * (`beam-ts:coder:sdf_restriction:v1`): an OffsetRange, the restriction of every
 * built-in source, as its two offsets (8-byte signed integers, so Beam's Long.MAX_VALUE
 * stand-in, Number.MAX_SAFE_INTEGER, is exact); anything else with the JS value coder
 * (plain data). Self-delimiting, so nested and outer contexts encode alike.
 *
 * @example
 * encodeToBytes(restrictionCoder, new OffsetRange(0, 100)); // [1, 0 x 8, 0,0,0,0,0,0,0,100]
 */
export const restrictionCoder: Coder<unknown> = {
  urn: CoderUrns.sdfRestriction,
  components: [],
  deterministic: false,
  encode(value: unknown, writer: ByteWriter): void {
    if (value instanceof OffsetRange) {
      writer.writeByte(Tag.OffsetRange);
      writer.writeInt64BE(value.from);
      writer.writeInt64BE(value.to);
      return;
    }
    writer.writeByte(Tag.JsValue);
    jsValueCoder.encode(value, writer, true);
  },
  decode(reader: ByteReader): unknown {
    const tag = reader.readByte();
    if (tag === Tag.OffsetRange) {
      const from = reader.readInt64BE();
      return new OffsetRange(from, reader.readInt64BE());
    }
    if (tag !== Tag.JsValue) throw new CoderError(`sdf_restriction: unknown tag ${tag} (corrupt or foreign bytes).`);
    return jsValueCoder.decode(reader, true);
  },
  toString(): string {
    return "sdf_restriction";
  },
};

/** Resolves the coders only the harness knows (for `coderFromSpec`'s `resolve` option). */
export function harnessCoder(spec: CoderSpec): Coder<unknown> | undefined {
  return spec.urn === CoderUrns.sdfRestriction ? restrictionCoder : undefined;
}
