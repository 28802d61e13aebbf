import type { BigDecimal, FieldType, Schema } from "../../model/index.js";
import { BeamError, LogicalTypeUrns, describeFieldType, describeValue } from "../../model/index.js";
import { formatBigDecimal, parseBigDecimal } from "../../coders/index.js";
import { sameType } from "./schema-input.js";

/**
 * Which casts between schema types are safe, and how a value is cast. As Beam Java's Cast:
 * a widening cast keeps every value (int32 to int64, float to double, an integer to a
 * decimal, a field made nullable); a narrowing one may not (int64 to int32, double to int32,
 * nullable to non-null) and is refused unless allowed, and then each value is checked: one
 * that does not fit (out of range, a fraction for an integer type, a null for a non-null
 * field) fails with a CastError; floating-point targets round.
 */

/** A value that does not fit the type it is cast to (code `CAST`). */
export class CastError extends BeamError {
  constructor(message: string) {
    super("CAST", message);
  }
}

type Numeric = "BYTE" | "INT16" | "INT32" | "INT64" | "FLOAT" | "DOUBLE" | "DECIMAL";

/** The numeric types each numeric type widens to without losing any value. */
const WIDENS_TO: Readonly<Record<Numeric, readonly Numeric[]>> = {
  BYTE: ["INT16", "INT32", "INT64", "FLOAT", "DOUBLE", "DECIMAL"],
  INT16: ["INT32", "INT64", "FLOAT", "DOUBLE", "DECIMAL"],
  INT32: ["INT64", "DOUBLE", "DECIMAL"],
  INT64: ["DECIMAL"],
  FLOAT: ["DOUBLE"],
  DOUBLE: [],
  DECIMAL: [],
};

const INT_RANGE: Readonly<Record<"BYTE" | "INT16" | "INT32" | "INT64", readonly [bigint, bigint]>> = {
  BYTE: [-128n, 127n],
  INT16: [-32768n, 32767n],
  INT32: [-2147483648n, 2147483647n],
  INT64: [-(1n << 63n), (1n << 63n) - 1n],
};

function numericOf(type: FieldType): Numeric | undefined {
  if (type.kind === "atomic" && type.type !== "STRING" && type.type !== "BOOLEAN" && type.type !== "BYTES") return type.type;
  if (type.kind === "logical" && type.urn === LogicalTypeUrns.decimal) return "DECIMAL";
  return undefined;
}

/** What a cast from one schema to another does: nothing wrong, lossy steps, or impossible ones. */
export interface CastPlan {
  /** Field paths and why each may lose values. */
  readonly lossy: readonly string[];
  /** Field paths and why no cast exists. */
  readonly impossible: readonly string[];
}

/**
 * The lossy and impossible steps of casting rows of `from` to rows of `to` (matched by field
 * name; every target field must exist in the input and every input field in the target).
 *
 * @example
 * castPlan(s({ n: INT64 }), s({ n: INT32 })); // { lossy: ['"n": int64 (bigint) to int32 (integer number) may not fit'], impossible: [] }
 */
export function castPlan(from: Schema, to: Schema): CastPlan {
  const lossy: string[] = [];
  const impossible: string[] = [];
  planRow(from, to, "", lossy, impossible);
  return { lossy, impossible };
}

function planRow(from: Schema, to: Schema, prefix: string, lossy: string[], impossible: string[]): void {
  for (const f of from.fields) {
    if (!to.fields.some((t) => t.name === f.name)) impossible.push(`"${prefix}${f.name}" is not in the target schema (drop it first with dropFields)`);
  }
  for (const t of to.fields) {
    const f = from.fields.find((x) => x.name === t.name);
    if (f === undefined) impossible.push(`"${prefix}${t.name}" is not in the input (add it first with addFields)`);
    else planType(f.type, t.type, `${prefix}${t.name}`, lossy, impossible);
  }
}

function planType(from: FieldType, to: FieldType, path: string, lossy: string[], impossible: string[]): void {
  if (from.nullable === true && to.nullable !== true) lossy.push(`"${path}" is nullable and the target is not (a null fails)`);
  if (sameType(from, to, true)) return;
  const a = numericOf(from);
  const b = numericOf(to);
  if (a !== undefined && b !== undefined) {
    if (!WIDENS_TO[a].includes(b)) lossy.push(`"${path}": ${describeFieldType({ ...from, nullable: false })} to ${describeFieldType({ ...to, nullable: false })} may not fit`);
    return;
  }
  const collections = (k: FieldType["kind"]) => k === "array" || k === "iterable";
  if (collections(from.kind) && collections(to.kind)) {
    planType((from as { element: FieldType }).element, (to as { element: FieldType }).element, `${path}[]`, lossy, impossible);
    return;
  }
  if (from.kind === "map" && to.kind === "map") {
    planType(from.key, to.key, `${path} key`, lossy, impossible);
    planType(from.value, to.value, `${path}[]`, lossy, impossible);
    return;
  }
  if (from.kind === "row" && to.kind === "row") {
    planRow(from.schema, to.schema, `${path}.`, lossy, impossible);
    return;
  }
  impossible.push(`"${path}": no cast from ${describeFieldType(from)} to ${describeFieldType(to)}`);
}

