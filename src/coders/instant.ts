import type { ByteReader, ByteWriter, Instant } from "../model/index.js";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../model/index.js";

const TWO_32 = 4294967296;
const SIGN = 0x80000000;

// Beam's extremes are not exact doubles; these are their exact wire values.
const EXACT_MIN = -9223372036854775n;
const EXACT_MAX = 9223372036854775n;
const EXACT_GLOBAL_MAX = 9223371950454775n;

/**
 * Writes a timestamp as Beam's InstantCoder does: milliseconds minus Long.MIN_VALUE,
 * 8 bytes big-endian (so byte order sorts like time). Fractions of a millisecond are
 * floored, as Beam has millisecond event time.
 */
export function writeInstant(writer: ByteWriter, t: Instant): void {
  if (t <= MIN_TIMESTAMP) return writer.writeFixed64BE(EXACT_MIN ^ (1n << 63n));
  if (t >= MAX_TIMESTAMP) return writer.writeFixed64BE(EXACT_MAX ^ (1n << 63n));
  if (t === GLOBAL_WINDOW_MAX_TIMESTAMP) return writer.writeFixed64BE(EXACT_GLOBAL_MAX ^ (1n << 63n));
  const ms = Math.floor(t);
  if (Number.isSafeInteger(ms)) {
    const hi = Math.floor(ms / TWO_32);
    writer.writeInt32BE(hi ^ SIGN);
    writer.writeInt32BE((ms - hi * TWO_32) | 0);
    return;
  }
  writer.writeFixed64BE(BigInt(ms) ^ (1n << 63n));
}

/** Writes an exact 64-bit millisecond value as Beam's InstantCoder does (see writeInstant). */
export function writeInstantMillis(writer: ByteWriter, millis: bigint): void {
  writer.writeFixed64BE(millis ^ (1n << 63n));
}

/** The exact 64-bit millisecond value Beam uses on the wire for an instant. */
export function exactMillis(t: Instant): bigint {
  if (t <= MIN_TIMESTAMP) return EXACT_MIN;
  if (t >= MAX_TIMESTAMP) return EXACT_MAX;
  if (t === GLOBAL_WINDOW_MAX_TIMESTAMP) return EXACT_GLOBAL_MAX;
  return BigInt(Math.floor(t));
}

/** Reads a timestamp written by writeInstant (or any Beam SDK's InstantCoder). */
export function readInstant(reader: ByteReader): Instant {
  const hi = reader.readInt32BE() ^ SIGN;
  const lo = reader.readInt32BE() >>> 0;
  const t = hi * TWO_32 + lo;
  if (t <= MIN_TIMESTAMP) return MIN_TIMESTAMP;
  if (t >= MAX_TIMESTAMP) return MAX_TIMESTAMP;
  return t;
}
