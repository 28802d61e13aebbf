import type { Statistics } from "hyparquet";
import { ConstructionError, LogicalTypeUrns, type FieldType, type Schema } from "../../model/index.js";

/** A value a predicate compares with: the column's own JS type (bigint for INT64, Instant ms for timestamps). */
export type PredicateValue = number | bigint | string | boolean;

/**
 * A simple predicate on one top-level column. Null values match only `isNull: true`.
 * `between` is inclusive at both ends.
 */
export type ColumnPredicate =
  | { readonly eq: PredicateValue }
  | { readonly lt: PredicateValue }
  | { readonly gt: PredicateValue }
  | { readonly between: readonly [PredicateValue, PredicateValue] }
  | { readonly in: readonly PredicateValue[] }
  | { readonly isNull: boolean };

/**
 * readParquet's `filter`: every column's predicate must hold (a conjunction). Row groups whose
 * statistics show no row can match are skipped unread; the rows of the others are filtered
 * exactly.
 *
 * @example { country: { eq: "NL" }, age: { between: [18, 65] }, deleted: { isNull: true } }
 */
export type ParquetFilter = Readonly<Record<string, ColumnPredicate>>;

const OPS = ["eq", "lt", "gt", "between", "in", "isNull"] as const;
type Op = (typeof OPS)[number];

/** A checked predicate. */
export interface Predicate {
  readonly column: string;
  readonly op: Op;
  readonly values: readonly PredicateValue[];
}

const NUMBER_TYPES = new Set(["BYTE", "INT16", "INT32", "FLOAT", "DOUBLE"]);

/** The JS type of values of a filterable field type, or undefined when it cannot be filtered. */
function valueKind(type: FieldType): "number" | "bigint" | "string" | "boolean" | undefined {
  if (type.kind === "atomic") {
    if (NUMBER_TYPES.has(type.type)) return "number";
    if (type.type === "INT64") return "bigint";
    if (type.type === "STRING") return "string";
    if (type.type === "BOOLEAN") return "boolean";
  }
  if (type.kind === "logical" && (type.urn === LogicalTypeUrns.millisInstant || type.urn === LogicalTypeUrns.date)) return "number";
  return undefined;
}

/** Checks a filter against the read schema at construction time. */
export function resolveFilter(what: string, filter: ParquetFilter | undefined, schema: Schema | undefined): Predicate[] {
  if (filter === undefined) return [];
  const out: Predicate[] = [];
  for (const [column, predicate] of Object.entries(filter)) {
    const ops = Object.keys(predicate).filter((k): k is Op => (OPS as readonly string[]).includes(k));
    if (ops.length !== 1 || Object.keys(predicate).length !== 1) {
      throw new ConstructionError(`${what}: the filter of column "${column}" must have exactly one of ${OPS.join(", ")}; got ${JSON.stringify(Object.keys(predicate))}.`);
    }
    const op = ops[0]!;
    const raw = (predicate as Record<Op, unknown>)[op];
    const values = op === "between" || op === "in" ? (raw as PredicateValue[]) : op === "isNull" ? [] : [raw as PredicateValue];
    if (op === "isNull" && typeof raw !== "boolean") throw new ConstructionError(`${what}: filter ${column}.isNull must be true or false.`);
    if (op === "between" && (!Array.isArray(raw) || raw.length !== 2)) throw new ConstructionError(`${what}: filter ${column}.between must be [low, high].`);
    if (op === "in" && !Array.isArray(raw)) throw new ConstructionError(`${what}: filter ${column}.in must be an array of values.`);
    if (schema !== undefined) {
      const field = schema.fields.find((f) => f.name === column);
      if (field === undefined) {
        throw new ConstructionError(`${what}: the filter names column "${column}", which is not among the columns read (${schema.fields.map((f) => f.name).join(", ")}).`);
      }
      const kind = valueKind(field.type);
      if (kind === undefined) {
        throw new ConstructionError(
          `${what}: column "${column}" cannot be filtered: predicates are pushed down only on top-level number, bigint (INT64), string, boolean, timestamp and date columns. Filter the rows after reading instead.`,
        );
      }
      for (const v of values) {
        if (typeof v !== kind) {
          throw new ConstructionError(`${what}: filter ${column}.${op} compares with ${typeof v} ${String(v)}, but the column holds ${kind} values${kind === "bigint" ? " (write 5n, not 5)" : ""}.`);
        }
      }
    }
    out.push({ column, op, values: op === "isNull" ? [raw as boolean] : values });
  }
  return out;
}

const encoder = new TextEncoder();

/** Parquet's order: strings by their UTF-8 bytes (unsigned), the rest by value. */
function compare(a: PredicateValue, b: PredicateValue): number {
  if (typeof a === "string" && typeof b === "string") return Buffer.compare(encoder.encode(a), encoder.encode(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a (converted) value matches a predicate; null matches only isNull: true. */
export function matches(p: Predicate, value: unknown): boolean {
  if (p.op === "isNull") return (value === null || value === undefined) === p.values[0];
  if (value === null || value === undefined) return false;
  const v = value as PredicateValue;
  switch (p.op) {
    case "eq":
      return compare(v, p.values[0]!) === 0;
    case "lt":
      return compare(v, p.values[0]!) < 0;
    case "gt":
      return compare(v, p.values[0]!) > 0;
    case "between":
      return compare(v, p.values[0]!) >= 0 && compare(v, p.values[1]!) <= 0;
    case "in":
      return p.values.some((x) => compare(v, x) === 0);
  }
}

/** A column chunk's statistics, with min and max converted to the column's JS type. */
export interface ChunkStats {
  readonly min: PredicateValue | undefined;
  readonly max: PredicateValue | undefined;
  readonly nullCount: bigint | undefined;
  readonly numRows: bigint;
}

/** The usable statistics of a chunk: exact min/max (truncated string bounds are not used). */
export function chunkStats(stats: Statistics | undefined, numRows: bigint, convert: (v: unknown) => unknown): ChunkStats {
  const s = stats as (Statistics & { is_min_value_exact?: boolean; is_max_value_exact?: boolean }) | undefined;
  const rawMin = s?.min_value ?? s?.min;
  const rawMax = s?.max_value ?? s?.max;
  const ok = (x: unknown): x is PredicateValue => ["number", "bigint", "string", "boolean"].includes(typeof x) && !(typeof x === "number" && Number.isNaN(x));
  const min = s?.is_min_value_exact === false ? undefined : convert(rawMin);
  const max = s?.is_max_value_exact === false ? undefined : convert(rawMax);
  return { min: ok(min) ? min : undefined, max: ok(max) ? max : undefined, nullCount: s?.null_count, numRows };
}

/** Whether the statistics prove no row of the chunk can match (so the row group is skipped). */
export function cannotMatch(p: Predicate, s: ChunkStats): boolean {
  const allNull = s.nullCount !== undefined && s.nullCount === s.numRows;
  if (p.op === "isNull") return p.values[0] === true ? s.nullCount === 0n : allNull;
  if (allNull) return true;
  const { min, max } = s;
  const below = (v: PredicateValue) => min !== undefined && compare(v, min) < 0;
  const above = (v: PredicateValue) => max !== undefined && compare(v, max) > 0;
  switch (p.op) {
    case "eq":
      return below(p.values[0]!) || above(p.values[0]!);
    case "lt":
      return min !== undefined && compare(min, p.values[0]!) >= 0;
    case "gt":
      return max !== undefined && compare(max, p.values[0]!) <= 0;
    case "between":
      return above(p.values[0]!) || below(p.values[1]!);
    case "in":
      return p.values.every((v) => below(v) || above(v));
  }
}
