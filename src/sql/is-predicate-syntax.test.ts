import { describe, expect, it } from "vitest";
import { isPredicateOf, rewriteIsPredicates } from "./is-predicate-syntax.js";
import { parseSql } from "./parse.js";
import { SqlError } from "./sql-error.js";

describe("rewriteIsPredicates", () => {
  it("wraps the operand Calcite gives an IS predicate: back to AND, OR, prefix NOT, a comma, a parenthesis or a clause keyword", () => {
    const cases: readonly (readonly [string, string])[] = [
      ["WHERE x > 1 IS TRUE", "WHERE BEAM$IS_TRUE(x > 1 )"],
      ["WHERE NOT x > 1 IS NOT FALSE", "WHERE NOT BEAM$IS_NOT_FALSE(x > 1 )"],
      ["WHERE a AND b = c IS UNKNOWN OR d", "WHERE a AND BEAM$IS_UNKNOWN(b = c ) OR d"],
      // BETWEEN's AND belongs to the operand; NOT LIKE's NOT is infix.
      ["WHERE p AND x BETWEEN 1 AND 2 IS TRUE", "WHERE p AND BEAM$IS_TRUE(x BETWEEN 1 AND 2 )"],
      ["WHERE k NOT LIKE 'a%' IS NOT TRUE", "WHERE BEAM$IS_NOT_TRUE(k NOT LIKE 'a%' )"],
      ["SELECT f(a, b IN (1, 2) IS FALSE), c IS NULL", "SELECT f(a, BEAM$IS_FALSE(b IN (1, 2) )), BEAM$IS_NULL(c )"],
      // Parenthesized parts and CASE ... END are skipped whole; a later predicate wraps an earlier one.
      ["WHEN (a OR b) = c IS TRUE THEN", "WHEN BEAM$IS_TRUE((a OR b) = c ) THEN"],
      ["SELECT CASE WHEN p THEN 1 END = 1 IS TRUE", "SELECT BEAM$IS_TRUE(CASE WHEN p THEN 1 END = 1 )"],
      ["HAVING x IS NOT NULL IS FALSE", "HAVING BEAM$IS_FALSE(BEAM$IS_NOT_NULL(x ) )"],
    ];
    for (const [text, rewritten] of cases) expect(rewriteIsPredicates(text).text, text).toBe(rewritten);
  });

  it("leaves string literals, quoted identifiers, comments and other IS forms alone", () => {
    for (const text of ["SELECT 'x IS TRUE', \"a IS NULL\" FROM t -- b IS FALSE", "SELECT a FROM t WHERE a IS DISTINCT FROM b"]) {
      const r = rewriteIsPredicates(text);
      expect(r.text).toBe(text);
      expect(r.originalOffset(7)).toBe(7);
    }
  });

  it("maps offsets of the rewritten text back to the user's: copied text to itself, inserted text to where it stands for", () => {
    const text = "SELECT a FROM t WHERE x > 1 IS TRUE AND y";
    const r = rewriteIsPredicates(text);
    const rewritten = r.text;
    // Every character copied from the user's text maps to that character.
    for (const word of ["x > 1", "AND y", "SELECT a"]) expect(r.originalOffset(rewritten.indexOf(word))).toBe(text.indexOf(word));
    // The inserted call name maps to the operand's start, its closing parenthesis to IS.
    expect(r.originalOffset(rewritten.indexOf("BEAM$"))).toBe(text.indexOf("x > 1"));
    expect(r.originalOffset(rewritten.indexOf(")"))).toBe(text.indexOf("IS TRUE"));
    expect(r.isKeywordOf(rewritten.indexOf(")") + 2)).toBe(text.indexOf("IS TRUE"));
  });

  it("points a syntax error after a rewritten predicate at the user's text", () => {
    const query = "SELECT a FROM t WHERE x > 1 IS TRUE AND y)";
    let error: unknown;
    try {
      parseSql(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).position?.offset).toBe(query.indexOf(")"));
  });

  it("names each predicate by the call it becomes", () => {
    expect(isPredicateOf("BEAM$IS_NOT_UNKNOWN")).toEqual({ test: "UNKNOWN", negated: true });
    expect(isPredicateOf("BEAM$IS_TRUE")).toEqual({ test: "TRUE", negated: false });
    expect(isPredicateOf("IS_TRUE")).toBeUndefined();
  });
});
