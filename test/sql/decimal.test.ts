import { describe, expect, it } from "vitest";
import { Pipeline, SqlError, create, formatBigDecimal, parDo, parseBigDecimal, schema, sql, t, type BigDecimal, type SqlRow } from "../../src/index.js";

const Price = schema({ id: t.int32(), amount: t.decimal().nullable(), qty: t.int64() }, { name: "Price" });
const d = parseBigDecimal;
const prices = [
  { id: 1, amount: d("0.10"), qty: 3n },
  { id: 2, amount: d("0.20"), qty: 1n },
  { id: 3, amount: d("19.99"), qty: 2n },
  { id: 4, amount: null, qty: 5n },
];

/** Rows with every decimal written as its plain text, so a scale is visible. */
async function run(query: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const p = new Pipeline();
  p.apply(create(prices))
    .withSchema(Price)
    .apply(sql(query))
    .apply(
      parDo<SqlRow, never>({
        process: (r) => void out.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "object" && v !== null && "unscaledValue" in v ? formatBigDecimal(v as BigDecimal) : v]))),
      }),
    );
  await p.run().waitUntilFinish();
  return out.sort((a, b) => Number(a["id"] ?? 0) - Number(b["id"] ?? 0));
}

describe("DECIMAL in SQL", () => {
  it("adds, subtracts and multiplies exactly, where doubles would not (0.1 + 0.2)", async () => {
    const rows = await run("SELECT id, amount + 0.20 AS plus, amount - 1 AS less, amount * qty AS times, amount * 1.5 AS scaled FROM PCOLLECTION WHERE id <= 3");
    expect(rows).toEqual([
      { id: 1, plus: "0.30", less: "-0.90", times: "0.30", scaled: "0.150" },
      { id: 2, plus: "0.40", less: "-0.80", times: "0.20", scaled: "0.300" },
      { id: 3, plus: "20.19", less: "18.99", times: "39.98", scaled: "29.985" },
    ]);
  });

  it("divides at Calcite's scale, rounding half away from zero", async () => {
    // DECIMAL(4, 2) / INTEGER (DECIMAL(10, 0)): scale max(6, 2 + 10 + 1) = 13;
    // DECIMAL(4, 2) / DECIMAL(2, 0): scale max(6, 2 + 2 + 1) = 6.
    const rows = await run("SELECT id, CAST(amount AS DECIMAL(4, 2)) / 3 AS third, CAST(amount AS DECIMAL(4, 2)) / CAST(qty AS DECIMAL(2, 0)) AS unit FROM PCOLLECTION WHERE id <> 4");
    expect(rows).toEqual([
      { id: 1, third: "0.0333333333333", unit: "0.033333" },
      { id: 2, third: "0.0666666666667", unit: "0.200000" },
      { id: 3, third: "6.6633333333333", unit: "9.995000" },
    ]);
  });

  it("compares DECIMAL with integers and decimal literals by value, whatever the scale", async () => {
    const rows = await run("SELECT id FROM PCOLLECTION WHERE amount = 0.1 OR amount > 19 OR amount IN (0.2000)");
    expect(rows.map((r) => r["id"])).toEqual([1, 2, 3]);
  });

  it("sums, averages and takes MIN and MAX of DECIMAL exactly", async () => {
    const rows = await run("SELECT SUM(amount) AS s, AVG(amount) AS a, MIN(amount) AS lo, MAX(amount) AS hi, COUNT(DISTINCT amount) AS n FROM PCOLLECTION");
    // AVG keeps the argument's scale (Calcite): 20.29 / 3 = 6.763333... is 6.76.
    expect(rows).toEqual([{ s: "20.29", a: "6.76", lo: "0.10", hi: "19.99", n: 3n }]);
  });

  it("CASTs to and from DECIMAL: rounding to the scale, truncating to integers, refusing what does not fit", async () => {
    const rows = await run("SELECT id, CAST(amount AS DECIMAL(5, 1)) AS r, CAST(amount AS INTEGER) AS i, CAST(amount AS DOUBLE) AS x, CAST(amount AS VARCHAR) AS s, CAST('12.345' AS DECIMAL(6, 2)) AS p FROM PCOLLECTION WHERE id = 3");
    expect(rows).toEqual([{ id: 3, r: "20.0", i: 19, x: 19.99, s: "19.99", p: "12.35" }]);
    await expect(run("SELECT CAST(amount AS DECIMAL(2, 1)) AS r FROM PCOLLECTION WHERE id = 3")).rejects.toThrow(/19.99 does not fit DECIMAL\(2, 1\)/);
  });

  it("takes MOD of DECIMALs as % does, at the larger scale with the dividend's sign", async () => {
    const rows = await run("SELECT id, MOD(amount, 0.3) AS m, amount % 0.3 AS r, MOD(-amount, 2) AS n FROM PCOLLECTION WHERE id = 3");
    expect(rows).toEqual([{ id: 3, m: "0.19", r: "0.19", n: "-1.99" }]);
    await expect(run("SELECT MOD(amount, 0.00) AS x FROM PCOLLECTION WHERE id = 1")).rejects.toThrow(/division by zero/);
  });

  it("fails the element on DECIMAL division by zero", async () => {
    await expect(run("SELECT amount / 0.0 AS x FROM PCOLLECTION WHERE id = 1")).rejects.toThrow(/division by zero/);
  });

  it("refuses an invalid DECIMAL type at its position", () => {
    const p = new Pipeline();
    const pc = p.apply(create(prices)).withSchema(Price);
    let error: unknown;
    try {
      pc.apply(sql("SELECT\n  CAST(amount AS DECIMAL(40, 2)) FROM PCOLLECTION"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).message).toMatch(/DECIMAL\(40, 2\) is not a valid type/);
    expect((error as SqlError).position).toMatchObject({ line: 2, column: 3 });
  });
});
