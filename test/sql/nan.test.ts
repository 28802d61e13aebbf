// NaN in Beam SQL's double columns: predicates compare as Java's primitive doubles do (every
// comparison with NaN false, <> true), ORDER BY sorts with Double.compareTo (NaN largest), and
// MIN/MAX of a DOUBLE are Math.min/Math.max (Min/Max.ofDoubles), where a NaN wins. Before, a
// NaN compared equal to every number: `x = 5` held for x = NaN and MIN/MAX depended on order.
import { describe, expect, it } from "vitest";
import { Pipeline, create, parDo, schema, sql, t, type PCollection, type SqlRow } from "../../src/index.js";

const Reading = schema({ id: t.int64(), v: t.double(), f: t.float() }, { name: "Reading" });
const readings = [
  { id: 1n, v: 5, f: 5 },
  { id: 2n, v: Number.NaN, f: Number.NaN },
  { id: 3n, v: -1, f: -1 },
];

async function query(q: string): Promise<SqlRow[]> {
  const out: SqlRow[] = [];
  const p = new Pipeline();
  const input: PCollection<unknown> = p.apply(create(readings)).withSchema(Reading);
  input.apply(sql(q)).apply(parDo<SqlRow, never>({ process: (r) => void out.push(r) }));
  await p.run().waitUntilFinish();
  return out;
}

const ids = (rows: SqlRow[]) => rows.map((r) => r["id"]).sort();

describe("sql: NaN", () => {
  it("is not equal, less or greater than any number, itself included, and is <> every number", async () => {
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v = 5"))).toEqual([1n]);
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v <> 5"))).toEqual([2n, 3n]);
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v >= -1"))).toEqual([1n, 3n]);
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v < 100"))).toEqual([1n, 3n]);
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v = v"))).toEqual([1n, 3n]);
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v IN (5, -1)"))).toEqual([1n, 3n]);
    expect(ids(await query("SELECT id FROM PCOLLECTION WHERE v IS DISTINCT FROM v"))).toEqual([2n]);
    const nullif = await query("SELECT id, NULLIF(v, v) AS n FROM PCOLLECTION");
    expect(nullif.find((r) => r["id"] === 2n)!["n"]).toBeNaN();
  });

  it("sorts last ascending and first descending under ORDER BY", async () => {
    expect((await query("SELECT id FROM PCOLLECTION ORDER BY v LIMIT 3")).map((r) => r["id"])).toEqual([3n, 1n, 2n]);
    expect((await query("SELECT id FROM PCOLLECTION ORDER BY v DESC LIMIT 3")).map((r) => r["id"])).toEqual([2n, 1n, 3n]);
  });

  it("wins MIN and MAX of a DOUBLE, and is a FLOAT's largest value", async () => {
    const [row] = await query("SELECT MIN(v) AS minV, MAX(v) AS maxV, MIN(f) AS minF, MAX(f) AS maxF FROM PCOLLECTION");
    expect(row!["minV"]).toBeNaN();
    expect(row!["maxV"]).toBeNaN();
    expect(row!["minF"]).toBe(-1);
    expect(row!["maxF"]).toBeNaN();
  });
});
