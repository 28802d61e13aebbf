// Beam's offset trackers compute a split position as
//   split = cur + max(1, (end - cur) * fractionOfRemainder)
// in BigDecimal (DECIMAL128), where the double fraction enters through
// BigDecimal.valueOf(double), i.e. its shortest decimal rendering, and then truncate toward
// zero (longValue). Doing the same in JS doubles differs at integer boundaries (for example
// 100 * 0.57 is 56.99999999999999 in doubles but 57 in Beam), so this reproduces Beam's
// arithmetic exactly with BigInt: the fraction's decimal digits over a power of ten.

import { SplittableDoFnError } from "./errors.js";

/** Rejects a split fraction outside `[0, 1]` (Beam's runners never ask for one). */
export function requireFractionOfRemainder(fraction: number): void {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new SplittableDoFnError(`trySplit: fractionOfRemainder must be in [0, 1], got ${fraction}.`);
  }
}

/**
 * The position at which to split `[.., end)` when the last attempted position is `cur`,
 * exactly as Java's OffsetRangeTracker / GrowableOffsetRangeTracker compute it.
 */
export function splitPosition(cur: number, end: number, fractionOfRemainder: number): number {
  const [digits, scale] = decimalOf(fractionOfRemainder);
  const one = 10n ** scale;
  const remainder = (BigInt(end) - BigInt(cur)) * digits; // (end - cur) * fraction, scaled
  const step = remainder > one ? remainder : one; // max(1, ...)
  // BigInt division truncates toward zero, like BigDecimal.longValue().
  return Number((BigInt(cur) * one + step) / one);
}

/** A finite non-negative double as `digits / 10^scale`, from its shortest decimal rendering. */
function decimalOf(value: number): [bigint, bigint] {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (match === null) throw new RangeError(`not a non-negative finite number: ${value}`);
  const fractionDigits = match[2] ?? "";
  const exponent = Number(match[3] ?? "0");
  let digits = BigInt(match[1] + fractionDigits);
  let scale = fractionDigits.length - exponent;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return [digits, BigInt(scale)];
}
