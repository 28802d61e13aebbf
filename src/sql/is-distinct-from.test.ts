import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBigDecimal } from "../coders/index.js";
import { bindExpr, type Column } from "./bind-expression.js";
import { renderExpression } from "./bound-expression.js";
import { compileExpression } from "./compile-expression.js";
import { parseSql } from "./parse.js";
import { SqlError } from "./sql-error.js";

// IS [NOT] DISTINCT FROM as Calcite has it: `=` that treats NULL as a value, never NULL itself.

const columns: Column[] = [
  { table: "t", name: "p", type: { name: "BOOLEAN", nullable: true } },
  { table: "t", name: "n", type: { name: "INTEGER", nullable: true } },
  { table: "t", name: "o", type: { name: "INTEGER", nullable: true } },
  { table: "t", name: "b", type: { name: "BIGINT", nullable: true } },
  { table: "t", name: "x", type: { name: "DOUBLE", nullable: true } },
  { table: "t", name: "m", type: { name: "DECIMAL", nullable: true } },
  { table: "t", name: "s", type: { name: "VARCHAR", nullable: true } },
  { table: "t", name: "ts", type: { name: "TIMESTAMP", nullable: true } },
  { table: "t", name: "d", type: { name: "DATE", nullable: true } },
];
type Row = { p?: boolean | null; n?: number | null; o?: number | null; b?: bigint | null; x?: number | null; m?: string | null; s?: string | null; ts?: number | null; d?: number | null };

function bound(expression: string) {
  const query = `SELECT ${expression} FROM t`;
  const statement = parseSql(query);
  if (statement.query.kind !== "select" || statement.query.items[0]?.kind !== "expr") throw new Error("not a select");
  return bindExpr(statement.query.items[0].expr, { query, columns, clause: "SELECT" });
}

function evaluate(expression: string, r: Row): unknown {
  const row = [r.p, r.n, r.o, r.b, r.x, r.m === undefined || r.m === null ? null : parseBigDecimal(r.m), r.s, r.ts, r.d].map((v) => v ?? null);
  return compileExpression(bound(expression))(row);
}

const int = fc.option(fc.integer({ min: -2, max: 2 }), { nil: null });
const truth = fc.constantFrom(true, false, null);

