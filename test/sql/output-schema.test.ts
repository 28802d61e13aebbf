import { describe, expect, expectTypeOf, it } from "vitest";
import { Pipeline, SqlError, create, parDo, parseBigDecimal, schema, sql, t, type BigDecimal, type PCollection, type RowOf, type SqlRow } from "../../src/index.js";

const Order = schema({ id: t.int64(), customer: t.string(), qty: t.int32().nullable(), price: t.decimal() }, { name: "Order" });
const Total = schema({ customer: t.string(), total: t.int64().nullable(), n: t.int64() }, { name: "Total" });
type Total = RowOf<typeof Total>;

const orders = [
  { id: 1n, customer: "a", qty: 2, price: parseBigDecimal("1.50") },
  { id: 2n, customer: "a", qty: null, price: parseBigDecimal("2") },
  { id: 3n, customer: "b", qty: 5, price: parseBigDecimal("0.25") },
];
const QUERY = "SELECT customer, SUM(qty) AS total, COUNT(*) AS n FROM orders GROUP BY customer";

function sqlError(build: () => unknown): SqlError {
  try {
    build();
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error("expected a SqlError");
}

describe("a query's declared output schema", () => {
  it("types the output PCollection with the schema's rows, and the untyped form with SqlRow", () => {
    const p = new Pipeline();
    const input = p.apply(create(orders)).withSchema(Order);
    expectTypeOf(sql(QUERY, { orders: input }, { outputSchema: Total })).toEqualTypeOf<PCollection<Total>>();
    expectTypeOf(sql(QUERY, { orders: input }, "Untyped")).toEqualTypeOf<PCollection<SqlRow>>();
    const one = input.apply("One", sql("SELECT customer, SUM(qty) AS total, COUNT(*) AS n FROM PCOLLECTION GROUP BY customer").withOutputSchema(Total));
    expectTypeOf(one).toEqualTypeOf<PCollection<Total>>();
    expectTypeOf<Total["total"]>().toEqualTypeOf<bigint | null>();
    // @ts-expect-error the rows are Totals, not strings
    const wrong: PCollection<string> = sql(QUERY, { orders: input }, { name: "Wrong", outputSchema: Total });
    expect(wrong).toBeDefined();
  });

  it("gives rows of the declared schema, encoded with its RowCoder", async () => {
    const out: Total[] = [];
    const p = new Pipeline();
    const totals = sql(QUERY, { orders: p.apply(create(orders)).withSchema(Order) }, { outputSchema: Total });
    totals.apply(parDo<Total, never>({ process: (r) => void out.push(r) }));
    expect((totals.coder as { readonly schema?: unknown }).schema).toBe(Total.schema);
    await p.run().waitUntilFinish();
    expect(out.sort((a, b) => a.customer.localeCompare(b.customer))).toEqual([
      { customer: "a", total: 2n, n: 2n },
      { customer: "b", total: 5n, n: 1n },
    ]);
  });

  it("refuses a schema whose names, order, types or nullability differ from the query's output", () => {
    const p = new Pipeline();
    const input = p.apply(create(orders)).withSchema(Order);
    const names = sqlError(() => sql("SELECT customer AS who, SUM(qty) AS total, COUNT(*) AS n FROM orders GROUP BY customer", { orders: input }, { name: "Names", outputSchema: Total }));
    expect(names.message).toMatch(/column 1 is 'who', the schema's field 1 is 'customer'/);
    expect(names.message).toContain("AS customer");
    const width = sqlError(() => sql("SELECT customer FROM orders", { orders: input }, { name: "Width", outputSchema: Total }));
    expect(width.message).toMatch(/the query gives 1 columns \(customer\), the schema has 3 fields/);
    const Narrow = schema({ customer: t.string(), total: t.int32().nullable(), n: t.int64() }, { name: "Narrow" });
    expect(sqlError(() => sql(QUERY, { orders: input }, { name: "Type", outputSchema: Narrow })).message).toMatch(/column 'total' is BIGINT, the schema's field is INTEGER/);
    const NotNull = schema({ customer: t.string(), total: t.int64(), n: t.int64() }, { name: "NotNull" });
    expect(sqlError(() => sql(QUERY, { orders: input }, { name: "Null", outputSchema: NotNull })).message).toMatch(/column 'total' may be NULL, the schema's field is not nullable/);
    const Priced = schema({ price: t.decimal() }, { name: "Priced" });
    expect(sqlError(() => sql("SELECT price * 2 AS price FROM orders", { orders: input }, { name: "Dec", outputSchema: schema({ price: t.double() }) })).message).toMatch(/column 'price' is DECIMAL, the schema's field is DOUBLE/);
    const decimal = sql("SELECT price * 2 AS price FROM orders", { orders: input }, { name: "DecOk", outputSchema: Priced });
    expectTypeOf(decimal).toEqualTypeOf<PCollection<RowOf<typeof Priced>>>();
    expectTypeOf<RowOf<typeof Priced>["price"]>().toEqualTypeOf<BigDecimal>();
  });
});
