import { describe, expect, it } from "vitest";
import { Pipeline, SqlError, create, explainSql, parDo, schema, sql, t, type PCollection, type SqlRow } from "../../src/index.js";

const Order = schema({ id: t.int64(), customer: t.string(), amount: t.double(), qty: t.int32().nullable() }, { name: "Order" });
const Customer = schema({ id: t.string(), name: t.string() }, { name: "Customer" });

const orders = [
  { id: 1n, customer: "a", amount: 10, qty: 1 },
  { id: 2n, customer: "a", amount: 5.5, qty: null },
  { id: 3n, customer: "b", amount: 7, qty: 3 },
  { id: 4n, customer: "z", amount: 1, qty: 2 },
];
const customers = [
  { id: "a", name: "Ann" },
  { id: "b", name: "Bob" },
  { id: "c", name: "Cid" },
];

async function run(build: (p: Pipeline) => PCollection<SqlRow>): Promise<SqlRow[]> {
  const out: SqlRow[] = [];
  const p = new Pipeline();
  build(p).apply(parDo<SqlRow, never>({ process: (r) => void out.push(r) }));
  await p.run().waitUntilFinish();
  return out;
}

const ordersOf = (p: Pipeline) => p.apply("Orders", create(orders)).withSchema(Order);
const customersOf = (p: Pipeline) => p.apply("Customers", create(customers)).withSchema(Customer);

