import { describe, expect, it } from "vitest";
import { Pipeline, SqlError, create, createTimestamped, explainSql, fixedWindows, formatBigDecimal, parDo, parseBigDecimal, schema, sql, t, timestamped, windowInto, type BigDecimal, type PCollection, type SqlRow } from "../../src/index.js";

const L = schema({ k: t.string().nullable(), n: t.int32().nullable() }, { name: "L" });
const R = schema({ k: t.string().nullable(), m: t.int64().nullable() }, { name: "R" });
type LRow = { k: string | null; n: number | null };
type RRow = { k: string | null; m: bigint | null };

const left: LRow[] = [
  { k: "a", n: 1 },
  { k: "a", n: 1 },
  { k: "a", n: 1 },
  { k: "b", n: 2 },
  { k: null, n: null },
  { k: null, n: null },
  { k: "c", n: 3 },
];
const right: RRow[] = [
  { k: "a", m: 1n },
  { k: "a", m: 1n },
  { k: null, m: null },
  { k: "c", m: 4n },
];

async function run(query: string): Promise<string[]> {
  const out: string[] = [];
  const p = new Pipeline();
  const l = p.apply("L", create(left)).withSchema(L);
  const r = p.apply("R", create(right)).withSchema(R);
  sql(query, { l, r }).apply(parDo<SqlRow, never>({ process: (row) => void out.push(Object.values(row).map(String).join(",")) }));
  await p.run().waitUntilFinish();
  return out.sort();
}

