import { describe, expect, it } from "vitest";
import { SqlError, explainSql, schema, t } from "../../src/index.js";

// What beam-ts SQL does not run must fail while the pipeline is built, at the place in the
// SQL text, with a fix: never a generic syntax error, never a query that runs differently.

const T = schema({ k: t.string(), a: t.int32(), ts: t.timestamp() }, { name: "T" });

function refusal(query: string): SqlError {
  try {
    explainSql(query, { PCOLLECTION: T });
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error(`expected a SqlError for ${query}`);
}

describe("SQL refusals", () => {
  const cases: readonly { readonly what: string; readonly query: string; readonly problem: RegExp; readonly at: string; readonly fix: RegExp }[] = [
    { what: "a window (OVER) function", query: "SELECT k, SUM(a) OVER (PARTITION BY k) FROM PCOLLECTION", problem: /window functions \(OVER\) are not supported/, at: "OVER", fix: /GROUP BY/ },
    { what: "a ranking function", query: "SELECT k, ROW_NUMBER() OVER (ORDER BY a) FROM PCOLLECTION", problem: /window functions \(OVER\) are not supported/, at: "OVER", fix: /DoFn/ },
    { what: "IN (SELECT ...)", query: "SELECT k FROM PCOLLECTION WHERE a IN (SELECT a FROM PCOLLECTION)", problem: /subqueries in expressions are not supported/, at: "SELECT a", fix: /FROM/ },
    { what: "a scalar subquery", query: "SELECT k FROM PCOLLECTION WHERE a = (SELECT MAX(a) FROM PCOLLECTION)", problem: /subqueries in expressions are not supported/, at: "SELECT MAX", fix: /FROM/ },
    { what: "EXISTS", query: "SELECT k FROM PCOLLECTION WHERE EXISTS (SELECT 1 FROM PCOLLECTION)", problem: /subqueries in expressions are not supported/, at: "SELECT 1", fix: /FROM/ },
    { what: "ORDER BY without LIMIT", query: "SELECT k FROM PCOLLECTION ORDER BY a", problem: /ORDER BY without LIMIT/, at: "a", fix: /LIMIT n/ },
    { what: "SUM(DISTINCT ...)", query: "SELECT SUM(DISTINCT a) FROM PCOLLECTION", problem: /SUM\(DISTINCT \.\.\.\) is not supported/, at: "SUM", fix: /COUNT\(DISTINCT/ },
    { what: "IS TRUE on a number", query: "SELECT k FROM PCOLLECTION WHERE a IS TRUE", problem: /IS TRUE takes a BOOLEAN, got INTEGER/, at: "a IS", fix: /x = 1/ },
    { what: "IS DISTINCT FROM between types with no common one", query: "SELECT k FROM PCOLLECTION WHERE a IS DISTINCT FROM ts", problem: /cannot compare INTEGER with TIMESTAMP/, at: "IS DISTINCT", fix: /CAST/ },
    { what: "a comparison between types with no common one", query: "SELECT a = ts AND k = 'x' FROM PCOLLECTION", problem: /cannot compare INTEGER with TIMESTAMP/, at: "= ts", fix: /CAST/ },
    { what: "a clock function", query: "SELECT CURRENT_TIMESTAMP FROM PCOLLECTION", problem: /CURRENT_TIMESTAMP is not supported/, at: "CURRENT_TIMESTAMP", fix: /field/ },
    { what: "arithmetic on a string", query: "SELECT k + 1 FROM PCOLLECTION", problem: /\+ takes numbers, got VARCHAR/, at: "k + 1", fix: /CAST/ },
    { what: "arithmetic on a string literal", query: "SELECT a, 'a' + 1 FROM PCOLLECTION", problem: /\+ takes numbers, got VARCHAR/, at: "'a' + 1", fix: /CAST/ },
    { what: "an unknown function", query: "SELECT nosuch(a) FROM PCOLLECTION", problem: /unknown function NOSUCH/, at: "nosuch", fix: /docs\/SQL\.md/ },
    { what: "an unknown input", query: "SELECT k FROM nosuch", problem: /unknown input 'nosuch'/, at: "nosuch", fix: /sql\(query, \{ nosuch: pcollection \}\)/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.what} at its position, with a fix`, () => {
      const e = refusal(c.query);
      expect(e.problem).toMatch(c.problem);
      expect(e.position?.offset).toBe(c.query.indexOf(c.at));
      expect(e.hint).toMatch(c.fix);
    });
  }
});
