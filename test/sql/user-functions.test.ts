import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pipeline, SqlError, aggregateUdf, create, explainSql, parDo, scalarUdf, schema, sql, t, type PCollection, type SqlRow } from "../../src/index.js";

const Bid = schema({ auction: t.int64(), bidder: t.int32(), price: t.int64().nullable(), note: t.string().nullable() }, { name: "Bid" });
type Bid = { auction: bigint; bidder: number; price: bigint | null; note: string | null };

const bids: Bid[] = [
  { auction: 1n, bidder: 7, price: 100n, note: "a" },
  { auction: 1n, bidder: 8, price: 250n, note: null },
  { auction: 2n, bidder: 7, price: null, note: "b" },
  { auction: 2n, bidder: 9, price: 30n, note: "c" },
];

const calls: unknown[][] = [];
// Beam's SqlQuery1 UDF: dollars to euros in integer cents.
const dolToEur = scalarUdf({
  args: ["BIGINT"],
  returns: "BIGINT",
  call: (price) => {
    calls.push([price]);
    return (price * 89n) / 100n;
  },
});
const label = scalarUdf({ args: ["VARCHAR", "BIGINT"], returns: "VARCHAR", call: (s, n) => `${s}#${n}` });
// A UDAF: the product of DOUBLE values.
const product = aggregateUdf({
  arg: "DOUBLE",
  returns: "DOUBLE",
  combineFn: {
    createAccumulator: () => 1,
    addInput: (acc: number, x: number) => acc * x,
    mergeAccumulators: (accs: Iterable<number>) => [...accs].reduce((a, b) => a * b, 1),
    extractOutput: (acc: number) => acc,
  },
});

async function run<T>(rows: readonly T[], s: ReturnType<typeof schema>, build: (pc: PCollection<T>) => PCollection<SqlRow>): Promise<SqlRow[]> {
  const out: SqlRow[] = [];
  const p = new Pipeline();
  build(p.apply("In", create([...rows])).withSchema(s as never) as PCollection<T>).apply(parDo<SqlRow, never>({ process: (r) => void out.push(r) }));
  await p.run().waitUntilFinish();
  return out;
}

