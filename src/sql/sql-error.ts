import { BeamError } from "../model/index.js";

/** A place in the SQL text: 0-based offset, 1-based line and column. */
export interface SqlPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/**
 * A query that cannot be compiled (code `"SQL"`): a syntax error, an unknown table or
 * column, a type mismatch, a construct beam-ts SQL does not support. Raised while the
 * pipeline is built, never while it runs. The message names the position in the SQL text
 * (`line 1, column 8`), shows the line with a caret, and says how to fix it.
 *
 * @example
 * try { sql("SELECT nme FROM PCOLLECTION") } catch (e) { (e as SqlError).position?.column } // 8
 */
export class SqlError extends BeamError {
  constructor(
    /** What is wrong, without the position. */
    readonly problem: string,
    /** Where in the query; undefined when the problem is not at one place. */
    readonly position: SqlPosition | undefined,
    /** How to fix it. */
    readonly hint: string | undefined,
    query: string,
    options?: { cause?: unknown },
  ) {
    super("SQL", render(problem, position, hint, query), options);
  }
}

/**
 * A division (or MOD) by zero while a row is computed, as Calcite's ArithmeticException: the
 * element fails, rather than giving Infinity or NaN.
 */
export class SqlArithmeticError extends Error {}

/** The position of `offset` in `text`. */
export function positionAt(text: string, offset: number): SqlPosition {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset: clamped, line, column: clamped - lineStart + 1 };
}

function render(problem: string, position: SqlPosition | undefined, hint: string | undefined, query: string): string {
  const parts = [position === undefined ? `SQL: ${problem}` : `SQL (line ${position.line}, column ${position.column}): ${problem}`];
  if (position !== undefined) {
    const line = query.split("\n")[position.line - 1] ?? "";
    parts.push(`  ${line}`, `  ${" ".repeat(position.column - 1)}^`);
  }
  if (hint !== undefined) parts.push(`Fix: ${hint}`);
  return parts.join("\n");
}
