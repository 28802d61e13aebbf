import { describeValue } from "../errors.js";
import { LogicalTypeUrns, type FieldType, type Schema } from "./schema-types.js";

/**
 * Checks JS values against Beam schema types, so that a row coder can refuse a wrong value
 * with the path of the field, the type it expected and the value it got, before writing any
 * byte. The values accepted are exactly those the row coder decodes to (an INT64 is a bigint,
 * never a number): a value that passes inside a fused stage must look the same after a
 * shuffle.
 */

const INT_RANGES: Readonly<Record<"BYTE" | "INT16" | "INT32", readonly [number, number]>> = {
  BYTE: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
};
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A short name of a field type for messages: `string`, `int64 (bigint)`, `array<string>`,
 * `row {street, zip}`, `nullable string`.
 *
 * @example
 * describeFieldType({ kind: "atomic", type: "INT64" }); // "int64 (bigint)"
 */
export function describeFieldType(type: FieldType): string {
  const base = describeBase(type);
  return type.nullable === true ? `nullable ${base}` : base;
}

function describeBase(type: FieldType): string {
  switch (type.kind) {
    case "atomic":
      switch (type.type) {
        case "INT64":
          return "int64 (bigint)";
        case "BYTES":
          return "bytes (Uint8Array)";
        case "BYTE":
        case "INT16":
        case "INT32":
          return `${type.type.toLowerCase()} (integer number)`;
        default:
          return type.type.toLowerCase();
      }
    case "array":
    case "iterable":
      return `${type.kind}<${describeFieldType(type.element)}>`;
    case "map":
      return `map<${describeFieldType(type.key)}, ${describeFieldType(type.value)}> (a Map)`;
    case "row":
      return `row {${type.schema.fields.map((f) => f.name).join(", ")}}`;
    case "logical":
      return describeLogical(type);
  }
}

function describeLogical(type: Extract<FieldType, { kind: "logical" }>): string {
  switch (type.urn) {
    case LogicalTypeUrns.millisInstant:
      return "timestamp (Instant: integer milliseconds since the epoch)";
    case LogicalTypeUrns.microsInstant:
      return "micros_instant (bigint microseconds since the epoch)";
    case LogicalTypeUrns.decimal:
      return "decimal (BigDecimal, e.g. parseBigDecimal(\"1.5\"))";
    case LogicalTypeUrns.date:
      return "date (integer days since 1970-01-01)";
    case LogicalTypeUrns.time:
      return "time (integer nanoseconds since midnight)";
    case LogicalTypeUrns.datetime:
      return "datetime ({ date: days, time: nanoseconds })";
    case LogicalTypeUrns.fixedBytes:
      return `fixed_bytes(${String(type.argument)})`;
    case LogicalTypeUrns.varBytes:
      return `var_bytes(${String(type.argument)})`;
    case LogicalTypeUrns.fixedChar:
      return `fixed_char(${String(type.argument)})`;
    case LogicalTypeUrns.varChar:
      return `var_char(${String(type.argument)})`;
    case LogicalTypeUrns.enumeration:
      return `enumeration of ${[...enumCases(type).keys()].map((c) => JSON.stringify(c)).join(" | ")}`;
    case LogicalTypeUrns.oneOf:
      return `one_of { case: ${oneOfSchema(type).fields.map((f) => JSON.stringify(f.name)).join(" | ")}, value }`;
    case LogicalTypeUrns.uuid:
      return "uuid (string, 8-4-4-4-12 hex digits)";
    case LogicalTypeUrns.pythonCallable:
      return "python_callable (string)";
    default:
      return `${type.urn} as ${describeFieldType(type.representation)}`;
  }
}

/** The case names and numbers of an enumeration type. */
export function enumCases(type: Extract<FieldType, { kind: "logical" }>): ReadonlyMap<string, number> {
  return type.argument instanceof Map ? (type.argument as ReadonlyMap<string, number>) : new Map();
}

/** The row of nullable fields a one_of type is represented as. */
export function oneOfSchema(type: Extract<FieldType, { kind: "logical" }>): Schema {
  return type.representation.kind === "row" ? type.representation.schema : { fields: [] };
}

/**
 * Why `value` is not a value of `type`, as `path: expected ..., got ...`, or undefined when
 * it is one. Null and undefined are values of nullable types only.
 *
 * @example
 * fieldTypeMismatch({ kind: "atomic", type: "STRING" }, 12345, "Order.address.zip");
 * // "Order.address.zip: expected string, got 12345"
 */
export function fieldTypeMismatch(type: FieldType, value: unknown, path: string): string | undefined {
  if (value === null || value === undefined) {
    return type.nullable === true ? undefined : `${path}: expected ${describeFieldType(type)}, got ${String(value)}`;
  }
  const ok = baseMismatch(type, value, path);
  return ok === false ? `${path}: expected ${describeFieldType(type)}, got ${describeValue(value, 80)}` : ok;
}

