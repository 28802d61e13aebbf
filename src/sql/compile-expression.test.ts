import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bindExpr, type Column } from "./bind-expression.js";
import { compileExpression } from "./compile-expression.js";
import { parseSql } from "./parse.js";
import { SqlError } from "./sql-error.js";

const columns: Column[] = [
  { table: "t", name: "p", type: { name: "BOOLEAN", nullable: true } },
  { table: "t", name: "q", type: { name: "BOOLEAN", nullable: true } },
  { table: "t", name: "n", type: { name: "INTEGER", nullable: true } },
];

function evaluate(expression: string, row: readonly unknown[]): unknown {
  const query = `SELECT ${expression} FROM t`;
  const statement = parseSql(query);
  if (statement.query.kind !== "select" || statement.query.items[0]?.kind !== "expr") throw new Error("not a select");
  return compileExpression(bindExpr(statement.query.items[0].expr, { query, columns, clause: "SELECT" }))(row);
}

// Kleene's three-valued logic, with null as UNKNOWN.
const and3 = (a: boolean | null, b: boolean | null) => (a === false || b === false ? false : a === null || b === null ? null : true);
const or3 = (a: boolean | null, b: boolean | null) => (a === true || b === true ? true : a === null || b === null ? null : false);

describe("compiled expressions", () => {
  it("follow SQL's three-valued logic for AND, OR and NOT", () => {
    const truth = fc.constantFrom(true, false, null);
    fc.assert(
      fc.property(truth, truth, (p, q) => {
        expect(evaluate("p AND q", [p, q, 0])).toBe(and3(p, q));
        expect(evaluate("p OR q", [p, q, 0])).toBe(or3(p, q));
        expect(evaluate("NOT p", [p, q, 0])).toBe(p === null ? null : !p);
      }),
    );
  });

  it("give IS [NOT] TRUE / FALSE / UNKNOWN two values, NULL being neither TRUE nor FALSE but UNKNOWN", () => {
    const truth = fc.constantFrom(true, false, null);
    fc.assert(
      fc.property(truth, (p) => {
        expect(evaluate("p IS TRUE", [p, null, 0])).toBe(p === true);
        expect(evaluate("p IS NOT TRUE", [p, null, 0])).toBe(p !== true);
        expect(evaluate("p IS FALSE", [p, null, 0])).toBe(p === false);
        expect(evaluate("p IS NOT FALSE", [p, null, 0])).toBe(p !== false);
        expect(evaluate("p IS UNKNOWN", [p, null, 0])).toBe(p === null);
        expect(evaluate("p IS NOT UNKNOWN", [p, null, 0])).toBe(p !== null);
      }),
    );
    expect(evaluate("NULL IS UNKNOWN", [null, null, 0])).toBe(true);
    expect(evaluate("NULL IS TRUE", [null, null, 0])).toBe(false);
  });

  it("bind IS predicates looser than comparisons, BETWEEN and IN, tighter than NOT and AND (Calcite's precedence)", () => {
    const truth = fc.constantFrom(true, false, null);
    const int = fc.option(fc.integer({ min: -2, max: 4 }), { nil: null });
    fc.assert(
      fc.property(truth, truth, int, (p, q, n) => {
        const row = [p, q, n];
        const gt = n === null ? null : n > 1;
        expect(evaluate("n > 1 IS TRUE", row)).toBe(gt === true);
        expect(evaluate("n > 1 IS NOT FALSE", row)).toBe(gt !== false);
        expect(evaluate("n = 1 IS UNKNOWN", row)).toBe(n === null);
        expect(evaluate("n BETWEEN 1 AND 3 IS NOT TRUE", row)).toBe(!(n !== null && n >= 1 && n <= 3));
        expect(evaluate("n IN (1, NULL) IS FALSE", row)).toBe(false);
        expect(evaluate("NOT p IS TRUE", row)).toBe(p !== true);
        expect(evaluate("p AND q IS FALSE", row)).toBe(and3(p, q === false));
        expect(evaluate("p OR q IS NOT UNKNOWN", row)).toBe(or3(p, q !== null));
        expect(evaluate("p = q IS NULL", row)).toBe(p === null || q === null);
        expect(evaluate("p IS NULL IS FALSE", row)).toBe(p !== null);
        expect(evaluate("CASE WHEN n > 1 IS NOT TRUE THEN 'no' ELSE 'yes' END", row)).toBe(gt === true ? "yes" : "no");
        expect(evaluate("COALESCE(p, q) IS TRUE", row)).toBe((p ?? q) === true);
      }),
    );
  });

  it("refuses IS TRUE on a value that is not BOOLEAN, at the operand", () => {
    expect(() => evaluate("n IS TRUE", [null, null, 0])).toThrow(/column 8\): IS TRUE takes a BOOLEAN, got INTEGER/);
    expect(() => evaluate("n + 1 IS NOT UNKNOWN", [null, null, 0])).toThrow(/IS NOT UNKNOWN takes a BOOLEAN, got INTEGER/);
    expect(evaluate("n + 1 IS NOT NULL", [null, null, 0])).toBe(true);
  });

  it("give NULL for comparisons with NULL and for IN lists that only miss through a NULL", () => {
    expect(evaluate("n = 1", [null, null, null])).toBeNull();
    expect(evaluate("n IN (1, NULL)", [null, null, 2])).toBeNull();
    expect(evaluate("n IN (1, NULL)", [null, null, 1])).toBe(true);
    expect(evaluate("n BETWEEN 1 AND 3", [null, null, 2])).toBe(true);
    expect(evaluate("CASE WHEN n > 1 THEN 'big' ELSE 'small' END", [null, null, 5])).toBe("big");
    expect(evaluate("COALESCE(n, 7)", [null, null, null])).toBe(7);
  });

  it("wraps INTEGER arithmetic at 32 bits as Java's int does", () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: -1000, max: 1000 }), (a, b) => {
        expect(evaluate(`n * ${b}`, [null, null, a])).toBe(Math.imul(a, b));
      }),
    );
  });

  it("fails MOD and % by zero as a division by zero, never giving NaN", () => {
    expect(evaluate("MOD(n, 3)", [null, null, -7])).toBe(-1);
    expect(evaluate("n % 3", [null, null, -7])).toBe(-1);
    expect(() => evaluate("MOD(n, 0)", [null, null, 7])).toThrow(/division by zero/);
    expect(() => evaluate("n % 0", [null, null, 7])).toThrow(/division by zero/);
    expect(() => evaluate("MOD(CAST(n AS BIGINT), CAST(0 AS BIGINT))", [null, null, 7])).toThrow(/division by zero/);
  });

  it("matches LIKE patterns without reading them as regular expressions", () => {
    expect(evaluate("'a.c' LIKE 'a.c'", [null, null, 0])).toBe(true);
    expect(evaluate("'abc' LIKE 'a.c'", [null, null, 0])).toBe(false);
    expect(evaluate("'abc' LIKE 'a_c'", [null, null, 0])).toBe(true);
    expect(evaluate("'abc' LIKE '%c'", [null, null, 0])).toBe(true);
  });

  it("refuses a type mismatch with its position", () => {
    expect(() => evaluate("p + 1", [null, null, 0])).toThrow(SqlError);
    expect(() => evaluate("p + 1", [null, null, 0])).toThrow(/column 8\): \+ takes numbers, got BOOLEAN/);
  });
});
