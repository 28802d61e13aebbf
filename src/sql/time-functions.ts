/**
 * Date and time arithmetic of SQL on TIMESTAMP values (milliseconds since the epoch, an
 * Instant) in UTC, as Beam SQL computes them: EXTRACT of a field, FLOOR and CEIL to a unit,
 * TIMESTAMPADD and TIMESTAMPDIFF. Calendar units (MONTH, QUARTER, YEAR) follow the calendar:
 * adding a month to January 31 gives the last day of February, as Calcite and Java's
 * LocalDateTime.plusMonths do.
 */

/** The units EXTRACT, FLOOR/CEIL and TIMESTAMPADD/DIFF take. */
export type TimeUnit = "MILLISECOND" | "SECOND" | "MINUTE" | "HOUR" | "DAY" | "WEEK" | "MONTH" | "QUARTER" | "YEAR";
/** What EXTRACT takes beyond the units: day of week (Sunday 1), ISO day of week (Monday 1), day of year, epoch seconds. */
export type ExtractField = TimeUnit | "DOW" | "ISODOW" | "DOY" | "EPOCH";

const MILLIS: Readonly<Partial<Record<TimeUnit, number>>> = { MILLISECOND: 1, SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000, WEEK: 7 * 86_400_000 };
const MONTHS: Readonly<Partial<Record<TimeUnit, number>>> = { MONTH: 1, QUARTER: 3, YEAR: 12 };
const ALIASES: Readonly<Record<string, string>> = {
  MILLISECONDS: "MILLISECOND",
  SECONDS: "SECOND",
  MINUTES: "MINUTE",
  HOURS: "HOUR",
  DAYS: "DAY",
  WEEKS: "WEEK",
  MONTHS: "MONTH",
  QUARTERS: "QUARTER",
  YEARS: "YEAR",
  SQL_TSI_SECOND: "SECOND",
  SQL_TSI_MINUTE: "MINUTE",
  SQL_TSI_HOUR: "HOUR",
  SQL_TSI_DAY: "DAY",
  SQL_TSI_WEEK: "WEEK",
  SQL_TSI_MONTH: "MONTH",
  SQL_TSI_QUARTER: "QUARTER",
  SQL_TSI_YEAR: "YEAR",
  DAYOFWEEK: "DOW",
  DAYOFYEAR: "DOY",
};

/** The unit a name means (case-insensitive, plural and SQL_TSI_ forms), or undefined. */
export function timeUnit(name: string): TimeUnit | undefined {
  const n = name.toUpperCase();
  const u = ALIASES[n] ?? n;
  return u in MILLIS || u in MONTHS ? (u as TimeUnit) : undefined;
}

/** The EXTRACT field a name means, or undefined. */
export function extractField(name: string): ExtractField | undefined {
  const n = ALIASES[name.toUpperCase()] ?? name.toUpperCase();
  return timeUnit(n) ?? (n === "DOW" || n === "ISODOW" || n === "DOY" || n === "EPOCH" ? n : undefined);
}

const DAY = 86_400_000;
const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/** A field of a timestamp, as a bigint (EXTRACT is BIGINT, as in Calcite). */
export function extract(field: ExtractField, ms: number): bigint {
  const d = new Date(ms);
  switch (field) {
    case "YEAR":
      return BigInt(d.getUTCFullYear());
    case "QUARTER":
      return BigInt(Math.floor(d.getUTCMonth() / 3) + 1);
    case "MONTH":
      return BigInt(d.getUTCMonth() + 1);
    case "WEEK":
      return BigInt(isoWeek(ms));
    case "DAY":
      return BigInt(d.getUTCDate());
    case "HOUR":
      return BigInt(d.getUTCHours());
    case "MINUTE":
      return BigInt(d.getUTCMinutes());
    case "SECOND":
      return BigInt(d.getUTCSeconds());
    case "MILLISECOND":
      // Calcite and DuckDB count the seconds too: 12.345 s is 12345.
      return BigInt(d.getUTCSeconds() * 1000 + d.getUTCMilliseconds());
    case "DOW":
      return BigInt(d.getUTCDay() + 1);
    case "ISODOW":
      return BigInt(((d.getUTCDay() + 6) % 7) + 1);
    case "DOY":
      return BigInt(floorDiv(ms - Date.UTC(d.getUTCFullYear(), 0, 1), DAY) + 1);
    case "EPOCH":
      return BigInt(floorDiv(ms, 1000));
  }
}