describe("IS [NOT] DISTINCT FROM", () => {
  it("is never NULL: two NULLs are not distinct, a NULL and a value are, two values are as = says", () => {
    fc.assert(
      fc.property(int, int, (n, o) => {
        const distinct = n === null || o === null ? n !== o : n !== o;
        expect(evaluate("n IS DISTINCT FROM o", { n, o })).toBe(distinct);
        expect(evaluate("n IS NOT DISTINCT FROM o", { n, o })).toBe(!distinct);
        // The same as = and <> wherever neither side is NULL.
        if (n !== null && o !== null) expect(evaluate("n IS NOT DISTINCT FROM o", { n, o })).toBe(evaluate("n = o", { n, o }));
      }),
    );
    expect(evaluate("NULL IS NOT DISTINCT FROM NULL", {})).toBe(true);
    expect(evaluate("n IS DISTINCT FROM NULL", { n: 1 })).toBe(true);
    expect(evaluate("NULL IS DISTINCT FROM n", { n: null })).toBe(false);
  });

  it("compares across types after ='s implicit casts: INTEGER with BIGINT and DOUBLE, DECIMAL at two scales, DATE with TIMESTAMP, strings, booleans", () => {
    expect(evaluate("n IS NOT DISTINCT FROM b", { n: 3, b: 3n })).toBe(true);
    expect(evaluate("b IS DISTINCT FROM n", { n: 3, b: 4n })).toBe(true);
    expect(evaluate("n IS NOT DISTINCT FROM x", { n: 1, x: 1.0 })).toBe(true);
    expect(evaluate("x IS DISTINCT FROM 0.25", { x: 0.25 })).toBe(false);
    expect(evaluate("m IS NOT DISTINCT FROM 1.5", { m: "1.50" })).toBe(true);
    expect(evaluate("m IS DISTINCT FROM n", { m: "2.00", n: 2 })).toBe(false);
    expect(evaluate("9223372036854775807 IS DISTINCT FROM b", { b: 9223372036854775806n })).toBe(true);
    expect(evaluate("s IS NOT DISTINCT FROM 'a'", { s: "a" })).toBe(true);
    expect(evaluate("s IS DISTINCT FROM 'A'", { s: "a" })).toBe(true);
    expect(evaluate("p IS DISTINCT FROM (n > 0)", { p: true, n: 1 })).toBe(false);
    expect(evaluate("p IS DISTINCT FROM (n > 0)", { p: null, n: null })).toBe(false);
    const midnight = Date.UTC(2024, 0, 1);
    expect(evaluate("d IS NOT DISTINCT FROM ts", { d: midnight / 86_400_000, ts: midnight })).toBe(true);
    expect(evaluate("ts IS DISTINCT FROM TIMESTAMP '2024-01-01 00:00:01'", { ts: midnight })).toBe(true);
    expect(evaluate("d IS NOT DISTINCT FROM DATE '2024-01-01'", { d: midnight / 86_400_000 })).toBe(true);
  });

  it("agrees with CASE over IS NULL and <> for any typed pair of nullable values", () => {
    const pair = fc.oneof(
      fc.record({ n: int, b: fc.option(fc.bigInt({ min: -2n, max: 2n }), { nil: null }) }).map((r) => ({ row: r as Row, l: "n", r: "b" })),
      fc.record({ n: int, x: fc.option(fc.constantFrom(-1, 0, 0.5, 1, 2), { nil: null }) }).map((r) => ({ row: r as Row, l: "x", r: "n" })),
      fc.record({ m: fc.option(fc.constantFrom("1.5", "1.50", "-2", "0.00"), { nil: null }), n: int }).map((r) => ({ row: r as Row, l: "m", r: "n" })),
      fc.record({ s: fc.option(fc.constantFrom("a", "b", ""), { nil: null }) }).map((r) => ({ row: r as Row, l: "s", r: "'a'" })),
      fc.record({ p: truth }).map((r) => ({ row: r as Row, l: "p", r: "NULL" })),
    );
    fc.assert(
      fc.property(pair, fc.boolean(), ({ row, l, r }, negated) => {
        const model = `CASE WHEN ${l} IS NULL THEN ${r} IS NOT NULL WHEN ${r} IS NULL THEN TRUE ELSE ${l} <> ${r} END`;
        const distinct = evaluate(model, row);
        expect(evaluate(`${l} IS ${negated ? "NOT " : ""}DISTINCT FROM ${r}`, row)).toBe(negated ? !distinct : distinct);
      }),
    );
  });

  it("binds at the comparisons' precedence, to the left: tighter than IS TRUE, NOT, AND and OR, looser than arithmetic and LIKE", () => {
    fc.assert(
      fc.property(truth, int, int, (p, n, o) => {
        const row = { p, n, o };
        const eq = (a: boolean | number | null, c: boolean | number | null) => (a === null || c === null ? null : a === c);
        const distinct = (a: boolean | number | null, c: boolean | number | null) => (a === null || c === null ? a !== c : a !== c);
        // (n = o) IS DISTINCT FROM p, and (n IS DISTINCT FROM o) = p: the left operator first.
        expect(evaluate("n = o IS DISTINCT FROM p", row)).toBe(distinct(eq(n, o), p));
        expect(evaluate("n IS DISTINCT FROM o = p", row)).toBe(eq(distinct(n, o), p));
        expect(evaluate("n IS DISTINCT FROM o IS NOT DISTINCT FROM p", row)).toBe(!distinct(distinct(n, o), p));
        expect(evaluate("NOT n IS DISTINCT FROM o", row)).toBe(!distinct(n, o));
        expect(evaluate("n + 1 IS DISTINCT FROM o * 2", row)).toBe(distinct(n === null ? null : n + 1, o === null ? null : o * 2));
        expect(evaluate("n IS DISTINCT FROM o IS FALSE", row)).toBe(!distinct(n, o));
        expect(evaluate("'ab' LIKE 'a%' IS DISTINCT FROM p", row)).toBe(distinct(true, p));
        const and = p === false ? false : p === null ? (distinct(n, o) ? null : false) : distinct(n, o);
        expect(evaluate("p AND n IS DISTINCT FROM o", row)).toBe(and);
        expect(evaluate("CASE WHEN n IS NOT DISTINCT FROM o THEN 'same' ELSE 'other' END", row)).toBe(distinct(n, o) ? "other" : "same");
      }),
    );
  });

  it("refuses operands with no common type at its IS keyword, with a fix", () => {
    let error: unknown;
    try {
      bound("ts IS NOT DISTINCT FROM n");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).problem).toBe("cannot compare TIMESTAMP with INTEGER");
    expect((error as SqlError).position?.offset).toBe("SELECT ts ".length);
    expect((error as SqlError).hint).toMatch(/CAST/);
  });

  it("is typed BOOLEAN NOT NULL and shows as written in EXPLAIN", () => {
    const b = bound("n IS NOT DISTINCT FROM 1");
    expect(b.type).toEqual({ name: "BOOLEAN", nullable: false });
    expect(renderExpression(b)).toBe("(n IS NOT DISTINCT FROM 1)");
  });
});
