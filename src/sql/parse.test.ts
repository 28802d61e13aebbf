import { describe, expect, it } from "vitest";
import type { Expr } from "./ast.js";
import { parseSql } from "./parse.js";

/** The SELECT list's expressions of a one-SELECT query. */
function selectList(query: string): Expr[] {
  const { query: q } = parseSql(query);
  if (q.kind !== "select") throw new Error("not a select");
  return q.items.flatMap((i) => (i.kind === "expr" ? [i.expr] : []));
}

describe("parseSql positions", () => {
  it("places a binary expression at its operator, never past its right operand, whatever its operands are", () => {
    // Each operator is written once, or its repeats are in a string, a call's arguments or a nested operand found first.
    const query = "SELECT a + b, -1, 2 - c, f(1 * 2) * 3, (a - 1) / 4, 'x-y' || '-', x BETWEEN 1 AND 2 AND y, a <> b, c >= 0 OR d FROM t";
    const ats = selectList(query).map((e) => e.at);
    expect(ats).toEqual([
      query.indexOf("+ b"),
      query.indexOf("-1"),
      query.indexOf("- c"),
      query.indexOf("* 3"),
      query.indexOf("/ 4"),
      query.indexOf("|| '-'"),
      query.indexOf("AND y"),
      query.indexOf("<> b"),
      query.indexOf("OR d"),
    ]);
  });

  it("places number and string literals at their text, so an error about one points at it", () => {
    const query = "SELECT 'it''s', 42, -7, 1.50 FROM t";
    expect(selectList(query).map((e) => e.at)).toEqual([query.indexOf("'it"), query.indexOf("42"), query.indexOf("-7"), query.indexOf("1.50")]);
  });

  it("leaves a literal the time syntax wrote, which the user's text lacks, without a position", () => {
    const query = "SELECT FLOOR(ts TO DAY), 'DAY' FROM t";
    const [floor, day] = selectList(query);
    expect(floor?.kind === "call" ? floor.args[1]?.at : undefined).toBe(-1);
    expect(day?.at).toBe(query.indexOf("'DAY'"));
  });
});
