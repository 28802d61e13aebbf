/**
 * The rows of the file-format benchmark (`bench/files.ts`): one deterministic row per index,
 * its CSV text, and the checksum both sides of every comparison compute, so a pipeline and
 * its hand-written loop are checked to have read (or written) the same values.
 */
import { schema, t, type RowOf } from "../src/index.js";

/** The benchmark's rows: the usual column types of a CSV export (int64, text, numbers, timestamp, flag, nullable text). */
export const BenchRow = schema({
  id: t.int64(),
  name: t.string(),
  price: t.double(),
  qty: t.int32(),
  at: t.timestamp(),
  active: t.boolean(),
  note: t.string().nullable(),
});
export type BenchRow = RowOf<typeof BenchRow>;

/** The CSV header line (no terminator). */
export const CSV_HEADER = "id,name,price,qty,at,active,note";

const NOTES = ["", "fragile", "gift, wrapped", 'said "hi"', "leave at door", "call first"];
const T0 = Date.UTC(2024, 0, 1);

/**
 * Row `i`: names from 10,000 customers, prices with cents, one timestamp a second, a note
 * that is null a sixth of the time and needs quoting (a comma, a quote) a third of the time,
 * so the CSV reader meets quoted fields and the Parquet writer a nullable column.
 */
export function benchRow(i: number): BenchRow {
  const note = NOTES[i % NOTES.length]!;
  return {
    id: BigInt(i) * 7919n,
    name: `customer-${(i * 31) % 10_000}`,
    price: ((i * 37) % 100_000) / 100,
    qty: (i * 13) % 50,
    at: T0 + i * 1000,
    active: i % 3 !== 0,
    note: note === "" ? null : note,
  };
}

/** One CSV field, quoted when it holds a delimiter or quote (quotes doubled), as RFC 4180 says. */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Row `i` as one CSV line (no terminator); a null note is an empty unquoted cell. */
export function csvLine(row: BenchRow): string {
  const at = new Date(row.at).toISOString();
  return `${row.id},${csvField(row.name)},${row.price},${row.qty},${at},${row.active},${row.note === null ? "" : csvField(row.note)}`;
}

/** A running checksum of rows: the count, and sums over every column, so a value read wrong shows. */
export class RowChecksum {
  rows = 0;
  private ids = 0n;
  private sum = 0;

  add(row: BenchRow): void {
    this.rows++;
    this.ids += row.id;
    this.sum += row.price * 100 + row.qty + (row.at % 1_000_000) + (row.active ? 1 : 0) + (row.note === null ? 7 : row.note.length) + row.name.length;
  }

  /** A string both sides compare; equal only if every row matched. */
  value(): string {
    return `${this.rows}:${this.ids}:${Math.round(this.sum)}`;
  }
}

/** The checksum of rows [0, n), what every read and write of n rows must give. */
export function expectedChecksum(n: number): string {
  const sum = new RowChecksum();
  for (let i = 0; i < n; i++) sum.add(benchRow(i));
  return sum.value();
}

/** Megabytes (2^20 bytes) per second. */
export function mbPerSec(bytes: number, seconds: number): number {
  return bytes / 2 ** 20 / seconds;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no values");
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
