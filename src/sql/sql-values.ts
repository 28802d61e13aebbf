import { formatBigDecimal, parseBigDecimal, type BigDecimal } from "../coders/index.js";
import { decimalOfInteger, overflows, rescale, truncateDecimal, type DecimalShape } from "./decimal-arithmetic.js";
import type { SqlTypeName } from "./sql-types.js";
import { formatDate, formatTimestamp, parseDate, parseTimestamp } from "./time-functions.js";

const DAY = 86_400_000;

/**
 * Operations on non-null SQL values of one type (the binder converts operands to a common
 * type first): ordering, the grouping key of a value, and CAST.
 */

/** Whether a value is a decimal (the schema's BigDecimal). */
export function isBigDecimal(v: unknown): v is BigDecimal {
  return typeof v === "object" && v !== null && "unscaledValue" in v && "scale" in v;
}

/**
 * Compares two non-null values of the same SQL type for a predicate (=, <>, <, IN, NULLIF,
 * IS DISTINCT FROM): negative, zero or positive, or NaN when either is a floating-point NaN,
 * which makes every comparison false but <> (Beam SQL's generated Java compares primitive
 * doubles: NaN = NaN is false, NaN <> NaN true).
 */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  return compareOthers(a, b);
}

/**
 * Orders two non-null values of the same SQL type (ORDER BY): a total order in which NaN is
 * equal to itself and greater than every other number, as Java's Double.compareTo orders them
 * in Beam SQL's sort.
 */
export function orderValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  }
  return compareOthers(a, b);
}

function compareOthers(a: unknown, b: unknown): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (isBigDecimal(a) && isBigDecimal(b)) {
    const scale = Math.max(a.scale, b.scale);
    const x = a.unscaledValue * 10n ** BigInt(scale - a.scale);
    const y = b.unscaledValue * 10n ** BigInt(scale - b.scale);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  }
  return 0;
}

/**
 * The value as part of a grouping key: equal SQL values give equal keys under the
 * deterministic JS value coder (-0 is 0; a decimal loses trailing zeros, 1.0 = 1.00).
 */
export function keyValue(v: unknown): unknown {
  if (typeof v === "number" && v === 0) return 0;
  if (isBigDecimal(v)) {
    let { unscaledValue, scale } = v;
    while (scale > 0 && unscaledValue % 10n === 0n) {
      unscaledValue /= 10n;
      scale--;
    }
    return { unscaledValue, scale };
  }
  return v;
}

/** Thrown for a value CAST cannot convert; the runner reports it with the step and element. */
export class SqlCastError extends Error {}

/**
 * CAST of a non-null value from one SQL type to another (Calcite's rules: numbers truncate
 * toward zero). To a DECIMAL of a known `shape`, the value is rounded half away from zero to
 * its scale and refused when its integer digits do not fit.
 */
export function castValue(v: unknown, from: SqlTypeName, to: SqlTypeName, shape?: DecimalShape): unknown {
  if (to === "DECIMAL") return toDecimal(v, shape);
  if (from === to) return v;
  switch (to) {
    case "VARCHAR":
      if (isBigDecimal(v)) return formatBigDecimal(v);
      if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
      if (from === "TIMESTAMP") return formatTimestamp(v as number);
      if (from === "DATE") return formatDate(v as number);
      return String(v);
    case "BOOLEAN":
      if (typeof v === "string") {
        const s = v.trim().toUpperCase();
        if (s === "TRUE" || s === "FALSE") return s === "TRUE";
        throw new SqlCastError(`cannot CAST '${v}' to BOOLEAN`);
      }
      return toNumber(v) !== 0;
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER": {
      const bits = to === "TINYINT" ? 8 : to === "SMALLINT" ? 16 : 32;
      if (isBigDecimal(v)) return Number(BigInt.asIntN(bits, truncateDecimal(v)));
      const n = Math.trunc(toNumber(v));
      return Number(BigInt.asIntN(bits, BigInt(n)));
    }
    case "BIGINT":
      if (typeof v === "bigint") return v;
      if (isBigDecimal(v)) return BigInt.asIntN(64, truncateDecimal(v));
      return BigInt.asIntN(64, BigInt(Math.trunc(toNumber(v))));
    case "FLOAT":
      return Math.fround(toNumber(v));
    case "DOUBLE":
      return toNumber(v);
    case "TIMESTAMP":
      if (typeof v === "string") {
        const ms = parseTimestamp(v);
        if (Number.isNaN(ms)) throw new SqlCastError(`cannot CAST '${v}' to TIMESTAMP`);
        return ms;
      }
      if (from === "DATE") return (v as number) * DAY;
      return toNumber(v);
    case "DATE":
      if (typeof v === "string") {
        const days = parseDate(v);
        if (Number.isNaN(days)) throw new SqlCastError(`cannot CAST '${v}' to DATE`);
        return days;
      }
      return Math.floor((v as number) / DAY);
    default:
      throw new SqlCastError(`cannot CAST ${from} to ${to}`);
  }
}

/** A value as a DECIMAL, exactly (a DOUBLE by its shortest decimal text, as Java's BigDecimal.valueOf). */
function toDecimal(v: unknown, shape: DecimalShape | undefined): BigDecimal {
  let d: BigDecimal;
  if (isBigDecimal(v)) d = v;
  else if (typeof v === "bigint") d = decimalOfInteger(v);
  else if (typeof v === "boolean") d = decimalOfInteger(v ? 1 : 0);
  else if (typeof v === "number" && !Number.isFinite(v)) throw new SqlCastError(`cannot CAST ${v} to DECIMAL`);
  else {
    try {
      d = parseBigDecimal(String(v));
    } catch {
      throw new SqlCastError(`cannot CAST '${String(v)}' to DECIMAL`);
    }
  }
  if (shape === undefined) return d;
  const out = rescale(d, shape.scale);
  if (overflows(out, shape)) throw new SqlCastError(`${formatBigDecimal(d)} does not fit DECIMAL(${shape.precision}, ${shape.scale})`);
  return out;
}

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (isBigDecimal(v)) return Number(formatBigDecimal(v));
  if (typeof v === "string") {
    const n = Number(v.trim());
    if (v.trim() === "" || Number.isNaN(n)) throw new SqlCastError(`cannot CAST '${v}' to a number`);
    return n;
  }
  throw new SqlCastError(`cannot CAST ${String(v)} to a number`);
}

/** Which CASTs the binder accepts (from, to), beyond a type to itself. */
export function canCast(from: SqlTypeName, to: SqlTypeName): boolean {
  if (from === to || from === "NULL") return true;
  if (from === "OTHER" || to === "OTHER" || to === "NULL") return false;
  if (from === "VARBINARY" || to === "VARBINARY") return false;
  if (from === "TIMESTAMP") return to === "VARCHAR" || to === "BIGINT" || to === "DATE";
  if (from === "DATE") return to === "VARCHAR" || to === "TIMESTAMP";
  if (to === "DATE") return from === "VARCHAR";
  return true;
}
