import { describe, expect, it } from "vitest";
import { distinctPredicateOf, isPredicateOf, rewriteIsPredicates } from "./is-predicate-syntax.js";
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

  it("makes IS [NOT] DISTINCT FROM a call of both operands at Calcite's precedence: the comparisons', associating to the left", () => {
    const cases: readonly (readonly [string, string])[] = [
      ["WHERE a IS DISTINCT FROM b", "WHERE BEAM$IS_DISTINCT_FROM(a , b)"],
      // A comparison on either side: the one on the left is in the operand, the one on the right takes the call as its operand.
      ["WHERE a = b IS NOT DISTINCT FROM c", "WHERE BEAM$IS_NOT_DISTINCT_FROM(a = b , c)"],
      ["WHERE a IS DISTINCT FROM b = c", "WHERE BEAM$IS_DISTINCT_FROM(a , b) = c"],
      ["WHERE a IS DISTINCT FROM b IS DISTINCT FROM c", "WHERE BEAM$IS_DISTINCT_FROM(BEAM$IS_DISTINCT_FROM(a , b) , c)"],
      // Arithmetic, LIKE, BETWEEN and calls bind tighter; AND, OR, NOT and the IS predicates looser.
      ["WHERE NOT a + 1 IS DISTINCT FROM -b * (c + 1) AND d", "WHERE NOT BEAM$IS_DISTINCT_FROM(a + 1 , -b * (c + 1)) AND d"],
      ["WHERE k LIKE 'a%' IS DISTINCT FROM b NOT LIKE 'x' OR d", "WHERE BEAM$IS_DISTINCT_FROM(k LIKE 'a%' , b NOT LIKE 'x') OR d"],
      ["WHERE p AND a IS DISTINCT FROM b BETWEEN 1 AND 2 AND c", "WHERE p AND BEAM$IS_DISTINCT_FROM(a , b BETWEEN 1 AND 2) AND c"],
      ["WHERE a IS DISTINCT FROM b IS TRUE", "WHERE BEAM$IS_TRUE(BEAM$IS_DISTINCT_FROM(a , b) )"],
      ["WHERE a IS NULL IS NOT DISTINCT FROM b", "WHERE BEAM$IS_NOT_DISTINCT_FROM(BEAM$IS_NULL(a ) , b)"],
      // The right operand ends at a comma, a parenthesis, END, a clause keyword or an alias.
      ["SELECT f(a IS DISTINCT FROM b), c IS DISTINCT FROM t.d x FROM t", "SELECT f(BEAM$IS_DISTINCT_FROM(a , b)), BEAM$IS_DISTINCT_FROM(c , t.d) x FROM t"],
      ["SELECT a IS DISTINCT FROM DATE '2024-01-01' AS y FROM t", "SELECT BEAM$IS_DISTINCT_FROM(a , DATE '2024-01-01') AS y FROM t"],
      ["SELECT ts IS DISTINCT FROM ts + INTERVAL '1' HOUR FROM t", "SELECT BEAM$IS_DISTINCT_FROM(ts , ts + INTERVAL '1' HOUR) FROM t"],
      ["SELECT CASE WHEN a IS DISTINCT FROM CAST(b AS INT) THEN 1 END FROM t", "SELECT CASE WHEN BEAM$IS_DISTINCT_FROM(a , CAST(b AS INT)) THEN 1 END FROM t"],
      ["ON t.k = u.k AND t.a IS NOT DISTINCT FROM u.c WHERE x", "ON t.k = u.k AND BEAM$IS_NOT_DISTINCT_FROM(t.a , u.c) WHERE x"],
      ["WHERE a IS DISTINCT FROM CASE WHEN p THEN 1 END GROUP BY a", "WHERE BEAM$IS_DISTINCT_FROM(a , CASE WHEN p THEN 1 END) GROUP BY a"],
      ["SELECT a IS DISTINCT FROM b -- c\n FROM t", "SELECT BEAM$IS_DISTINCT_FROM(a , b) -- c\n FROM t"],
      ["SELECT a IS DISTINCT FROM (b)IS TRUE FROM t", "SELECT BEAM$IS_TRUE(BEAM$IS_DISTINCT_FROM(a , (b))) FROM t"],
    ];
    for (const [text, rewritten] of cases) expect(rewriteIsPredicates(text).text, text).toBe(rewritten);
  });

  it("maps a DISTINCT FROM call's comma to its IS keyword, which the call's end names", () => {
    const text = "SELECT a FROM t WHERE x IS NOT DISTINCT FROM y AND z";
    const r = rewriteIsPredicates(text);
    expect(r.originalOffset(r.text.indexOf(","))).toBe(text.indexOf("IS NOT"));
    expect(r.originalOffset(r.text.indexOf("y)"))).toBe(text.indexOf("y AND"));
    expect(r.isKeywordOf(r.text.indexOf("y)") + 2)).toBe(text.indexOf("IS NOT"));
  });

  it("leaves string literals, quoted identifiers, comments and other IS forms alone", () => {
    for (const text of ["SELECT 'x IS TRUE', \"a IS DISTINCT FROM b\" FROM t -- b IS FALSE", "SELECT a FROM t WHERE a IS JSON"]) {
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
    expect(isPredicateOf("BEAM$IS_DISTINCT_FROM")).toBeUndefined();
    expect(distinctPredicateOf("BEAM$IS_NOT_DISTINCT_FROM")).toEqual({ negated: true });
    expect(distinctPredicateOf("BEAM$IS_DISTINCT_FROM")).toEqual({ negated: false });
    expect(distinctPredicateOf("BEAM$IS_NOT_NULL")).toBeUndefined();
  });
});
