import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pipeline, SqlError, TestStream, create, explainSql, parDo, schema, sql, t, type PCollection, type SqlOptions, type SqlRow } from "../../src/index.js";

const Order = schema({ id: t.int32(), customer: t.string().nullable(), amount: t.int32().nullable() }, { name: "Order" });
const Customer = schema({ id: t.string().nullable(), name: t.string(), limit: t.int64().nullable() }, { name: "Customer" });
type OrderRow = { id: number; customer: string | null; amount: number | null };
type CustomerRow = { id: string | null; name: string; limit: bigint | null };

const orderRow = fc.record({ id: fc.integer({ min: 0, max: 99 }), customer: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }), amount: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }) });
const customerRow = fc.record({ id: fc.option(fc.constantFrom("a", "b", "d"), { nil: null }), name: fc.constantFrom("Ann", "Bob"), limit: fc.option(fc.bigInt({ min: 0n, max: 10n }), { nil: null }) });

async function rows(orders: readonly OrderRow[], customers: readonly CustomerRow[], query: string, options: SqlOptions): Promise<string[]> {
  const out: string[] = [];
  const p = new Pipeline();
  const o = p.apply("Orders", create(orders)).withSchema(Order);
  const c = p.apply("Customers", create(customers)).withSchema(Customer);
  sql(query, { o, c }, options).apply(parDo<SqlRow, never>({ process: (r) => void out.push(JSON.stringify(Object.values(r), (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))) }));
  await p.run().waitUntilFinish();
  return out.sort();
}

/** The labels of a pipeline's transforms. */
const labels = (p: Pipeline) => [...p.graph().transforms.values()].map((n) => n.name);

