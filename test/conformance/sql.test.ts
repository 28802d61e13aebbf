import { describe, it } from "vitest";
import { assertThat, aggregateUdf, create, scalarUdf, schema, sql, t, type PCollection, type Pipeline } from "../../src/index.js";
import { BATCH_RUNNERS, runOn, isStarted } from "./runners.js";

// SQL compiles to ordinary transforms (ParDo, lifted Combine, CoGroupByKey, Flatten), so a
// query runs on every runner: these scenarios check that the transforms it becomes do.

const Order = schema({ id: t.int64(), customer: t.string(), amount: t.double(), placed: t.timestamp() }, { name: "Order" });
const Customer = schema({ id: t.string(), name: t.string(), region: t.string() }, { name: "Customer" });

const HOUR = 3_600_000;
const orders = [
  { id: 1n, customer: "a", amount: 10, placed: 5 * HOUR + 10 },
  { id: 2n, customer: "a", amount: 5.5, placed: 5 * HOUR + 20 },
  { id: 3n, customer: "b", amount: 7, placed: 6 * HOUR },
  { id: 4n, customer: "z", amount: 1, placed: 7 * HOUR },
  { id: 5n, customer: "c", amount: 2, placed: 30 * HOUR },
];
const customers = [
  { id: "a", name: "Ann", region: "eu" },
  { id: "b", name: "Bob", region: "us" },
  { id: "c", name: "Cid", region: "eu" },
];

const inputs = (p: Pipeline): { orders: PCollection<unknown>; customers: PCollection<unknown> } => ({
  orders: p.apply("Orders", create(orders)).withSchema(Order),
  customers: p.apply("Customers", create(customers)).withSchema(Customer),
});

const initial = scalarUdf({ args: ["VARCHAR"], returns: "VARCHAR", call: (s) => s.slice(0, 1) });
const maxGap = aggregateUdf({
  arg: "DOUBLE",
  returns: "DOUBLE",
  combineFn: {
    createAccumulator: () => ({ min: Infinity, max: -Infinity }),
    addInput: (acc: { min: number; max: number }, x: number) => ({ min: Math.min(acc.min, x), max: Math.max(acc.max, x) }),
    mergeAccumulators: (accs: Iterable<{ min: number; max: number }>) => {
      let out = { min: Infinity, max: -Infinity };
      for (const a of accs) out = { min: Math.min(out.min, a.min), max: Math.max(out.max, a.max) };
      return out;
    },
    extractOutput: (acc: { min: number; max: number }) => (acc.max >= acc.min ? acc.max - acc.min : null),
  },
});

for (const runner of BATCH_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`SQL on ${runner.name}`, () => {
    it("joins two inputs and aggregates per group (CoGroupByKey and a lifted Combine)", async () => {
      await runOn(runner, (p) => {
        const rows = sql(
          "SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o JOIN customers c ON o.customer = c.id WHERE o.amount > 1 GROUP BY c.region HAVING COUNT(*) > 0",
          inputs(p),
        );
        assertThat(rows).containsInAnyOrder([
          { region: "eu", n: 3n, total: 17.5 },
          { region: "us", n: 1n, total: 7 },
        ]);
      });
    });

    it("aggregates per TUMBLE window of a TIMESTAMP field, which becomes the event time", async () => {
      await runOn(runner, (p) => {
        const rows = sql("SELECT customer, COUNT(*) AS n, TUMBLE_START(placed, INTERVAL '1' HOUR) AS ws FROM orders GROUP BY customer, TUMBLE(placed, INTERVAL '1' HOUR)", inputs(p));
        assertThat(rows).containsInAnyOrder([
          { customer: "a", n: 2n, ws: 5 * HOUR },
          { customer: "b", n: 1n, ws: 6 * HOUR },
          { customer: "z", n: 1n, ws: 7 * HOUR },
          { customer: "c", n: 1n, ws: 30 * HOUR },
        ]);
      });
    });

    it("aggregates per SESSION (merging windows) and per HOP window, with their bounds", async () => {
      await runOn(runner, (p) => {
        const both = inputs(p);
        const sessions = sql(
          "SELECT customer, COUNT(*) AS n, SESSION_START(placed, INTERVAL '1' HOUR) AS ws, SESSION_END(placed, INTERVAL '1' HOUR) AS we FROM orders GROUP BY customer, SESSION(placed, INTERVAL '1' HOUR)",
          both,
        );
        assertThat(sessions).containsInAnyOrder([
          { customer: "a", n: 2n, ws: 5 * HOUR + 10, we: 6 * HOUR + 20 },
          { customer: "b", n: 1n, ws: 6 * HOUR, we: 7 * HOUR },
          { customer: "z", n: 1n, ws: 7 * HOUR, we: 8 * HOUR },
          { customer: "c", n: 1n, ws: 30 * HOUR, we: 31 * HOUR },
        ]);
        const hops = sql("SELECT COUNT(*) AS n, HOP_START(placed, INTERVAL '1' HOUR, INTERVAL '2' HOUR) AS ws FROM orders WHERE placed < TIMESTAMP '1970-01-01 08:00:00' GROUP BY HOP(placed, INTERVAL '1' HOUR, INTERVAL '2' HOUR)", both, "Hops");
        assertThat(hops).containsInAnyOrder([
          { n: 2n, ws: 4 * HOUR },
          { n: 3n, ws: 5 * HOUR },
          { n: 2n, ws: 6 * HOUR },
          { n: 1n, ws: 7 * HOUR },
        ]);
      });
    });

    it("runs a left join, date/time functions and user functions", async () => {
      await runOn(runner, (p) => {
        const both = inputs(p);
        const rows = sql(
          "SELECT o.id, initial(c.name) AS i, EXTRACT(HOUR FROM o.placed) AS h, FLOOR(o.placed TO DAY) AS d FROM orders o LEFT JOIN customers c ON o.customer = c.id WHERE o.placed < TIMESTAMP '1970-01-01 07:00:00'",
          both,
          { functions: { initial } },
        );
        assertThat(rows).containsInAnyOrder([
          { id: 1n, i: "A", h: 5n, d: 0 },
          { id: 2n, i: "A", h: 5n, d: 0 },
          { id: 3n, i: "B", h: 6n, d: 0 },
        ]);
        const gaps = sql("SELECT customer, maxGap(amount) AS gap FROM orders GROUP BY customer", both, { name: "Gaps", aggregates: { maxGap } });
        assertThat(gaps).containsInAnyOrder([
          { customer: "a", gap: 4.5 },
          { customer: "b", gap: 0 },
          { customer: "c", gap: 0 },
          { customer: "z", gap: 0 },
        ]);
      });
    });

    it("intersects and excepts whole rows on a CoGroupByKey of string keys, with IS predicates over comparisons", async () => {
      await runOn(runner, (p) => {
        const both = inputs(p);
        // Customers a and c are in eu; a placed two orders, so INTERSECT ALL keeps one copy, EXCEPT ALL the other.
        const common = sql("SELECT customer FROM orders INTERSECT ALL SELECT id FROM customers WHERE region = 'eu' IS TRUE", both, "Common");
        assertThat(common).containsInAnyOrder([{ customer: "a" }, { customer: "c" }]);
        const rest = sql("SELECT customer, amount > 5 IS NOT FALSE AS big FROM orders EXCEPT ALL SELECT id, FALSE FROM customers", both, "Rest");
        assertThat(rest).containsInAnyOrder([
          { customer: "a", big: true },
          { customer: "a", big: true },
          { customer: "b", big: true },
          { customer: "z", big: false },
        ]);
      });
    });
  });
}
