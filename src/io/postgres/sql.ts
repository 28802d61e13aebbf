import { ConstructionError } from "../../model/index.js";

/** A column name as a quoted identifier: the object key `userId` is the column "userId". */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// One part of a table name: a plain identifier (folded to lower case by PostgreSQL) or a quoted one.
const PART = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")`;
const TABLE_NAME = new RegExp(`^${PART}(?:\\.${PART}){0,2}$`);

/**
 * Checks a table name at construction time: `orders`, `shop.orders` or `"Mixed Case"` parts,
 * written into SQL as given (so unquoted names fold to lower case, as in psql). Anything else
 * is refused, so a table option can never carry SQL.
 */
export function checkTableName(what: string, table: unknown): string {
  if (typeof table !== "string" || !TABLE_NAME.test(table)) {
    throw new ConstructionError(
      `${what}: table must be a table name such as "orders" or "shop.orders" (double-quote parts with other characters: '"Order Lines"'), got ${JSON.stringify(table)}.`,
    );
  }
  return table;
}

/** Checks column names at construction time: non-empty strings, no duplicates. */
export function checkColumns(what: string, option: string, columns: unknown): readonly string[] {
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === "string" && c.length > 0)) {
    throw new ConstructionError(`${what}: ${option} must be a non-empty list of column names, got ${JSON.stringify(columns)}.`);
  }
  const seen = new Set<string>();
  for (const c of columns as string[]) {
    if (seen.has(c)) throw new ConstructionError(`${what}: ${option} names the column "${c}" twice.`);
    seen.add(c);
  }
  return columns as string[];
}
