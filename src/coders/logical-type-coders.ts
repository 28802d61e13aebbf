import type { ByteReader, ByteWriter, Coder, FieldType } from "../model/index.js";
import { CoderError, LogicalTypeUrns, enumCases, oneOfSchema } from "../model/index.js";

/**
 * Logical types whose JS values differ from their representation's: the row coder writes
 * the representation (so every Beam SDK reads the bytes) and converts at the edge, as each
 * SDK's LogicalType.toBaseType/toInputType does. The others (fixed/var bytes and chars,
 * python_callable, unknown URNs) are their representation's values.
 */

type Logical = Extract<FieldType, { kind: "logical" }>;
type RowValue = Readonly<Record<string, unknown>>;

interface Conversion {
  toRepresentation(value: unknown): unknown;
  fromRepresentation(value: unknown): unknown;
}

const MICROS_PER_SECOND = 1_000_000n;

function conversionOf(type: Logical): Conversion | undefined {
  switch (type.urn) {
    case LogicalTypeUrns.microsInstant:
      // Python's MicrosInstant: seconds by floor division, micros the non-negative rest.
      return {
        toRepresentation: (v) => {
          const micros = v as bigint;
          const rest = ((micros % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND;
          return { seconds: (micros - rest) / MICROS_PER_SECOND, micros: rest };
        },
        fromRepresentation: (v) => (v as { seconds: bigint }).seconds * MICROS_PER_SECOND + (v as { micros: bigint }).micros,
      };
    case LogicalTypeUrns.date:
    case LogicalTypeUrns.time:
      // Days and nanoseconds of day fit doubles exactly (Java's LocalDate range is ±3.7e11 days).
      return { toRepresentation: (v) => BigInt(v as number), fromRepresentation: (v) => Number(v as bigint) };
    case LogicalTypeUrns.datetime:
      return {
        toRepresentation: (v) => ({ Date: BigInt((v as { date: number }).date), Time: BigInt((v as { time: number }).time) }),
        fromRepresentation: (v) => ({ date: Number((v as { Date: bigint }).Date), time: Number((v as { Time: bigint }).Time) }),
      };
    case LogicalTypeUrns.uuid:
      return {
        toRepresentation: (v) => {
          const hex = (v as string).replace(/-/g, "");
          return {
            MostSignificantBits: BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)),
            LeastSignificantBits: BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)),
          };
        },
        fromRepresentation: (v) => {
          const r = v as { MostSignificantBits: bigint; LeastSignificantBits: bigint };
          const hex = BigInt.asUintN(64, r.MostSignificantBits).toString(16).padStart(16, "0") + BigInt.asUintN(64, r.LeastSignificantBits).toString(16).padStart(16, "0");
          return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        },
      };
    case LogicalTypeUrns.enumeration: {
      const byName = enumCases(type);
      const byNumber = new Map([...byName].map(([name, n]) => [n, name] as const));
      return {
        toRepresentation: (v) => byName.get(v as string),
        fromRepresentation: (v) => {
          const name = byNumber.get(v as number);
          if (name === undefined) throw new CoderError(`Enumeration value ${String(v)} is not one of its cases (${[...byName].map(([k, n]) => `${k}=${n}`).join(", ")}).`);
          return name;
        },
      };
    }
    case LogicalTypeUrns.oneOf: {
      const fields = oneOfSchema(type).fields;
      return {
        toRepresentation: (v) => {
          const { case: c, value } = v as { case: string; value: unknown };
          return Object.fromEntries(fields.map((f) => [f.name, f.name === c ? value : null]));
        },
        fromRepresentation: (v) => {
          const row = v as RowValue;
          const set = fields.filter((f) => row[f.name] !== null && row[f.name] !== undefined);
          if (set.length !== 1) throw new CoderError(`A one_of row must have exactly one field set, got ${set.length} (${set.map((f) => f.name).join(", ")}).`);
          const name = (set[0] as { name: string }).name;
          return { case: name, value: row[name] };
        },
      };
    }
    default:
      return undefined;
  }
}

/** Converts values of a logical type to and from its representation around `representation`. */
class LogicalValueCoder implements Coder<unknown> {
  readonly urn: string;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(
    private readonly type: Logical,
    private readonly representation: Coder<unknown>,
    private readonly conversion: Conversion,
  ) {
    this.urn = representation.urn;
    this.components = representation.components;
    this.deterministic = representation.deterministic;
  }
  encode(value: unknown, writer: ByteWriter, nested: boolean): void {
    this.representation.encode(this.conversion.toRepresentation(value), writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): unknown {
    return this.conversion.fromRepresentation(this.representation.decode(reader, nested));
  }
  toString(): string {
    return this.type.urn.split(":")[2] ?? this.type.urn;
  }
}

/**
 * The coder of a logical type's JS values over the coder of its representation: the
 * representation coder itself when the values are the same.
 *
 * @example
 * // A uuid field: the row coder of its representation, converting from and to strings.
 * const uuidCoder = logicalValueCoder(uuidType, representationCoder);
 */
export function logicalValueCoder(type: Logical, representation: Coder<unknown>): Coder<unknown> {
  const conversion = conversionOf(type);
  return conversion === undefined ? representation : new LogicalValueCoder(type, representation, conversion);
}
