import type { SchemaElement } from "hyparquet";
import { LogicalTypeUrns, type BigDecimal, type FieldType, type Schema } from "../../model/index.js";

/** Precision and scale of the Parquet DECIMAL columns written for Beam decimal fields. */
export interface DecimalSpec {
  readonly precision: number;
  readonly scale: number;
}

type ToParquet = (value: unknown) => unknown;

/** A Beam field written as Parquet: its schema elements (depth first) and its value converter. */
interface WrittenField {
  readonly elements: SchemaElement[];
  readonly convert: ToParquet;
  /** Written as the row holds it (undefined as null): the writer can skip `convert`. */
  readonly plain?: boolean;
}

/** Bytes of a FIXED_LEN_BYTE_ARRAY holding `precision` decimal digits (Parquet's table). */
function decimalBytes(precision: number): number {
  let n = 1;
  while (2n ** BigInt(8 * n - 1) <= 10n ** BigInt(precision)) n++;
  return n;
}

function rescale(d: BigDecimal, spec: DecimalSpec, where: string): bigint {
  if (d.scale > spec.scale) {
    const drop = 10n ** BigInt(d.scale - spec.scale);
    if (d.unscaledValue % drop !== 0n) {
      throw new Error(`field "${where}": the decimal ${d.unscaledValue}e-${d.scale} has more than ${spec.scale} decimal places; raise the "decimal" option's scale`);
    }
    return d.unscaledValue / drop;
  }
  const out = d.unscaledValue * 10n ** BigInt(spec.scale - d.scale);
  const abs = out < 0n ? -out : out;
  if (abs >= 10n ** BigInt(spec.precision)) throw new Error(`field "${where}": the decimal ${d.unscaledValue}e-${d.scale} needs more than ${spec.precision} digits; raise the "decimal" option's precision`);
  return out;
}

const nullSafe = (f: ToParquet): ToParquet => (v) => (v === null || v === undefined ? null : f(v));

function field(name: string, type: FieldType, decimal: DecimalSpec, where: string): WrittenField {
  const repetition_type = type.nullable === true ? "OPTIONAL" : "REQUIRED";
  const leaf = (el: Omit<SchemaElement, "name" | "repetition_type">, convert?: ToParquet): WrittenField => ({
    elements: [{ name, repetition_type, ...el }],
    convert: nullSafe(convert ?? ((v) => v)),
    plain: convert === undefined,
  });
  switch (type.kind) {
    case "atomic":
      switch (type.type) {
        case "BYTE":
          return leaf({ type: "INT32", converted_type: "INT_8", logical_type: { type: "INTEGER", bitWidth: 8, isSigned: true } });
        case "INT16":
          return leaf({ type: "INT32", converted_type: "INT_16", logical_type: { type: "INTEGER", bitWidth: 16, isSigned: true } });
        case "INT32":
          return leaf({ type: "INT32" });
        case "INT64":
          return leaf({ type: "INT64" });
        case "FLOAT":
          return leaf({ type: "FLOAT" });
        case "DOUBLE":
          return leaf({ type: "DOUBLE" });
        case "BOOLEAN":
          return leaf({ type: "BOOLEAN" });
        case "STRING":
          return leaf({ type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } });
        case "BYTES":
          return leaf({ type: "BYTE_ARRAY" });
        default:
          break;
      }
      break;
    case "logical":
      if (type.urn === LogicalTypeUrns.decimal) {
        const { precision, scale } = decimal;
        return leaf(
          { type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(precision), converted_type: "DECIMAL", precision, scale, logical_type: { type: "DECIMAL", precision, scale } },
          (v) => rescale(v as BigDecimal, decimal, where),
        );
      }
      if (type.urn === LogicalTypeUrns.millisInstant) {
        return leaf({ type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } }, (v) => BigInt(v as number));
      }
      if (type.urn === LogicalTypeUrns.date) return leaf({ type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } });
      if (type.urn === LogicalTypeUrns.fixedChar || type.urn === LogicalTypeUrns.varChar) {
        return leaf({ type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } });
      }
      if (type.urn === LogicalTypeUrns.fixedBytes || type.urn === LogicalTypeUrns.varBytes) return leaf({ type: "BYTE_ARRAY" });
      break;
    case "array":
    case "iterable": {
      const element = field("element", type.element, decimal, `${where}[]`);
      return {
        elements: [
          { name, repetition_type, num_children: 1, converted_type: "LIST", logical_type: { type: "LIST" } },
          { name: "list", repetition_type: "REPEATED", num_children: 1 },
          ...element.elements,
        ],
        convert: nullSafe((v) => Array.from(v as Iterable<unknown>, (x) => element.convert(x))),
      };
    }
    case "map": {
      const key = field("key", { ...type.key, nullable: false }, decimal, `${where}.key`);
      const value = field("value", type.value, decimal, `${where}.value`);
      return {
        elements: [
          { name, repetition_type, num_children: 1, converted_type: "MAP", logical_type: { type: "MAP" } },
          { name: "key_value", repetition_type: "REPEATED", num_children: 2 },
          ...key.elements,
          ...value.elements,
        ],
        convert: nullSafe((v) => new Map(Array.from(v as Map<unknown, unknown>, ([k, x]) => [key.convert(k), value.convert(x)]))),
      };
    }
    case "row": {
      const children = type.schema.fields.map((f) => ({ name: f.name, written: field(f.name, f.type, decimal, `${where}.${f.name}`) }));
      return {
        elements: [{ name, repetition_type, num_children: children.length }, ...children.flatMap((c) => c.written.elements)],
        convert: nullSafe((v) => {
          const row = v as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const c of children) out[c.name] = c.written.convert(row[c.name]);
          return out;
        }),
      };
    }
    default:
      break;
  }
  const what = type.kind === "logical" ? `logical type ${type.urn}` : `${type.kind}${type.kind === "atomic" ? ` ${type.type}` : ""}`;
  throw new Error(`field "${where}" has ${what}, which writeParquet does not write (no Parquet type maps to it here). Convert it first, e.g. to a string.`);
}

/** A top-level column: its field's name and its converter, undefined where values are written as they are (undefined as null). */
export interface WrittenColumn {
  readonly name: string;
  readonly convert: ToParquet | undefined;
}

/** The Parquet schema (root first) of a Beam schema, and a converter from a row to Parquet's values per top-level column. */
export function parquetSchemaOf(schema: Schema, decimal: DecimalSpec): { elements: SchemaElement[]; columns: WrittenColumn[] } {
  const fields = schema.fields.map((f) => ({ name: f.name, written: field(f.name, f.type, decimal, f.name) }));
  return {
    elements: [{ name: "root", num_children: fields.length }, ...fields.flatMap((f) => f.written.elements)],
    columns: fields.map((f) => ({ name: f.name, convert: f.written.plain === true ? undefined : f.written.convert })),
  };
}
