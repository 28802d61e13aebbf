import type { BigDecimal } from "../coders/index.js";

/**
 * Exact DECIMAL arithmetic on the schema's decimal value (`{ unscaledValue: bigint, scale }`,
 * Java's BigDecimal), never through JS doubles, with Calcite's precision and scale rules
 * under Beam SQL's type system (BeamRelDataTypeSystem: at most 38 digits, scale at most 38).
 */

/** Beam SQL's largest DECIMAL precision and scale. */
export const MAX_DECIMAL_PRECISION = 38;

/** A DECIMAL(precision, scale) type's parameters. */
export interface DecimalShape {
  readonly precision: number;
  readonly scale: number;
}

/** The DECIMAL an exact integer type converts to, as Calcite: TINYINT is DECIMAL(3, 0) ... BIGINT DECIMAL(19, 0). */
export const INTEGER_SHAPES: Readonly<Record<string, DecimalShape>> = {
  TINYINT: { precision: 3, scale: 0 },
  SMALLINT: { precision: 5, scale: 0 },
  INTEGER: { precision: 10, scale: 0 },
  BIGINT: { precision: 19, scale: 0 },
};

const cap = (n: number) => Math.min(n, MAX_DECIMAL_PRECISION);

/** The digits of a value's unscaled integer (Java's BigDecimal.precision(); 0 has 1). */
function digits(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/** The shape of one value, as Calcite types a literal: its digits, at least its scale. */
export function shapeOfValue(d: BigDecimal): DecimalShape {
  const scale = Math.max(d.scale, 0);
  return { precision: Math.max(digits(d.unscaledValue), scale, 1), scale };
}

/** `a + b` and `a - b`: max(s1, s2) fraction digits and one more integer digit (Calcite). */
export function addShape(a: DecimalShape, b: DecimalShape): DecimalShape {
  const scale = Math.max(a.scale, b.scale);
  return { precision: cap(Math.max(a.precision - a.scale, b.precision - b.scale) + scale + 1), scale };
}

/** `a * b`: p1 + p2 digits at scale s1 + s2 (Calcite). */
export function multiplyShape(a: DecimalShape, b: DecimalShape): DecimalShape {
  return { precision: cap(a.precision + b.precision), scale: Math.min(a.scale + b.scale, MAX_DECIMAL_PRECISION) };
}

/**
 * `a / b` as Calcite's RelDataTypeSystem.deriveDecimalDivideType: p1 - s1 + s2 integer
 * digits and max(6, s1 + p2 + 1) fraction digits, the scale cut so the whole fits 38.
 */
export function divideShape(a: DecimalShape, b: DecimalShape): DecimalShape {
  const integerDigits = cap(a.precision - a.scale + b.scale);
  const scale = Math.min(Math.max(6, a.scale + b.precision + 1), MAX_DECIMAL_PRECISION - integerDigits, MAX_DECIMAL_PRECISION);
  return { precision: integerDigits + scale, scale };
}

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);

/** The unscaled value of `d` at a scale at least its own (exact). */
function unscaledAt(d: BigDecimal, scale: number): bigint {
  return d.unscaledValue * pow10(scale - d.scale);
}

/** `num / den` rounded half away from zero (Java's RoundingMode.HALF_UP). */
function divideHalfUp(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r = num % den;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice < (den < 0n ? -den : den)) return q;
  return (num < 0n) === (den < 0n) ? q + 1n : q - 1n;
}

/** The value at `scale` fraction digits, rounded half away from zero when that drops digits. */
export function rescale(d: BigDecimal, scale: number): BigDecimal {
  if (scale >= d.scale) return { unscaledValue: unscaledAt(d, scale), scale };
  return { unscaledValue: divideHalfUp(d.unscaledValue, pow10(d.scale - scale)), scale };
}

/** a + b, exact at max(s1, s2). */
export function addDecimal(a: BigDecimal, b: BigDecimal): BigDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { unscaledValue: unscaledAt(a, scale) + unscaledAt(b, scale), scale };
}

/** a - b, exact at max(s1, s2). */
export function subtractDecimal(a: BigDecimal, b: BigDecimal): BigDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { unscaledValue: unscaledAt(a, scale) - unscaledAt(b, scale), scale };
}

/** a * b, exact at s1 + s2. */
export function multiplyDecimal(a: BigDecimal, b: BigDecimal): BigDecimal {
  return { unscaledValue: a.unscaledValue * b.unscaledValue, scale: a.scale + b.scale };
}

/** -a. */
export function negateDecimal(a: BigDecimal): BigDecimal {
  return { unscaledValue: -a.unscaledValue, scale: a.scale };
}

/**
 * a / b at `scale` fraction digits, rounded half away from zero; undefined when b is 0
 * (the caller fails the element, as Calcite's ArithmeticException).
 *
 * @example divideDecimal({ unscaledValue: 1n, scale: 0 }, { unscaledValue: 3n, scale: 0 }, 6) // 0.333333
 */
export function divideDecimal(a: BigDecimal, b: BigDecimal, scale: number): BigDecimal | undefined {
  if (b.unscaledValue === 0n) return undefined;
  // a / b = (ua / ub) * 10^(sb - sa); at `scale` digits the unscaled result is ua * 10^(scale - sa + sb) / ub.
  const shift = scale - a.scale + b.scale;
  const num = shift >= 0 ? a.unscaledValue * pow10(shift) : a.unscaledValue;
  const den = shift >= 0 ? b.unscaledValue : b.unscaledValue * pow10(-shift);
  return { unscaledValue: divideHalfUp(num, den), scale };
}

/**
 * a % b (and MOD) at max(s1, s2), with the dividend's sign as Java's BigDecimal.remainder;
 * undefined when b is 0 (the caller fails the element).
 */
export function remainderDecimal(a: BigDecimal, b: BigDecimal): BigDecimal | undefined {
  if (b.unscaledValue === 0n) return undefined;
  const s = Math.max(a.scale, b.scale);
  return { unscaledValue: rescale(a, s).unscaledValue % rescale(b, s).unscaledValue, scale: s };
}

/** The integer part of a decimal, toward zero (CAST to an integer type, as Calcite). */
export function truncateDecimal(d: BigDecimal): bigint {
  return d.scale <= 0 ? d.unscaledValue * pow10(-d.scale) : d.unscaledValue / pow10(d.scale);
}

/** The decimal of an exact integer. */
export function decimalOfInteger(n: bigint | number): BigDecimal {
  return { unscaledValue: BigInt(n), scale: 0 };
}

/** Whether the value has more integer digits than DECIMAL(precision, scale) holds. */
export function overflows(d: BigDecimal, shape: DecimalShape): boolean {
  const limit = pow10(shape.precision - shape.scale + Math.max(d.scale, 0));
  const u = d.scale < 0 ? d.unscaledValue * pow10(-d.scale) : d.unscaledValue;
  return (u < 0n ? -u : u) >= limit;
}
