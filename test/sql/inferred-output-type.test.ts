import { describe, expect, expectTypeOf, it } from "vitest";
import { Pipeline, SqlError, create, parDo, parseBigDecimal, schema, sql, t, type BigDecimal, type PCollection, type RowOf, type SqlInputs, type SqlRow } from "../../src/index.js";

// The static row type sql() reads from a query's text (src/sql/infer-output-type.ts). The type
// assertions are checked by `tsc` (this file is in the project); the runtime ones pin the same
// names to the schema the planner gives, so the type and the rows cannot drift apart.

const Order = schema({ id: t.int64(), customer: t.string(), qty: t.int32().nullable(), price: t.decimal(), Region: t.string() }, { name: "Order" });
type Order = RowOf<typeof Order>;

const rows: Order[] = [
  { id: 1n, customer: "a", qty: 2, price: parseBigDecimal("1.50"), Region: "eu" },
  { id: 2n, customer: "a", qty: null, price: parseBigDecimal("2"), Region: "eu" },
  { id: 3n, customer: "b", qty: 5, price: parseBigDecimal("0.25"), Region: "us" },
];

const ordersOf = (p: Pipeline) => p.apply("Orders", create(rows)).withSchema(Order);

/** The field names of a PCollection's runtime schema. */
function fieldNames(pc: PCollection<unknown>): string[] {
  const coder = pc.coder as { readonly schema?: { readonly fields: readonly { readonly name: string }[] } };
  return (coder.schema?.fields ?? []).map((f) => f.name);
}

/**
 * Asserts that the runtime schema's fields are `names`, in order; `names` must be exactly the
 * keys of the static row type R, or this does not compile.
 */
function expectFields<R, const N extends readonly (keyof R & string)[]>(pc: PCollection<R>, names: N & ([Exclude<keyof R, N[number]>] extends [never] ? unknown : { readonly missing: Exclude<keyof R, N[number]> })): void {
  expect(fieldNames(pc)).toEqual([...names]);
}

/**
 * The row type of a PCollection (or of a function's), for type assertions only: comparing
 * rows rather than whole PCollection types keeps `tsc` fast (expectTypeOf compares deeply).
 */
function rowType<R>(_pc: PCollection<R> | (() => PCollection<R>)): R {
  return undefined as unknown as R;
}

/** Runs the pipeline and gives the rows of `pc`, typed as its rows. */
async function collect<R>(p: Pipeline, pc: PCollection<R>): Promise<R[]> {
  const out: R[] = [];
  pc.apply("Collect", parDo<R, never>({ process: (r) => void out.push(r) }));
  await p.run().waitUntilFinish();
  return out;
}