/** ISO 8601 week number: weeks start on Monday, week 1 holds the year's first Thursday. */
function isoWeek(ms: number): number {
  const day = floorDiv(ms, DAY);
  const isoDow = ((new Date(ms).getUTCDay() + 6) % 7) + 1;
  const thursday = day + 4 - isoDow;
  const year = new Date(thursday * DAY).getUTCFullYear();
  return Math.floor((thursday - Date.UTC(year, 0, 1) / DAY) / 7) + 1;
}

/** The start of the unit holding `ms` (FLOOR(ts TO unit)); weeks start on Monday, as ISO weeks. */
export function floorTo(unit: TimeUnit, ms: number): number {
  const months = MONTHS[unit];
  if (months !== undefined) {
    const d = new Date(ms);
    const month = d.getUTCMonth() - (d.getUTCMonth() % months);
    return Date.UTC(d.getUTCFullYear(), month, 1);
  }
  // The epoch was a Thursday: weeks are counted from Monday, 1969-12-29.
  if (unit === "WEEK") return floorDiv(ms + 3 * DAY, 7 * DAY) * 7 * DAY - 3 * DAY;
  const size = MILLIS[unit]!;
  return floorDiv(ms, size) * size;
}

/** The smallest start of a unit at or after `ms` (CEIL(ts TO unit)). */
export function ceilTo(unit: TimeUnit, ms: number): number {
  const floor = floorTo(unit, ms);
  return floor === ms ? ms : addUnits(unit, 1, floor);
}

/** `ms` plus `n` units (TIMESTAMPADD); calendar units clamp the day to the month's last. */
export function addUnits(unit: TimeUnit, n: number, ms: number): number {
  const months = MONTHS[unit];
  if (months === undefined) return ms + n * MILLIS[unit]!;
  const d = new Date(ms);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + n * months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const timeOfDay = ms - floorDiv(ms, DAY) * DAY;
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay)) + timeOfDay;
}

/**
 * The whole units from `a` to `b` (TIMESTAMPDIFF(unit, a, b)), truncated toward zero. Months
 * count as Calcite counts them: the month difference, less one when `b`'s day of month and
 * time of day are before `a`'s (January 31 to February 29 is 0 months).
 */
export function diffUnits(unit: TimeUnit, a: number, b: number): bigint {
  const months = MONTHS[unit];
  if (months === undefined) return BigInt(Math.trunc((b - a) / MILLIS[unit]!));
  const da = new Date(a);
  const db = new Date(b);
  let m = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + (db.getUTCMonth() - da.getUTCMonth());
  const restA = (da.getUTCDate() - 1) * DAY + (a - floorDiv(a, DAY) * DAY);
  const restB = (db.getUTCDate() - 1) * DAY + (b - floorDiv(b, DAY) * DAY);
  if (m > 0 && restB < restA) m--;
  else if (m < 0 && restB > restA) m++;
  return BigInt(Math.trunc(m / months));
}

/** A DATE (days since the epoch) as 'YYYY-MM-DD'. */
export function formatDate(days: number): string {
  return new Date(days * DAY).toISOString().slice(0, 10);
}

/** A TIMESTAMP as 'YYYY-MM-DD HH:MM:SS' with '.mmm' when it has milliseconds (Calcite's form). */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return ms % 1000 === 0 ? base : `${base}.${iso.slice(20, 23)}`;
}

/** 'YYYY-MM-DD[ HH:MM:SS[.fff]]' (or ISO with T and Z) in UTC as milliseconds, or NaN. */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?Z?$/.exec(s);
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, sec, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0), Number((frac ?? "0").padEnd(3, "0")));
  // Date.UTC rolls over out-of-range parts (month 13, Feb 30): refuse them instead.
  const back = new Date(ms);
  if (back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(sec ?? 0) > 59) return NaN;
  return ms;
}

/** 'YYYY-MM-DD' as days since the epoch, or NaN. */
export function parseDate(text: string): number {
  const s = text.trim();
  if (!/^\d{4}-\d{1,2}-\d{1,2}$/.test(s)) return NaN;
  const ms = parseTimestamp(s);
  return Number.isNaN(ms) ? NaN : ms / DAY;
}