/**
 * Why `row` is not a row of `schema` (naming the first wrong field's path from `name`), or
 * undefined when it is one.
 *
 * @example
 * rowMismatch({ fields: [{ name: "n", type: { kind: "atomic", type: "INT32" } }] }, { n: "x" }, "Counts");
 * // 'Counts.n: expected int32 (integer number), got "x"'
 */
export function rowMismatch(schema: Schema, row: unknown, name: string): string | undefined {
  if (typeof row !== "object" || row === null || Array.isArray(row) || row instanceof Map) {
    return `${name}: expected a row {${schema.fields.map((f) => f.name).join(", ")}}, got ${describeValue(row, 80)}`;
  }
  const record = row as Readonly<Record<string, unknown>>;
  for (const f of schema.fields) {
    const problem = fieldTypeMismatch(f.type, record[f.name], `${name}.${f.name}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** False for a plain mismatch of this level, a message for one deeper down, undefined when fine. */
function baseMismatch(type: FieldType, value: unknown, path: string): string | false | undefined {
  switch (type.kind) {
    case "atomic":
      return atomicOk(type.type, value) ? undefined : false;
    case "array":
    case "iterable": {
      if (type.kind === "array" ? !Array.isArray(value) : !isIterable(value)) return false;
      let i = 0;
      for (const e of value as Iterable<unknown>) {
        const problem = fieldTypeMismatch(type.element, e, `${path}[${i++}]`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    case "map": {
      if (!(value instanceof Map)) return false;
      for (const [k, v] of value as Map<unknown, unknown>) {
        const problem = fieldTypeMismatch(type.key, k, `${path} key`) ?? fieldTypeMismatch(type.value, v, `${path}[${describeValue(k, 40)}]`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    case "row":
      return typeof value === "object" && !Array.isArray(value) && !(value instanceof Map) ? rowMismatch(type.schema, value, path) : false;
    case "logical":
      return logicalMismatch(type, value, path);
  }
}

function atomicOk(type: FieldType & { kind: "atomic" } extends { type: infer A } ? A : never, value: unknown): boolean {
  switch (type) {
    case "BYTE":
    case "INT16":
    case "INT32": {
      const [lo, hi] = INT_RANGES[type];
      return typeof value === "number" && Number.isInteger(value) && value >= lo && value <= hi;
    }
    case "INT64":
      return typeof value === "bigint" && value >= INT64_MIN && value <= INT64_MAX;
    case "FLOAT":
    case "DOUBLE":
      return typeof value === "number";
    case "STRING":
      return typeof value === "string";
    case "BOOLEAN":
      return typeof value === "boolean";
    case "BYTES":
      return value instanceof Uint8Array;
  }
}

function isIterable(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function" && !(value instanceof Map);
}

function logicalMismatch(type: Extract<FieldType, { kind: "logical" }>, value: unknown, path: string): string | false | undefined {
  const limit = typeof type.argument === "number" ? type.argument : Number.POSITIVE_INFINITY;
  switch (type.urn) {
    case LogicalTypeUrns.millisInstant:
    case LogicalTypeUrns.date:
      return Number.isSafeInteger(value) ? undefined : false;
    case LogicalTypeUrns.time:
      return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) < 86_400_000_000_000 ? undefined : false;
    case LogicalTypeUrns.microsInstant:
      return typeof value === "bigint" ? undefined : false;
    case LogicalTypeUrns.decimal: {
      const d = value as { unscaledValue?: unknown; scale?: unknown };
      return typeof d === "object" && typeof d.unscaledValue === "bigint" && Number.isInteger(d.scale) && (d.scale as number) === ((d.scale as number) | 0) ? undefined : false;
    }
    case LogicalTypeUrns.datetime: {
      const d = value as { date?: unknown; time?: unknown };
      return typeof d === "object" && Number.isSafeInteger(d.date) && Number.isSafeInteger(d.time) ? undefined : false;
    }
    case LogicalTypeUrns.fixedBytes:
      return value instanceof Uint8Array && value.length === limit ? undefined : false;
    case LogicalTypeUrns.varBytes:
      return value instanceof Uint8Array && value.length <= limit ? undefined : false;
    case LogicalTypeUrns.fixedChar:
      return typeof value === "string" && [...value].length === limit ? undefined : false;
    case LogicalTypeUrns.varChar:
      return typeof value === "string" && [...value].length <= limit ? undefined : false;
    case LogicalTypeUrns.enumeration:
      return typeof value === "string" && enumCases(type).has(value) ? undefined : false;
    case LogicalTypeUrns.uuid:
      return typeof value === "string" && UUID_TEXT.test(value) ? undefined : false;
    case LogicalTypeUrns.pythonCallable:
      return typeof value === "string" ? undefined : false;
    case LogicalTypeUrns.oneOf: {
      const v = value as { case?: unknown; value?: unknown };
      const field = oneOfSchema(type).fields.find((f) => f.name === v.case);
      if (typeof v !== "object" || field === undefined) return false;
      // The case's own type, not nullable: a one_of holds exactly one value.
      return fieldTypeMismatch({ ...field.type, nullable: false }, v.value, `${path}.${field.name}`);
    }
    default:
      return baseMismatch(type.representation, value, path);
  }
}