describe("the output type sql() infers from the query", () => {
  it("types selected columns with their input fields' types, named as the query spells them", () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const plain = sql("SELECT id, customer, qty FROM orders", { orders }, "Plain");
    expectTypeOf(rowType(plain)).toEqualTypeOf<{ readonly id: bigint; readonly customer: string; readonly qty: number | null }>();
    expectFields(plain, ["id", "customer", "qty"]);
    // Names resolve ignoring case when no field has the exact spelling; the output keeps the query's.
    const spelled = sql("SELECT Customer, ID, region FROM orders", { orders }, "Spelled");
    expectTypeOf(rowType(spelled)).toEqualTypeOf<{ readonly Customer: string; readonly ID: bigint; readonly region: string }>();
    expectFields(spelled, ["Customer", "ID", "region"]);
    // Qualified, backticked and double-quoted names, aliases with and without AS.
    const quoted = sql('SELECT o.customer, o.`id`, `qty` AS q, "price" p, Region AS `where` FROM orders AS o', { orders }, "Quoted");
    expectTypeOf(rowType(quoted)).toEqualTypeOf<{ readonly customer: string; readonly id: bigint; readonly q: number | null; readonly p: BigDecimal; readonly where: string }>();
    expectFields(quoted, ["customer", "id", "q", "p", "where"]);
  });

  it("types SELECT * and alias.* as the input's rows", () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const all = sql("SELECT * FROM orders WHERE qty IS NOT NULL", { orders }, "All");
    expectTypeOf(rowType(all)).toEqualTypeOf<{ readonly id: bigint; readonly customer: string; readonly qty: number | null; readonly price: BigDecimal; readonly Region: string }>();
    expectFields(all, ["id", "customer", "qty", "price", "Region"]);
    const aliased = sql("SELECT o.* FROM orders o", { orders }, "Aliased");
    expectTypeOf(rowType(aliased)).toEqualTypeOf<Order>();
    expectFields(aliased, ["id", "customer", "qty", "price", "Region"]);
  });

  it("types COUNT as a non-null bigint and MIN/MAX as the column's type or null, unnamed ones EXPR$i", async () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const grouped = sql("SELECT customer, COUNT(*), count(qty) AS c, MIN(qty), max(id) AS top, COUNT(DISTINCT Region) regions FROM orders GROUP BY customer HAVING COUNT(*) > 0", { orders });
    type Grouped = { readonly customer: string; readonly EXPR$1: bigint; readonly c: bigint; readonly EXPR$3: number | null; readonly top: bigint | null; readonly regions: bigint };
    expectTypeOf(rowType(grouped)).toEqualTypeOf<Grouped>();
    expectFields(grouped, ["customer", "EXPR$1", "c", "EXPR$3", "top", "regions"]);
    const out = await collect(p, grouped);
    const expected: Grouped[] = [
      { customer: "a", EXPR$1: 2n, c: 1n, EXPR$3: 2, top: 2n, regions: 1n },
      { customer: "b", EXPR$1: 1n, c: 1n, EXPR$3: 5, top: 3n, regions: 1n },
    ];
    expect(out.sort((a, b) => a.customer.localeCompare(b.customer))).toEqual(expected);
  });

  it("types a global aggregate over no rows as the NULL it gives", async () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const none = sql("SELECT COUNT(*) AS n, MIN(id) AS least, MAX(customer) FROM orders WHERE qty > 100", { orders });
    type None = { readonly n: bigint; readonly least: bigint | null; readonly EXPR$2: string | null };
    expectTypeOf(rowType(none)).toEqualTypeOf<None>();
    expectFields(none, ["n", "least", "EXPR$2"]);
    const expected: None[] = [{ n: 0n, least: null, EXPR$2: null }];
    expect(await collect(p, none)).toEqual(expected);
  });

  it("reads keywords in any case and any whitespace, with DISTINCT, ORDER BY and LIMIT", async () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const top = sql(
      `select distinct
         customer,
\t       Region   as r
       from ORDERS
       where qty is not null or id > 0
       order by customer desc limit 2`,
      { orders },
    );
    type Top = { readonly customer: string; readonly r: string };
    expectTypeOf(rowType(top)).toEqualTypeOf<Top>();
    expectFields(top, ["customer", "r"]);
    const expected: Top[] = [
      { customer: "b", r: "us" },
      { customer: "a", r: "eu" },
    ];
    expect(await collect(p, top)).toEqual(expected);
  });

  it("gives rows whose values are of the inferred types", async () => {
    const p = new Pipeline();
    // DISTINCT outputs the grouping key's values: still a bigint and a BigDecimal, not their encodings.
    const picked = sql("SELECT DISTINCT id, qty, price FROM orders WHERE id = 2", { orders: ordersOf(p) });
    expectTypeOf(rowType(picked)).toEqualTypeOf<{ readonly id: bigint; readonly qty: number | null; readonly price: BigDecimal }>();
    const [row] = await collect(p, picked);
    expect(typeof row!.id).toBe("bigint");
    expect(row!.qty).toBeNull();
    expect(row!.price).toEqual(parseBigDecimal("2"));
  });

  it("types a query over another query's inferred output", () => {
    const p = new Pipeline();
    const totals = sql("SELECT customer, COUNT(*) AS n FROM orders GROUP BY customer", { orders: ordersOf(p) }, "Totals");
    const busy = sql("SELECT customer FROM totals WHERE n > 1", { totals }, "Busy");
    expectTypeOf(rowType(busy)).toEqualTypeOf<{ readonly customer: string }>();
    expectFields(busy, ["customer"]);
  });

  it("falls back to SqlRow for every query it does not read exactly", () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const other = p.apply("Other", create(rows)).withSchema(Order);
    // One assertion each: an array of these would absorb a typed one into SqlRow (subtype reduction).
    const join = sql("SELECT o.customer, x.qty FROM orders o JOIN other x ON o.id = x.id", { orders, other }, "Join");
    expectTypeOf(rowType(join)).toEqualTypeOf<SqlRow>();
    const comma = sql("SELECT o.customer FROM orders o, other x", { orders, other }, "Comma");
    expectTypeOf(rowType(comma)).toEqualTypeOf<SqlRow>();
    const arithmetic = sql("SELECT id * 2 AS doubled FROM orders", { orders }, "Arithmetic");
    expectTypeOf(rowType(arithmetic)).toEqualTypeOf<SqlRow>();
    const fn = sql("SELECT UPPER(customer) AS c FROM orders", { orders }, "Function");
    expectTypeOf(rowType(fn)).toEqualTypeOf<SqlRow>();
    const cast = sql("SELECT CAST(qty AS BIGINT) AS q FROM orders", { orders }, "Cast");
    expectTypeOf(rowType(cast)).toEqualTypeOf<SqlRow>();
    const sum = sql("SELECT customer, SUM(qty) AS total FROM orders GROUP BY customer", { orders }, "Sum");
    expectTypeOf(rowType(sum)).toEqualTypeOf<SqlRow>();
    const caseWhen = sql("SELECT CASE WHEN qty > 1 THEN 'many' ELSE 'few' END AS size FROM orders", { orders }, "Case");
    expectTypeOf(rowType(caseWhen)).toEqualTypeOf<SqlRow>();
    const subquery = sql("SELECT customer FROM (SELECT customer FROM orders) s", { orders }, "Subquery");
    expectTypeOf(rowType(subquery)).toEqualTypeOf<SqlRow>();
    const cte = sql("WITH c AS (SELECT customer FROM orders) SELECT customer FROM c", { orders }, "With");
    expectTypeOf(rowType(cte)).toEqualTypeOf<SqlRow>();
    const union = sql("SELECT customer FROM orders UNION ALL SELECT customer FROM other", { orders, other }, "Union");
    expectTypeOf(rowType(union)).toEqualTypeOf<SqlRow>();
    // Repeated names are renamed by the planner (customer, customer0): not read.
    const repeated = sql("SELECT customer, customer FROM orders", { orders }, "Repeated");
    expectTypeOf(rowType(repeated)).toEqualTypeOf<SqlRow>();
    const starAndId = sql("SELECT *, id FROM orders", { orders }, "StarAndId");
    expectTypeOf(rowType(starAndId)).toEqualTypeOf<SqlRow>();
    const explain = sql("EXPLAIN SELECT customer FROM orders", { orders }, "Explain");
    expectTypeOf(rowType(explain)).toEqualTypeOf<SqlRow>();
    // A number is a literal, not a column named "1".
    const literal = sql("SELECT 1 FROM orders", { orders }, "Literal");
    expectTypeOf(rowType(literal)).toEqualTypeOf<SqlRow>();
    expect(fieldNames(literal)).toEqual(["EXPR$0"]);
    expect(fieldNames(join)).toEqual(["customer", "qty"]);
    expect(fieldNames(repeated)).toEqual(["customer", "customer0"]);
  });

  it("falls back to SqlRow when the query or the inputs' row types are not known statically", () => {
    const p = new Pipeline();
    const orders = ordersOf(p);
    const text: string = "SELECT customer FROM orders";
    expectTypeOf(rowType(sql(text, { orders }, "Text"))).toEqualTypeOf<SqlRow>();
    const column: string = "customer";
    expectTypeOf(rowType(sql(`SELECT ${column} FROM orders`, { orders }, "Template"))).toEqualTypeOf<SqlRow>();
    // Either of two known texts: either row type.
    const byId = fieldNames(orders).length > 1;
    const either = sql(byId ? "SELECT id FROM orders" : "SELECT customer FROM orders", { orders }, "Either");
    expectTypeOf(rowType(either)).toEqualTypeOf<{ readonly id: bigint } | { readonly customer: string }>();
    expect(fieldNames(either)).toEqual(["id"]);
    // Optional properties: the row type does not say what the rows hold.
    const loose = orders as unknown as PCollection<{ readonly customer?: string }>;
    expectTypeOf(rowType(sql("SELECT customer FROM loose", { loose }, "Loose"))).toEqualTypeOf<SqlRow>();
    const inputs: SqlInputs = { orders };
    expectTypeOf(rowType(sql("SELECT customer FROM orders", inputs, "Inputs"))).toEqualTypeOf<SqlRow>();
    // A query's SqlRow output has a schema at runtime but no static field names.
    const untyped = sql("SELECT UPPER(customer) AS customer FROM orders", { orders }, "Upper");
    expectTypeOf(rowType(sql("SELECT customer FROM untyped", { untyped }, "Untyped"))).toEqualTypeOf<SqlRow>();
    // A name the input's row type does not have: the query fails when applied; the type does not guess.
    const noInput = () => sql("SELECT * FROM nosuch", { orders }, "NoInput");
    expectTypeOf(rowType(noInput)).toEqualTypeOf<SqlRow>();
    expect(noInput).toThrow(SqlError);
    // The one-input form cannot see its input's type when sql(query) is built (see docs/SQL.md).
    expectTypeOf(rowType(orders.apply("One", sql("SELECT customer FROM PCOLLECTION")))).toEqualTypeOf<SqlRow>();
  });

  it("lets a declared outputSchema win over the inferred type", () => {
    const p = new Pipeline();
    const Named = schema({ customer: t.string(), n: t.int64() }, { name: "Named" });
    const declared = sql("SELECT customer, COUNT(*) AS n FROM orders GROUP BY customer", { orders: ordersOf(p) }, { outputSchema: Named });
    expectTypeOf(rowType(declared)).toEqualTypeOf<RowOf<typeof Named>>();
  });
});
