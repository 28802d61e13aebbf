/**
 * Event time in beam-ts is a JS number of milliseconds since the Unix epoch, as in
 * Beam Java's Joda Instant. Beam's extreme timestamps (±2^63 microseconds) are not exactly
 * representable as doubles; the constants below are the nearest doubles and the timestamp
 * coder maps them to Beam's exact wire values.
 */
export type Instant = number;

/** A span of event or processing time, in milliseconds. */
export type Duration = number;

/** The smallest timestamp Beam allows: Long.MIN_VALUE microseconds, in milliseconds. */
export const MIN_TIMESTAMP: Instant = Number(-9223372036854775n);
/** The largest timestamp Beam allows: Long.MAX_VALUE microseconds, in milliseconds. */
export const MAX_TIMESTAMP: Instant = Number(9223372036854775n);
/** The end of the global window: one day before MAX_TIMESTAMP, as in Beam. */
export const GLOBAL_WINDOW_MAX_TIMESTAMP: Instant = Number(9223371950454775n);

/** Helpers to write durations readably: `Duration.minutes(5)`. */
export const Durations = {
  millis: (n: number): Duration => n,
  seconds: (n: number): Duration => n * 1000,
  minutes: (n: number): Duration => n * 60_000,
  hours: (n: number): Duration => n * 3_600_000,
  days: (n: number): Duration => n * 86_400_000,
} as const;

/** Formats an instant for messages; the extremes print as Beam's names for them. */
export function formatInstant(t: Instant): string {
  if (t <= MIN_TIMESTAMP) return "-inf";
  if (t >= MAX_TIMESTAMP) return "+inf";
  if (t === GLOBAL_WINDOW_MAX_TIMESTAMP) return "end-of-global-window";
  return new Date(t).toISOString();
}
