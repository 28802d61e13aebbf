import { describe, expect, it } from "vitest";
import { Pipeline, create, parDo, schema, sql, t, type PCollection, type SqlRow } from "../../src/index.js";

// How SQL's grouping steps are built (issue #18's SqlQuery7 budget): keys are strings encoded
// from the key columns' types (src/sql/grouping-key.ts), and a calc over an aggregate or a
// join runs in that step's DoFn instead of a ParDo of its own.

const T = schema({ k: t.string(), n: t.int32(), x: t.double().nullable() }, { name: "T" });
const rows = [
  { k: "a", n: 1, x: 1.5 },
  { k: "a", n: 1, x: null },
  { k: "b", n: 2, x: -0 },
  { k: "b", n: 2, x: 0 },
];

function build(query: string, p = new Pipeline()): { p: Pipeline; out: PCollection<SqlRow> } {
  const input = p.apply("Rows", create(rows)).withSchema(T);
  return { p, out: sql(query, { T: input, U: input }) };
}

/** The coders of the inputs of the pipeline's GroupByKeys. */
function groupedCoders(p: Pipeline): string[] {
  const g = p.graph();
  return [...g.transforms.values()].filter((tr) => tr.primitive?.kind === "groupByKey").map((tr) => g.pcollections.get(Object.values(tr.inputs)[0]!)!.coder.toString());
}

/** The SQL transform's ParDos, by label without the step number. */
function sqlSteps(p: Pipeline): string[] {
  return [...p.graph().transforms.values()].filter((tr) => tr.primitive?.kind === "parDo" && tr.fullLabel.startsWith("SqlTransform/")).map((tr) => tr.fullLabel.replace(/^SqlTransform\/|\d+(?=\/|$)/g, ""));
}

async function results(query: string): Promise<SqlRow[]> {
  const { p, out } = build(query);
  const got: SqlRow[] = [];
  out.apply("Collect", parDo<SqlRow, never>({ process: (r) => void got.push(r) }));
  await p.run().waitUntilFinish();
  return got;
}

describe("SQL grouping keys", () => {
  it("groups GROUP BY, DISTINCT, joins, INTERSECT and EXCEPT by string keys under Beam's string coder", () => {
    for (const query of ["SELECT k, n, COUNT(*) AS c FROM T GROUP BY k, n", "SELECT DISTINCT k, x FROM T", "SELECT T.k, U.n FROM T JOIN U ON T.k = U.k AND T.n = U.n", "SELECT k, x FROM T INTERSECT ALL SELECT k, x FROM U", "SELECT k FROM T EXCEPT SELECT k FROM U"]) {
      const coders = groupedCoders(build(query).p);
      expect(coders.length).toBeGreaterThan(0);
      for (const c of coders) expect(c, query).toMatch(/^kv<string_utf8, /);
    }
  });

  it("keeps Beam's key equality: NULL is one group, -0 and 0 are one group, keys decode to their values", async () => {
    const got = await results("SELECT k, x, COUNT(*) AS c FROM T GROUP BY k, x");
    expect(got.map((r) => `${String(r["k"])} ${String(r["x"])} ${String(r["c"])}`).sort()).toEqual(["a 1.5 1", "a null 1", "b 0 2"]);
  });

  it("runs a calc over an aggregate or a join in that step's DoFn", async () => {
    expect(sqlSteps(build("SELECT k, COUNT(*) * 2 AS c2 FROM T GROUP BY k HAVING COUNT(*) > 1").p)).toEqual(["Calc", "Aggregate/Combine/Combine", "Row"]);
    const joinSteps = sqlSteps(build("SELECT T.k, U.n + 1 AS m FROM T JOIN U ON T.k = U.k").p);
    expect(joinSteps.at(-1)).toBe("JoinRows");
    expect(joinSteps).not.toContain("Calc");
    expect((await results("SELECT k, COUNT(*) * 2 AS c2 FROM T GROUP BY k HAVING COUNT(*) > 1")).map((r) => r["c2"])).toEqual([4n, 4n]);
  });
});