/**
 * Casts a value of `from` to `to` (a cast `castPlan` found possible), or throws a CastError
 * naming the path when the value does not fit.
 *
 * @example
 * castValue({ kind: "atomic", type: "INT64" }, { kind: "atomic", type: "INT32" }, 5n, "n"); // 5
 */
export function castValue(from: FieldType, to: FieldType, value: unknown, path: string): unknown {
  if (value === null || value === undefined) {
    if (to.nullable === true) return null;
    throw new CastError(`${path}: null does not fit the non-null ${describeFieldType(to)}.`);
  }
  if (sameType(from, to, true)) return value;
  const a = numericOf(from);
  const b = numericOf(to);
  if (a !== undefined && b !== undefined) return castNumber(a, b, value as number | bigint | BigDecimal, path);
  switch (to.kind) {
    case "array":
    case "iterable":
      return [...(value as Iterable<unknown>)].map((e, i) => castValue((from as { element: FieldType }).element, to.element, e, `${path}[${i}]`));
    case "map":
      return new Map(
        [...(value as ReadonlyMap<unknown, unknown>)].map(([k, v]) => [
          castValue((from as { key: FieldType }).key, to.key, k, `${path} key`),
          castValue((from as { value: FieldType }).value, to.value, v, `${path}[${describeValue(k, 40)}]`),
        ]),
      );
    case "row":
      return castRow((from as { schema: Schema }).schema, to.schema, value, path);
    default:
      return value;
  }
}

/** Casts a row of `from` to a row of `to`, field by field. */
export function castRow(from: Schema, to: Schema, row: unknown, path: string): Readonly<Record<string, unknown>> {
  const record = row as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const t of to.fields) {
    const f = from.fields.find((x) => x.name === t.name)!;
    out[t.name] = castValue(f.type, t.type, record[t.name], `${path}.${t.name}`);
  }
  return out;
}

/** A number, bigint or decimal as an exact decimal (NaN and infinities have none). */
function toDecimal(value: number | bigint | BigDecimal, path: string): BigDecimal {
  if (typeof value === "bigint") return { unscaledValue: value, scale: 0 };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CastError(`${path}: ${value} has no decimal value.`);
    return parseBigDecimal(String(value));
  }
  return value;
}

function castNumber(from: Numeric, to: Numeric, value: number | bigint | BigDecimal, path: string): unknown {
  switch (to) {
    case "DECIMAL":
      return toDecimal(value, path);
    case "DOUBLE":
    case "FLOAT": {
      const n = from === "DECIMAL" ? Number(formatBigDecimal(value as BigDecimal)) : Number(value);
      const out = to === "FLOAT" ? Math.fround(n) : n;
      if (!Number.isFinite(out) && Number.isFinite(n)) throw new CastError(`${path}: ${describeValue(value, 40)} is out of the range of ${to.toLowerCase()}.`);
      return out;
    }
    default: {
      const whole = integerOf(value, path, to);
      const [lo, hi] = INT_RANGE[to];
      if (whole < lo || whole > hi) throw new CastError(`${path}: ${describeValue(value, 40)} is out of the range of ${to.toLowerCase()} (${lo} to ${hi}).`);
      return to === "INT64" ? whole : Number(whole);
    }
  }
}

/** The exact integer a value is, or a CastError for a fraction or a non-finite number. */
function integerOf(value: number | bigint | BigDecimal, path: string, to: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new CastError(`${path}: ${value} is not an integer, so it does not fit ${to.toLowerCase()}.`);
    return BigInt(value);
  }
  if (value.scale <= 0) return value.unscaledValue * 10n ** BigInt(-value.scale);
  const factor = 10n ** BigInt(value.scale);
  if (value.unscaledValue % factor !== 0n) throw new CastError(`${path}: ${formatBigDecimal(value)} is not an integer, so it does not fit ${to.toLowerCase()}.`);
  return value.unscaledValue / factor;
}