function errorOf(f: () => unknown): SqlError {
  try {
    f();
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error("no SqlError");
}

describe("user-defined scalar functions", () => {
  it("calls a registered function in SELECT and WHERE, by a case-insensitive name", async () => {
    const rows = await run(bids, Bid, (pc) =>
      sql("SELECT auction, doltoeur(price) AS euros FROM bids WHERE DolToEur(price) > 50", { bids: pc }, { functions: { DolToEur: dolToEur } }),
    );
    expect(rows).toEqual(expect.arrayContaining([{ auction: 1n, euros: 89n }, { auction: 1n, euros: 222n }]));
    expect(rows).toHaveLength(2);
  });

  it("gives NULL for a NULL argument without calling the function", async () => {
    calls.length = 0;
    const rows = await run(bids, Bid, (pc) => pc.apply(sql("SELECT DolToEur(price) AS e FROM PCOLLECTION WHERE auction = 2").registerUdf("DolToEur", dolToEur)));
    expect(rows.map((r) => r["e"])).toEqual(expect.arrayContaining([null, 26n]));
    expect(calls).toEqual([[30n]]);
  });

  it("widens an INTEGER argument to a declared BIGINT", async () => {
    const rows = await run(bids, Bid, (pc) => pc.apply(sql("SELECT label(note, bidder) AS l FROM PCOLLECTION WHERE note = 'a'").registerUdf("label", label)));
    expect(rows).toEqual([{ l: "a#7" }]);
  });

  it("refuses an argument of the wrong type at the argument's position, naming the signature", () => {
    const p = new Pipeline();
    const pc = p.apply(create(bids)).withSchema(Bid);
    const err = errorOf(() => pc.apply(sql("SELECT label(bidder,\n  note) FROM PCOLLECTION").registerUdf("label", label)));
    expect(err.message).toContain("argument 1 of LABEL is VARCHAR, got INTEGER");
    expect(err.message).toContain("LABEL(VARCHAR, BIGINT)");
    expect(err.position).toMatchObject({ line: 1, column: 14 });
  });

  it("refuses a narrowing argument and a wrong number of arguments", () => {
    const narrow = scalarUdf({ args: ["INTEGER"], returns: "INTEGER", call: (x) => x + 1 });
    expect(() => explainSql("SELECT f(auction) FROM PCOLLECTION", { PCOLLECTION: Bid }, { functions: { f: narrow } })).toThrow(/argument 1 of F is INTEGER, got BIGINT/);
    expect(() => explainSql("SELECT f(1, 2) FROM PCOLLECTION", { PCOLLECTION: Bid }, { functions: { f: narrow } })).toThrow(/F takes 1 argument, got 2/);
  });

  it("refuses a function named as a built-in one, or registered twice", () => {
    expect(() => explainSql("SELECT 1 FROM PCOLLECTION", { PCOLLECTION: Bid }, { functions: { upper: label } })).toThrow(/the function 'upper' has the name of a built-in function/);
    expect(() => explainSql("SELECT 1 FROM PCOLLECTION", { PCOLLECTION: Bid }, { functions: { f: label, F: label } })).toThrow(/registered twice/);
    expect(() => explainSql("SELECT 1 FROM PCOLLECTION", { PCOLLECTION: Bid }, { aggregates: { count: product } })).toThrow(/built-in/);
  });

  it("still says an unregistered function is unknown", () => {
    expect(() => explainSql("SELECT nope(price) FROM PCOLLECTION", { PCOLLECTION: Bid })).toThrow(/unknown function NOPE/);
  });
});

describe("user-defined aggregate functions", () => {
  it("aggregates per group with the CombineFn, skipping NULL arguments, beside built-in aggregates", async () => {
    const rows = await run(bids, Bid, (pc) =>
      pc.apply(sql("SELECT auction, product(price) AS prod, COUNT(*) AS n FROM PCOLLECTION GROUP BY auction").registerUdaf("product", product)),
    );
    expect(rows).toEqual(expect.arrayContaining([{ auction: 1n, prod: 25_000, n: 2n }, { auction: 2n, prod: 30, n: 2n }]));
    expect(rows).toHaveLength(2);
  });

  it("refuses an argument that does not widen to the declared type", () => {
    expect(() => explainSql("SELECT product(note) FROM PCOLLECTION", { PCOLLECTION: Bid }, { aggregates: { product } })).toThrow(/the argument of PRODUCT is DOUBLE, got VARCHAR/);
    expect(() => explainSql("SELECT auction FROM PCOLLECTION WHERE product(price) > 1", { PCOLLECTION: Bid }, { aggregates: { product } })).toThrow(/aggregate PRODUCT is not allowed in WHERE/);
  });

  it("agrees with a plain computation of the CombineFn per group, over random rows", async () => {
    const Row = schema({ k: t.string(), x: t.int32().nullable() }, { name: "KX" });
    const sumSquares = aggregateUdf({
      arg: "BIGINT",
      returns: "BIGINT",
      combineFn: {
        createAccumulator: () => 0n,
        addInput: (acc: bigint, x: bigint) => acc + x * x,
        mergeAccumulators: (accs: Iterable<bigint>) => [...accs].reduce((a, b) => a + b, 0n),
        extractOutput: (acc: bigint) => acc,
      },
    });
    const row = fc.record({ k: fc.constantFrom("a", "b", "c"), x: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null }) });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), async (rows) => {
        const expected = new Map<string, bigint>();
        for (const r of rows) expected.set(r.k, (expected.get(r.k) ?? 0n) + (r.x === null ? 0n : BigInt(r.x) ** 2n));
        const out = await run(rows, Row, (pc) => pc.apply(sql("SELECT k, ss(x) AS s FROM PCOLLECTION GROUP BY k").registerUdaf("ss", sumSquares)));
        expect(new Map(out.map((r) => [r["k"] as string, r["s"] as bigint]))).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });
});
