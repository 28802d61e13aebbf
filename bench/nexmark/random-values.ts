/**
 * The value draws of Beam's Nexmark generator (its LongGenerator, PriceGenerator and
 * StringsGenerator), over a JavaRandom so they draw exactly what Beam draws.
 */
import type { JavaRandom } from "./java-random.js";

const INT_MAX = 2_147_483_647;
const MIN_STRING_LENGTH = 3;
const CHAR_A = 97;
const CHAR_SPACE = 32;

/**
 * Characters of the string being built. Every character Nexmark draws is ASCII, so one
 * native latin1 decode makes the string (much faster than String.fromCharCode).
 */
let chars = Buffer.alloc(1024);

/** Buffer's native latin1 decoder (what `toString("latin1")` calls after argument checks). */
type Latin1Slicer = { latin1Slice(start: number, end: number): string };
const fastLatin1 = typeof (chars as unknown as Partial<Latin1Slicer>).latin1Slice === "function";

function latin1(buf: Buffer, length: number): string {
  return fastLatin1 ? (buf as unknown as Latin1Slicer).latin1Slice(0, length) : buf.toString("latin1", 0, length);
}

function ensureChars(n: number): Buffer {
  if (chars.length < n) chars = Buffer.alloc(Math.max(n, chars.length * 2));
  return chars;
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

/** A price in cents, log-uniform between $1 and $1,000,000: round(10^(6·d) × 100). */
export function nextPrice(random: JavaRandom): number {
  return Math.round(Math.pow(10.0, random.nextDouble() * 6.0) * 100.0);
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
  return latin1(buf, len).trim();
}

/**
 * A string of exactly `length` characters, six from each `nextInt()`. As in Beam the int
 * may be negative, and Java's `%` and `/` keep its sign, so characters range over
 * 'a' - 25 .. 'a' + 25 (letters and a few punctuation marks).
 */
export function nextExactString(random: JavaRandom, length: number): string {
  const buf = ensureChars(length);
  let rnd = 0;
  let left = 0;
  for (let i = 0; i < length; i++) {
    if (left === 0) {
      rnd = random.nextInt();
      left = 6;
    }
    // rnd % 26 and rnd / 26 with Java's truncation, in int arithmetic.
    const q = (rnd / 26) | 0;
    buf[i] = CHAR_A + rnd - q * 26;
    rnd = q;
    left--;
  }
  return latin1(buf, length);
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