function errorOf(build: () => unknown): SqlError {
  try {
    build();
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error("expected a SqlError");
}

describe("INTERSECT and EXCEPT", () => {
  it("INTERSECT ALL keeps min(m, n) copies of each row and treats NULL as equal to NULL", async () => {
    expect(await run("SELECT k, n FROM l INTERSECT ALL SELECT k, m FROM r")).toEqual(["a,1", "a,1", "null,null"]);
  });

  it("INTERSECT keeps one copy of each row on both sides", async () => {
    expect(await run("SELECT k, n FROM l INTERSECT SELECT k, m FROM r")).toEqual(["a,1", "null,null"]);
    expect(await run("SELECT k, n FROM l INTERSECT DISTINCT SELECT k, m FROM r")).toEqual(["a,1", "null,null"]);
  });

  it("EXCEPT ALL keeps max(m - n, 0) copies of each left row", async () => {
    expect(await run("SELECT k, n FROM l EXCEPT ALL SELECT k, m FROM r")).toEqual(["a,1", "b,2", "c,3", "null,null"]);
  });

  it("EXCEPT keeps one copy of each left row the right side lacks", async () => {
    expect(await run("SELECT k, n FROM l EXCEPT SELECT k, m FROM r")).toEqual(["b,2", "c,3"]);
  });

  it("binds INTERSECT tighter than EXCEPT, and EXCEPT to the left", async () => {
    // l EXCEPT (r INTERSECT l) on k: {a, b, null, c} minus {a, null, c}.
    expect(await run("SELECT k FROM l EXCEPT SELECT k FROM r INTERSECT SELECT k FROM l")).toEqual(["b"]);
    // (l EXCEPT r) UNION ALL r: b, then r's four rows.
    expect(await run("SELECT k FROM l EXCEPT SELECT k FROM r UNION ALL SELECT k FROM r")).toEqual(["a", "a", "b", "c", "null"]);
  });

  it("explains the set operation as a CoGroupByKey on all columns", () => {
    expect(explainSql("SELECT k FROM l INTERSECT ALL SELECT k FROM r", { l: L, r: R })).toContain("CoGroupByKey(INTERSECT ALL on all columns)");
  });

  it("refuses sides of different widths or types at the operator's position", () => {
    const p = new Pipeline();
    const l = p.apply("L", create(left)).withSchema(L);
    const r = p.apply("R", create(right)).withSchema(R);
    const widths = errorOf(() => sql("SELECT k, n FROM l\nEXCEPT SELECT k FROM r", { l, r }, "Widths"));
    expect(widths.message).toMatch(/EXCEPT inputs have 2 and 1 columns/);
    expect(widths.position).toMatchObject({ line: 2, column: 1 });
    expect(errorOf(() => sql("SELECT n FROM l INTERSECT SELECT k FROM r", { l, r }, "Types")).message).toMatch(/INTERSECT column 1 \(n\) has types INTEGER and VARCHAR/);
  });

  it("compares rows by SQL value, keyed as GROUP BY keys them: -0 is 0, 1.5 is 1.50, an INT64 number is its bigint, NULL is NULL", async () => {
    const V = schema({ x: t.double().nullable(), m: t.decimal().nullable(), b: t.int64().nullable() }, { name: "V" });
    type VRow = { x: number | null; m: BigDecimal | null; b: bigint | number | null };
    const dec = parseBigDecimal;
    const vs: VRow[] = [
      { x: -0, m: dec("1.5"), b: 7 },
      { x: -0, m: dec("1.5"), b: 7 },
      { x: 2, m: null, b: null },
      { x: 3, m: dec("2"), b: 1 },
    ];
    const ws: VRow[] = [
      { x: 0, m: dec("1.50"), b: 7n },
      { x: 2, m: null, b: null },
      { x: 3, m: dec("2.0"), b: 2n },
    ];
    const results = async (query: string): Promise<string[]> => {
      const out: string[] = [];
      const p = new Pipeline();
      const v = p.apply("V", create(vs)).withSchema(V);
      const w = p.apply("W", create(ws)).withSchema(V);
      sql(query, { v, w }).apply(parDo<SqlRow, never>({ process: (row) => void out.push(Object.values(row).map((c) => (c !== null && typeof c === "object" ? formatBigDecimal(c as BigDecimal) : String(c))).join(",")) }));
      await p.run().waitUntilFinish();
      return out.sort();
    };
    // The left side's rows are output as they are (their scale, their sign).
    expect(await results("SELECT x, m, b FROM v INTERSECT ALL SELECT x, m, b FROM w")).toEqual(["0,1.5,7", "2,null,null"]);
    expect(await results("SELECT x, m, b FROM v INTERSECT SELECT x, m, b FROM w")).toEqual(["0,1.5,7", "2,null,null"]);
    expect(await results("SELECT x, m, b FROM v EXCEPT ALL SELECT x, m, b FROM w")).toEqual(["0,1.5,7", "3,2,1"]);
    expect(await results("SELECT x, m, b FROM v EXCEPT SELECT x, m, b FROM w")).toEqual(["3,2,1"]);
  });

  it("keys both sides by the rows' grouping keys under Beam's string coder, the right side without its rows", () => {
    const p = new Pipeline();
    const l = p.apply("L", create(left)).withSchema(L);
    const r = p.apply("R", create(right)).withSchema(R);
    sql("SELECT k, n FROM l INTERSECT ALL SELECT k, m FROM r", { l, r });
    const g = p.graph();
    const keyed = [...g.transforms.values()].filter((tr) => /INTERSECTKey(Left|Right)\d*$/.test(tr.fullLabel)).map((tr) => g.pcollections.get(Object.values(tr.outputs)[0]!)!.coder.toString());
    expect(keyed).toHaveLength(2);
    for (const c of keyed) expect(c).toMatch(/^kv<string_utf8, /);
  });

  it("intersects per window when both inputs are windowed alike", async () => {
    const out: string[] = [];
    const p = new Pipeline();
    const at = (k: string, ms: number) => timestamped<LRow>({ k, n: 1 }, ms);
    const l = p.apply("L", createTimestamped([at("a", 1_000), at("b", 1_000), at("a", 61_000)])).withSchema(L).apply("WL", windowInto(fixedWindows(60_000)));
    const r = p.apply("R", createTimestamped([timestamped<RRow>({ k: "a", m: 1n }, 2_000), timestamped<RRow>({ k: "b", m: 1n }, 62_000)])).withSchema(R).apply("WR", windowInto(fixedWindows(60_000)));
    sql("SELECT k FROM l INTERSECT SELECT k FROM r", { l, r }).apply(parDo<SqlRow, never>({ process: (row, ctx) => void out.push(`${String(row["k"])}@${ctx.timestamp}`) }));
    await p.run().waitUntilFinish();
    // a meets a in the first minute only; b is on the left in the first minute and on the right in the second.
    expect(out).toEqual(["a@59999"]);
  });

  it("refuses inputs windowed differently, naming the operator's position", () => {
    const p = new Pipeline();
    const l = p.apply("L", create(left)).withSchema(L).apply("WL", windowInto(fixedWindows(60_000)));
    const r: PCollection<RRow> = p.apply("R", create(right)).withSchema(R);
    const error = errorOf(() => sql("SELECT k FROM l EXCEPT ALL SELECT k FROM r", { l, r }));
    expect(error.message).toMatch(/the inputs of EXCEPT are windowed differently/);
    expect(error.position).toMatchObject({ line: 1, column: 17 });
  });
});
