/**
 * The value draws of Beam's Nexmark generator (its LongGenerator, PriceGenerator and
 * StringsGenerator), over a JavaRandom so they draw exactly what Beam draws.
 *
 * These run for every event, so they avoid work that is not part of the values: strings are
 * built in one reused byte buffer, padding characters come two at a time from a table, and
 * prices take a cheap power of ten that falls back to `Math.pow` whenever the two could
 * round differently.
 */
import type { JavaRandom } from "./java-random.js";

const INT_MAX = 2_147_483_647;
const MIN_STRING_LENGTH = 3;
const CHAR_A = 97;
const CHAR_SPACE = 32;
const CHAR_0 = 48;
const CREDIT_CARD_LENGTH = 19;

/**
 * Characters of the string being built. Every character Nexmark draws is ASCII, so one
 * native latin1 decode makes the string (much faster than String.fromCharCode). `chars16`
 * views the same bytes two at a time (the buffer starts at byte 0 of its own ArrayBuffer).
 */
let chars = Buffer.from(new ArrayBuffer(1024));
let chars16 = new Uint16Array(chars.buffer);

/** Buffer's native latin1 decoder (what `toString("latin1")` calls after argument checks). */
type Latin1Slicer = { latin1Slice(start: number, end: number): string };
const fastLatin1 = typeof (chars as unknown as Partial<Latin1Slicer>).latin1Slice === "function";

function latin1(buf: Buffer, start: number, end: number): string {
  return fastLatin1 ? (buf as unknown as Latin1Slicer).latin1Slice(start, end) : buf.toString("latin1", start, end);
}

function ensureChars(n: number): Buffer {
  if (chars.length < n) {
    chars = Buffer.from(new ArrayBuffer(2 * Math.ceil(Math.max(n, chars.length * 2) / 2)));
    chars16 = new Uint16Array(chars.buffer);
  }
  return chars;
}

/** Characters nextExactString takes from one `nextInt()` (26^6 < 2^31 < 26^7). */
const CHARS_PER_INT = 6;
/** 26^2: the characters come in pairs, the base-26 digits of rnd % 676, (rnd / 676) % 676, … */
const PAIR = 676;

/**
 * The two characters of each value v in (-676, 676) of a pair of base-26 digits, Java's
 * way (`%` and `/` truncate, keeping the sign), at index v + 675: the bytes 'a' + v % 26
 * then 'a' + v / 26 (in memory order, so one store in `chars16` writes both).
 */
const CHAR_PAIRS = (() => {
  const pairs = new Uint16Array(2 * PAIR - 1);
  const bytes = new Uint8Array(pairs.buffer);
  for (let v = -(PAIR - 1); v < PAIR; v++) {
    const q = (v / 26) | 0;
    bytes[2 * (v + PAIR - 1)] = CHAR_A + v - q * 26;
    bytes[2 * (v + PAIR - 1) + 1] = CHAR_A + q;
  }
  return pairs;
})();

/** The `nextInt()` draws of the string being built. */
let ints = new Int32Array(128);

function ensureInts(n: number): Int32Array {
  if (ints.length < n) ints = new Int32Array(Math.max(n, ints.length * 2));
  return ints;
}

/**
 * A random long in [0, n): `nextInt(n)` when n fits an int, otherwise Beam's (skewed)
 * `Math.abs(nextLong() % n)`.
 */
export function nextLong(random: JavaRandom, n: number): number {
  if (n < INT_MAX) return random.nextInt(n);
  const r = random.nextLong() % BigInt(n);
  return Number(r < 0n ? -r : r);
}

/** Steps per decade of the power-of-ten table of nextPrice. */
const POW10_STEPS_PER_DECADE = 256;
/** 10^(j / 256) for j in [0, 6 × 256]: Math.pow's own values at the steps. */
const POW10_STEPS = Float64Array.from({ length: 6 * POW10_STEPS_PER_DECADE + 1 }, (_, j) => Math.pow(10, j / POW10_STEPS_PER_DECADE));
const LN10_PER_STEP = Math.LN10 / POW10_STEPS_PER_DECADE;
/**
 * How close (in cents) to a rounding boundary (k + ½) the fast price may be before
 * nextPrice asks Math.pow. The fast value is within a relative 2e-15 of Math.pow's (a
 * few roundings of the table entry, the series and the products, and Math.pow's own
 * error), so below 2e-7 cents at the largest price, $1,000,000: a margin 500 times that
 * decides the same rounding, and costs a Math.pow once in 5,000 prices.
 */
const ROUNDING_MARGIN = 1e-4;

/**
 * A price in cents, log-uniform between $1 and $1,000,000: Beam's
 * round(10^(6·d) × 100), the same value as `Math.round(Math.pow(10, 6 * d) * 100)`.
 */