describe("side-input (broadcast) joins", () => {
  it("gives the CoGroupByKey join's rows for inner, left and right joins with NULL keys and residual conditions", async () => {
    const queries: readonly [string, readonly string[]][] = [
      ["SELECT o.id, c.name FROM o JOIN c ON o.customer = c.id", ["c"]],
      ["SELECT o.id, o.amount, c.name FROM o LEFT JOIN c ON o.customer = c.id AND o.amount > c.`limit`", ["c"]],
      ["SELECT o.id, c.name, c.id FROM c RIGHT JOIN o ON c.id = o.customer", ["c"]],
      ["SELECT o.id, c.name FROM o JOIN c ON o.customer = c.id AND o.amount = c.`limit`", ["o"]],
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(orderRow, { maxLength: 8 }), fc.array(customerRow, { maxLength: 5 }), async (orders, customers) => {
        for (const [q, sideInputJoins] of queries) {
          expect(await rows(orders, customers, q, { sideInputJoins }), q).toEqual(await rows(orders, customers, q, {}));
        }
      }),
      { numRuns: 15 },
    );
  }, 60_000);

  it("plans the hinted side as a side input, shown by EXPLAIN", () => {
    const plan = explainSql("SELECT o.id, c.name FROM o JOIN c ON o.customer = c.id", { o: Order, c: Customer }, { sideInputJoins: ["c"] });
    expect(plan).toContain("ParDo(SideInputJoin INNER JOIN on o.customer = c.id, side input=right)");
    expect(explainSql("SELECT o.id, c.name FROM o JOIN c ON o.customer = c.id", { o: Order, c: Customer })).toContain("CoGroupByKey(INNER JOIN");
  });

  it("refuses a hint on the side whose unmatched rows the join keeps, and a hint naming nothing", () => {
    const error = (query: string, sideInputJoins: readonly string[]): SqlError => {
      try {
        explainSql(query, { o: Order, c: Customer }, { sideInputJoins });
      } catch (e) {
        if (e instanceof SqlError) return e;
        throw e;
      }
      throw new Error("expected a SqlError");
    };
    const full = error("SELECT o.id FROM o\nFULL JOIN c ON o.customer = c.id", ["c"]);
    expect(full.message).toMatch(/a FULL JOIN cannot read 'c' as a side input/);
    // The position is the joined item's.
    expect(full.position).toMatchObject({ line: 2, column: 11 });
    expect(error("SELECT o.id FROM o RIGHT JOIN c ON o.customer = c.id", ["c"]).message).toMatch(/RIGHT JOIN cannot read 'c'/);
    expect(error("SELECT o.id FROM o JOIN c ON o.customer = c.id", ["customers"]).message).toMatch(/sideInputJoins names 'customers', which the query joins nowhere/);
  });

  it("joins an unbounded input to a bounded one through a side input without being asked (a lookup join)", async () => {
    const out: string[] = [];
    const p = new Pipeline();
    const stream = TestStream.create<OrderRow>()
      .addElements({ value: { id: 1, customer: "a", amount: 5 }, timestamp: 1_000 }, { value: { id: 2, customer: "z", amount: 1 }, timestamp: 2_000 })
      .advanceWatermarkTo(10_000)
      .addElements({ value: { id: 3, customer: "b", amount: 2 }, timestamp: 11_000 })
      .advanceWatermarkToInfinity();
    const o: PCollection<OrderRow> = p.apply("Orders", stream).withSchema(Order);
    const c = p.apply("Customers", create<CustomerRow>([{ id: "a", name: "Ann", limit: 1n }, { id: "b", name: "Bob", limit: null }])).withSchema(Customer);
    expect(o.isBounded).toBe(false);
    sql("SELECT o.id, c.name FROM o LEFT JOIN c ON o.customer = c.id", { o, c }).apply(parDo<SqlRow, never>({ process: (r) => void out.push(`${String(r["id"])} ${String(r["name"])}`) }));
    expect(labels(p).some((l) => l.includes("SideInputJoin"))).toBe(true);
    await p.run().waitUntilFinish();
    expect(out.sort()).toEqual(["1 Ann", "2 null", "3 Bob"]);
  });

  it("reduces a GROUP BY under an inner side-input join by the side's keys, and gives the rows the join on CoGroupByKey gives", async () => {
    const grouped = "(SELECT customer, amount, COUNT(*) AS n FROM o GROUP BY customer, amount)";
    const side = "(SELECT id, MAX(`limit`) AS top FROM c GROUP BY id)";
    const queries: readonly [string, boolean][] = [
      // Keys on both GROUP BY columns, and on one with a residual over the aggregate's result.
      [`SELECT g.customer, g.amount, g.n, s.top FROM ${grouped} g JOIN ${side} s ON g.customer = s.id AND g.amount = s.top`, true],
      [`SELECT g.customer, g.n FROM ${grouped} g JOIN ${side} s ON g.customer = s.id AND g.n <= s.top`, true],
      // A key on an aggregate's result only: nothing to reduce by.
      [`SELECT g.customer, g.n FROM ${grouped} g JOIN ${side} s ON g.n = s.top`, false],
      // LEFT JOIN keeps the groups no side row matches: no reduction.
      [`SELECT g.customer, g.amount, s.top FROM ${grouped} g LEFT JOIN ${side} s ON g.customer = s.id`, false],
      // A key of another type than the side's (INT32 against INT64).
      [`SELECT g.amount, g.n FROM ${grouped} g JOIN ${side} s ON g.amount = s.top`, true],
    ];
    for (const [q, reduced] of queries) {
      const p = new Pipeline();
      sql(q, { o: p.apply("O", create<OrderRow>([])).withSchema(Order), c: p.apply("C", create<CustomerRow>([])).withSchema(Customer) }, { sideInputJoins: ["s"] });
      expect(labels(p).some((l) => l.includes("SemiJoinFilter")), q).toBe(reduced);
    }
    await fc.assert(
      fc.asyncProperty(fc.array(orderRow, { maxLength: 12 }), fc.array(customerRow, { maxLength: 5 }), async (orders, customers) => {
        for (const [q] of queries) expect(await rows(orders, customers, q, { sideInputJoins: ["s"] }), q).toEqual(await rows(orders, customers, q, {}));
      }),
      { numRuns: 15 },
    );
  }, 60_000);

  it("reduces a windowed GROUP BY only by a side in the same windows, reading each window's own side rows", async () => {
    const Bid = schema({ item: t.int32(), price: t.int32(), bidtime: t.timestamp() }, { name: "Bid" });
    type BidRow = { item: number; price: number; bidtime: number };
    const bids: BidRow[] = [
      { item: 1, price: 5, bidtime: 1_000 },
      { item: 2, price: 9, bidtime: 2_000 },
      { item: 3, price: 9, bidtime: 3_000 },
      { item: 4, price: 5, bidtime: 11_000 },
      { item: 5, price: 7, bidtime: 12_000 },
    ];
    const query = (sideSeconds: number) =>
      "SELECT b.item, b.price FROM (SELECT item, price, TUMBLE_START(bidtime, INTERVAL '10' SECOND) AS w FROM bids GROUP BY item, price, TUMBLE(bidtime, INTERVAL '10' SECOND)) b " +
      `JOIN (SELECT MAX(price) AS top, TUMBLE_START(bidtime, INTERVAL '${sideSeconds}' SECOND) AS w FROM bids GROUP BY TUMBLE(bidtime, INTERVAL '${sideSeconds}' SECOND)) m ` +
      "ON b.w = m.w AND b.price = m.top";
    for (const [seconds, reduced, expected] of [
      // Per 10 s window: 9 is the top of the first, 7 of the second; a price of 5 tops neither.
      [10, true, ["2 9", "3 9", "5 7"]],
      // A 20 s side is in other windows: no reduction; only the first window starts where a side window does.
      [20, false, ["2 9", "3 9"]],
    ] as const) {
      const out: string[] = [];
      const p = new Pipeline();
      const input = p.apply("Bids", create(bids)).withSchema(Bid);
      sql(query(seconds), { bids: input }, { sideInputJoins: ["m"] }).apply(parDo<SqlRow, never>({ process: (r) => void out.push(`${String(r["item"])} ${String(r["price"])}`) }));
      expect(labels(p).some((l) => l.includes("SemiJoinFilter"))).toBe(reduced);
      await p.run().waitUntilFinish();
      expect(out.sort()).toEqual(expected);
    }
  });
});