describe("sql", () => {
  it("lets a query that failed to apply be applied again under the same name", async () => {
    const rows = await run((p) => {
      const orders = ordersOf(p);
      expect(() => orders.apply("Totals", sql("SELECT customer, SUM(amont) AS total FROM PCOLLECTION GROUP BY customer"))).toThrow(SqlError);
      expect(() => sql("SELECT nosuch FROM orders", { orders }, "Totals")).toThrow(SqlError);
      return orders.apply("Totals", sql("SELECT customer, SUM(amount) AS total FROM PCOLLECTION GROUP BY customer"));
    });
    expect(rows.map((r) => r["customer"]).sort()).toEqual(["a", "b", "z"]);
  });

  it("projects and filters one input named PCOLLECTION", async () => {
    const rows = await run((p) => ordersOf(p).apply(sql("SELECT id, amount * 2 AS doubled, qty IS NULL AS noQty FROM PCOLLECTION WHERE amount > 5")));
    expect(rows).toEqual(expect.arrayContaining([{ id: 1n, doubled: 20, noQty: false }, { id: 2n, doubled: 11, noQty: true }, { id: 3n, doubled: 14, noQty: false }]));
    expect(rows).toHaveLength(3);
  });

  it("groups and aggregates with HAVING", async () => {
    const rows = await run((p) =>
      ordersOf(p).apply(sql("SELECT customer, COUNT(*) AS n, COUNT(qty) AS nq, SUM(amount) AS total, AVG(qty) AS aq FROM PCOLLECTION GROUP BY customer HAVING COUNT(*) > 1")),
    );
    expect(rows).toEqual([{ customer: "a", n: 2n, nq: 1n, total: 15.5, aq: 1 }]);
  });

  it("gives one row for a global aggregate over no rows", async () => {
    const rows = await run((p) => ordersOf(p).apply(sql("SELECT COUNT(*) AS n, SUM(amount) AS s FROM PCOLLECTION WHERE amount > 100")));
    expect(rows).toEqual([{ n: 0n, s: null }]);
  });

  it("joins two inputs, left outer keeping unmatched rows", async () => {
    const rows = await run((p) =>
      sql("SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON o.customer = c.id", { orders: ordersOf(p), customers: customersOf(p) }),
    );
    expect(rows).toHaveLength(4);
    expect(rows).toEqual(expect.arrayContaining([{ id: 4n, name: null }, { id: 3n, name: "Bob" }]));
  });

  it("takes the top n with ORDER BY ... LIMIT", async () => {
    const rows = await run((p) => ordersOf(p).apply(sql("SELECT id FROM PCOLLECTION ORDER BY amount DESC LIMIT 2")));
    expect(rows.map((r) => r["id"]).sort()).toEqual([1n, 3n]);
  });

  it("runs WITH, subqueries, DISTINCT and UNION ALL", async () => {
    const rows = await run((p) =>
      ordersOf(p).apply(
        sql("WITH big AS (SELECT customer FROM PCOLLECTION WHERE amount > 5) SELECT DISTINCT customer FROM (SELECT customer FROM big) s UNION ALL SELECT 'x' FROM big"),
      ),
    );
    expect(rows.map((r) => r["customer"]).sort()).toEqual(["a", "b", "x", "x", "x"]);
  });

  it("keeps both copies in a UNION ALL of one subquery written twice, and self-joins it", async () => {
    const union = await run((p) => sql("SELECT customer FROM orders WHERE amount > 5 UNION ALL SELECT o.customer FROM orders o WHERE o.amount > 5", { orders: ordersOf(p) }));
    expect(union.map((r) => r["customer"]).sort()).toEqual(["a", "a", "a", "a", "b", "b"]);
    const self = await run((p) => sql("SELECT a.id, b.id AS id2 FROM (SELECT id, customer FROM orders) a JOIN (SELECT id, customer FROM orders) b ON a.customer = b.customer", { orders: ordersOf(p) }));
    expect(self).toHaveLength(6);
  });

  it("treats NULL as a value with IS [NOT] DISTINCT FROM in SELECT, WHERE, HAVING and a join's ON", async () => {
    const where = await run((p) => ordersOf(p).apply(sql("SELECT id, qty IS NOT DISTINCT FROM NULL AS noQty FROM PCOLLECTION WHERE qty IS DISTINCT FROM 1")));
    expect(where).toEqual(expect.arrayContaining([{ id: 2n, noQty: true }, { id: 3n, noQty: false }, { id: 4n, noQty: false }]));
    expect(where).toHaveLength(3);
    const having = await run((p) => ordersOf(p).apply(sql("SELECT customer FROM PCOLLECTION GROUP BY customer HAVING COUNT(qty) IS DISTINCT FROM COUNT(*)")));
    expect(having).toEqual([{ customer: "a" }]);
    // Order 2's NULL qty meets itself: `=` would drop that pair.
    const joined = await run((p) => sql("SELECT a.id, b.id AS id2 FROM orders a JOIN orders b ON a.customer = b.customer AND a.qty IS NOT DISTINCT FROM b.qty", { orders: ordersOf(p) }));
    expect(joined.map((r) => `${String(r["id"])}-${String(r["id2"])}`).sort()).toEqual(["1-1", "2-2", "3-3", "4-4"]);
  });

  it("names the position of an unknown column and suggests the near name", () => {
    const p = new Pipeline();
    let err: unknown;
    try {
      ordersOf(p).apply(sql("SELECT id,\n  custmer FROM PCOLLECTION"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).position).toMatchObject({ line: 2, column: 3 });
    expect((err as SqlError).message).toContain("did you mean 'customer'");
  });

  it("filters each side of a join before the CoGroupByKey with the WHERE parts that read only that side", () => {
    const plan = explainSql("SELECT o.id FROM orders o JOIN customers c ON o.customer = c.id WHERE o.amount > 5 AND c.name = 'Ann' AND o.customer < c.name", { orders: Order, customers: Customer }).split("\n");
    const join = plan.findIndex((l) => l.includes("CoGroupByKey"));
    expect(plan.findIndex((l) => l.includes("filter=(o.amount > "))).toBeGreaterThan(join);
    expect(plan.findIndex((l) => l.includes("filter=(c.name = 'Ann'"))).toBeGreaterThan(join);
    expect(plan.findIndex((l) => l.includes("o.customer < c.name"))).toBeLessThan(join);
  });

  it("explains the plan as Beam transforms", () => {
    const plan = explainSql("SELECT customer, COUNT(*) FROM PCOLLECTION WHERE amount > 1 GROUP BY customer", { PCOLLECTION: Order });
    expect(plan).toContain("CombinePerKey");
    expect(plan).toContain("ParDo(Calc");
  });
});