export function nextPrice(random: JavaRandom): number {
  const x = random.nextDouble() * 6.0;
  // 10^x = 10^(j/256) × e^(f·ln 10), f·ln 10 < 0.009: the series to the 6th power is exact
  // to 1e-18 relative.
  const steps = x * POW10_STEPS_PER_DECADE; // exact: a power of two
  const j = Math.floor(steps);
  const u = (steps - j) * LN10_PER_STEP;
  const series = 1 + u * (1 + u * (1 / 2 + u * (1 / 6 + u * (1 / 24 + u * (1 / 120 + u / 720)))));
  const cents = POW10_STEPS[j]! * series * 100.0;
  const rounded = Math.round(cents);
  if (Math.abs(cents - rounded) < 0.5 - ROUNDING_MARGIN) return rounded;
  return Math.round(Math.pow(10.0, x) * 100.0);
}

/**
 * A string of 3 to `maxLength - 1` characters, each a space (1 in 13) or a lowercase
 * letter, trimmed at both ends.
 */
export function nextString(random: JavaRandom, maxLength: number): string {
  const len = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
  const buf = ensureChars(len);
  for (let i = 0; i < len; i++) {
    buf[i] = random.nextInt(13) === 0 ? CHAR_SPACE : CHAR_A + random.nextInt(26);
  }
  // String.trim(), on the bytes: only spaces can be white space here.
  let start = 0;
  let end = len;
  while (start < end && buf[start] === CHAR_SPACE) start++;
  while (end > start && buf[end - 1] === CHAR_SPACE) end--;
  return latin1(buf, start, end);
}

/**
 * A string of exactly `length` characters, six from each `nextInt()`. As in Beam the int
 * may be negative, and Java's `%` and `/` keep its sign, so characters range over
 * 'a' - 25 .. 'a' + 25 (letters and a few punctuation marks).
 */
export function nextExactString(random: JavaRandom, length: number): string {
  const buf = ensureChars(length);
  const whole = (length / CHARS_PER_INT) | 0;
  const draws = whole + (length > whole * CHARS_PER_INT ? 1 : 0);
  const rnds = ensureInts(draws);
  random.nextInts(rnds, draws);
  // Six characters per draw: the base-26 digits of rnd, lowest first, read two at a time
  // (Java's truncating % and / give the same digits pair by pair as one by one).
  const buf16 = chars16;
  for (let d = 0; d < whole; d++) {
    const rnd = rnds[d]!;
    const rnd2 = (rnd / PAIR) | 0;
    const rnd4 = (rnd2 / PAIR) | 0;
    const at = 3 * d; // characters 6d, 6d + 2 and 6d + 4, two at a time
    buf16[at] = CHAR_PAIRS[(rnd % PAIR) + PAIR - 1]!;
    buf16[at + 1] = CHAR_PAIRS[(rnd2 % PAIR) + PAIR - 1]!;
    buf16[at + 2] = CHAR_PAIRS[(rnd4 % PAIR) + PAIR - 1]!;
  }
  let i = whole * CHARS_PER_INT;
  // The last, partial draw, one character at a time.
  if (i < length) {
    let rnd = rnds[whole]!;
    for (; i < length; i++) {
      const q = (rnd / 26) | 0;
      buf[i] = CHAR_A + rnd - q * 26;
      rnd = q;
    }
  }
  return latin1(buf, 0, length);
}

/**
 * Beam's credit card number: four groups of four digits, each group `nextInt(10000)`
 * zero-padded, separated by spaces ("0042 7320 9143 4888").
 */
export function nextCreditCard(random: JavaRandom): string {
  const buf = ensureChars(CREDIT_CARD_LENGTH);
  for (let group = 0; group < 4; group++) {
    let n = random.nextInt(10_000);
    const at = 5 * group;
    for (let digit = 3; digit >= 0; digit--) {
      const q = (n / 10) | 0;
      buf[at + digit] = CHAR_0 + n - q * 10;
      n = q;
    }
    if (group < 3) buf[at + 4] = CHAR_SPACE;
  }
  return latin1(buf, 0, CREDIT_CARD_LENGTH);
}

/**
 * Padding so that `currentSize` plus its length is on average `desiredAverageSize`: a
 * length uniform within ±20% of the difference, or "" when the record is already larger.
 */
export function nextExtra(random: JavaRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return "";
  const desired = desiredAverageSize - currentSize;
  const delta = Math.round(desired * 0.2);
  const minSize = desired - delta;
  const size = minSize + (delta === 0 ? 0 : random.nextInt(2 * delta));
  return nextExactString(random, size);
}
