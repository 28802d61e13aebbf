import { describe, expect, it } from "vitest";
import {
  addFields,
  assertThat,
  cast,
  ConstructionError,
  convert,
  count,
  create,
  dropFields,
  filter,
  fixedWindows,
  group,
  join,
  mean,
  parseBigDecimal,
  Pipeline,
  renameFields,
  schema,
  select,
  sum,
  t,
  toList,
  unnest,
  windowInto,
  withTimestamps,
  type PCollection,
  type RowOf,
} from "../../src/index.js";

const Order = schema(
  {
    id: t.int64(),
    customer: t.string(),
    amount: t.double(),
    address: t.row({ street: t.string(), zip: t.string() }).nullable(),
  },
  { name: "Order" },
);
type Order = RowOf<typeof Order>;

const ORDERS: readonly Order[] = [
  { id: 1n, customer: "ann", amount: 5, address: { street: "Main St", zip: "111" } },
  { id: 2n, customer: "bob", amount: 20, address: null },
  { id: 3n, customer: "ann", amount: 15, address: { street: "Elm St", zip: "222" } },
];

/** Builds a pipeline on the embedded runner, runs it and waits. */
async function run(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  build(p);
  await p.run().waitUntilFinish();
}

const created = new WeakMap<Pipeline, number>();
/** The orders with their schema, under a new name on each call. */
function orders(p: Pipeline): PCollection<Order> {
  const n = (created.get(p) ?? 0) + 1;
  created.set(p, n);
  return p.apply(`Orders${n}`, create<unknown>([...ORDERS])).withSchema(Order);
}

/** The field names and types of a PCollection's schema, read from its RowCoder. */
function fieldsOf(pc: PCollection<unknown>): string[] {
  const s = (pc.coder as unknown as { schema: { fields: { name: string; type: { kind: string; type?: string; nullable?: boolean } }[] } }).schema;
  return s.fields.map((f) => `${f.name}:${f.type.kind === "atomic" ? f.type.type : f.type.kind}${f.type.nullable === true ? "?" : ""}`);
}

describe("schema transforms on the embedded runner", () => {
  it("refuses a PCollection without a schema, naming the transform and the fix", () => {
    const p = new Pipeline({ runner: "embedded" });
    const plain = p.apply(create([{ id: 1n }]));
    expect(() => plain.apply("A", select("id"))).toThrow(ConstructionError);
    expect(() => plain.apply("B", select("id"))).toThrow(/B: Select\(id\) needs a PCollection with a schema.*\.withSchema\(S\)/);
  });

  it("selects top-level and nested fields, naming nested ones by their last name", async () => {
    await run((p) => {
      const out = orders(p).apply(select("id", "address.zip"));
      expect(fieldsOf(out)).toEqual(["id:INT64", "zip:STRING?"]);
      assertThat(out).containsInAnyOrder([
        { id: 1n, zip: "111" },
        { id: 2n, zip: null },
        { id: 3n, zip: "222" },
      ]);
      const all = orders(p).apply("Star", select("address.*"));
      expect(fieldsOf(all)).toEqual(["street:STRING?", "zip:STRING?"]);
      const named = orders(p).apply("Named", select({ who: "customer", where: "address.street" }));
      assertThat(named).containsInAnyOrder([
        { who: "ann", where: "Main St" },
        { who: "bob", where: null },
        { who: "ann", where: "Elm St" },
      ]);
    });
  });

  it("refuses unknown fields and clashing output names at construction", () => {
    const p = new Pipeline({ runner: "embedded" });
    const pc = orders(p) as PCollection<Readonly<Record<string, unknown>>>;
    expect(() => pc.apply(select("nope"))).toThrow(/Select\(nope\): the schema has no field "nope"\. Its fields are: id, customer, amount, address/);
    expect(() => pc.apply(select("customer.x"))).toThrow(/"customer" is not a row/);
    const Dup = schema({ zip: t.string(), address: t.row({ zip: t.string() }) });
    const dup = p.apply("Dup", create<unknown>([])).withSchema(Dup);
    expect(() => dup.apply(select("zip", "address.zip"))).toThrow(/two fields named "zip".*select\(\{ customerName/);
  });

  it("filters rows by field predicates", async () => {
    await run((p) => {
      assertThat(orders(p).apply(filter.whereField("amount", (v) => v > 10)).apply(select("id"))).containsInAnyOrder([{ id: 2n }, { id: 3n }]);
      const both = orders(p).apply("Both", filter.where({ customer: (c) => c === "ann", "address.zip": (z) => z === "222" }));
      expect(fieldsOf(both)).toEqual(fieldsOf(orders(p)));
      assertThat(both).containsInAnyOrder([ORDERS[2]!]);
      // The elementwise filter is still the same function.
      assertThat(p.apply("Nums", create([1, 2, 3])).apply(filter((n) => n > 1))).containsInAnyOrder([2, 3]);
    });
  });

  it("adds, drops and renames fields, nested ones too", async () => {
    await run((p) => {
      const added = orders(p).apply(addFields({ source: { type: t.string(), default: "web" }, note: t.int32(), "address.country": { type: t.string(), default: "NL" } }));
      expect(fieldsOf(added)).toEqual(["id:INT64", "customer:STRING", "amount:DOUBLE", "address:row?", "source:STRING", "note:INT32?"]);
      assertThat(added.apply(select("id", "source", "note", "address.country"))).containsInAnyOrder([
        { id: 1n, source: "web", note: null, country: "NL" },
        { id: 2n, source: "web", note: null, country: null },
        { id: 3n, source: "web", note: null, country: "NL" },
      ]);
      const dropped = orders(p).apply(dropFields("amount", "address.street"));
      assertThat(dropped).containsInAnyOrder([
        { id: 1n, customer: "ann", address: { zip: "111" } },
        { id: 2n, customer: "bob", address: null },
        { id: 3n, customer: "ann", address: { zip: "222" } },
      ]);
      const renamed = orders(p).apply(renameFields({ id: "orderId", "address.zip": "postcode" })).apply(select("orderId", "address.postcode"));
      assertThat(renamed).containsInAnyOrder([
        { orderId: 1n, postcode: "111" },
        { orderId: 2n, postcode: null },
        { orderId: 3n, postcode: "222" },
      ]);
    });
  });

  it("refuses adding an existing field, a default of the wrong type, dropping every field and renaming onto another", () => {
    const p = new Pipeline({ runner: "embedded" });
    const pc = orders(p) as PCollection<Readonly<Record<string, unknown>>>;
    expect(() => pc.apply(addFields({ id: t.int64() }))).toThrow(/already has a field "id"/);
    expect(() => pc.apply(addFields({ n: { type: t.int64(), default: 1 } }))).toThrow(/the default of "n": expected int64 \(bigint\), got 1/);
    expect(() => pc.apply(dropFields("id", "customer", "amount", "address"))).toThrow(/leaves the row without fields/);
    expect(() => pc.apply(dropFields("address.street", "address.zip"))).toThrow(/leaves "address" without fields; drop "address" itself/);
    expect(() => pc.apply(renameFields({ id: "customer" }))).toThrow(/two fields named "customer"/);
  });

  it("casts widening without options and narrowing only when allowed, sending values that do not fit to failures", async () => {
    const Narrow = schema({ id: t.int32(), amount: t.float() }, { name: "Narrow" });
    const Wide = schema({ id: t.int64(), amount: t.double().nullable() }, { name: "Wide" });
    const WithDecimal = schema({ id: t.decimal(), amount: t.double() }, { name: "WithDecimal" });
    await run((p) => {
      const narrow = p.apply(create<unknown>([{ id: 7, amount: 1.5 }])).withSchema(Narrow);
      assertThat(narrow.apply(cast(Wide))).containsInAnyOrder([{ id: 7n, amount: 1.5 }]);
      assertThat(narrow.apply("ToDecimal", cast(WithDecimal))).containsInAnyOrder([{ id: parseBigDecimal("7"), amount: 1.5 }]);
      const wide = p.apply("Wide", create<unknown>([{ id: 5n, amount: 2.5 }, { id: 5_000_000_000n, amount: 1 }, { id: 6n, amount: null }])).withSchema(Wide);
      const { output, failures } = wide.apply(cast(Narrow, { allowLossy: true }).withExceptionHandling());
      expect(fieldsOf(output)).toEqual(["id:INT32", "amount:FLOAT"]);
      assertThat(output).containsInAnyOrder([{ id: 5, amount: 2.5 }]);
      assertThat(failures.apply("Check1", map_((b) => b.error.message))).containsInAnyOrder([
        "Narrow.id: 5000000000n is out of the range of int32 (-2147483648 to 2147483647).",
        "Narrow.amount: null does not fit the non-null float.",
      ]);
    });
    const p = new Pipeline({ runner: "embedded" });
    const wide = p.apply(create<unknown>([])).withSchema(Wide);
    expect(() => wide.apply(cast(Narrow))).toThrow(/Cast\(Narrow\): the cast may lose values: "id": int64 \(bigint\) to int32 \(integer number\) may not fit; "amount" is nullable and the target is not \(a null fails\); "amount": double to float may not fit\. Pass \{ allowLossy: true \}/);
    const Text = schema({ id: t.string(), amount: t.double() });
    expect(() => wide.apply(cast(Text, { allowLossy: true }))).toThrow(/no cast to the target schema: "id": no cast from int64 \(bigint\) to string/);
  });

  it("converts plain objects and class instances to rows, checking them, and rows back to objects", async () => {
    class OrderModel {
      id = 0n;
      customer = "";
      amount = 0;
      address: { street: string; zip: string } | null = null;
      get total(): number {
        return this.amount;
      }
    }
    await run((p) => {
      const raw = p.apply(create<unknown>([{ id: 9n, customer: "cy", amount: 1, address: null, extra: true }, { id: 1, customer: "bad", amount: 1 }]));
      const { output, failures } = raw.apply(convert.toRows(Order).withExceptionHandling());
      expect(fieldsOf(output)).toEqual(fieldsOf(orders(p)));
      assertThat(output).containsInAnyOrder([{ id: 9n, customer: "cy", amount: 1, address: null }]);
      assertThat(failures.apply("Check2", map_((b) => b.error.message))).containsInAnyOrder(["Convert.toRows(Order): Order.id: expected int64 (bigint), got 1."]);
      const plain = orders(p).apply(convert.fromRows());
      expect(() => plain.apply("NoSchema", select("id"))).toThrow(/needs a PCollection with a schema/);
      assertThat(plain).containsInAnyOrder([...ORDERS]);
      const models = orders(p).apply(convert.fromRows(OrderModel));
      assertThat(models.apply("Totals", map_((m) => `${m instanceof OrderModel}:${m.total}`))).containsInAnyOrder(["true:5", "true:20", "true:15"]);
    });
  });

  it("groups by fields into { key, value } rows and aggregates with lifted CombineFns", async () => {
    await run((p) => {
      const totals = orders(p).apply(group.of(Order).byFields("customer").aggregateField("amount", sum(), "total").aggregateField("id", count(), "n").aggregateField("amount", mean(), "avg"));
      expect(fieldsOf(totals)).toEqual(["key:row", "value:row"]);
      assertThat(totals).containsInAnyOrder([
        { key: { customer: "ann" }, value: { total: 20, n: 2n, avg: 10 } },
        { key: { customer: "bob" }, value: { total: 20, n: 1n, avg: 20 } },
      ]);
      const grouped = orders(p).apply("Rows", group.byFields("address.zip"));
      assertThat(grouped.apply("Check3", map_((g) => `${String(g.key["zip"])}:${[...g.value].length}`))).containsInAnyOrder(["111:1", "null:1", "222:1"]);
      const all = orders(p).apply("All", group.globally().aggregateField("amount", sum(), "total").aggregateFields(["id", "amount"], count(), "rows"));
      expect(fieldsOf(all)).toEqual(["total:DOUBLE", "rows:INT64"]);
      assertThat(all).containsInAnyOrder([{ total: 40, rows: 3n }]);
      const lists = orders(p).apply("Lists", group.byFields("customer").aggregateField("amount", toList<number>(), { name: "amounts", type: t.array(t.double()) }));
      assertThat(lists.apply("Check4", map_((g) => `${String(g.key["customer"])}:${[...(g.value["amounts"] as number[])].sort((a, b) => a - b).join(",")}`))).containsInAnyOrder(["ann:5,15", "bob:20"]);
    });
    const p = new Pipeline({ runner: "embedded" });
    expect(() => orders(p).apply(group.byFields("customer").aggregateField("amount", toList<number>(), "amounts"))).toThrow(
      /the type of the field "amounts" cannot be inferred from the CombineFn "ToList"; give it: \{ name: "amounts", type: t\.int64\(\) \}/,
    );
  });

  it("groups and joins per window", async () => {
    await run((p) => {
      const timed = orders(p)
        .apply(withTimestamps((o: Order) => (o.id === 3n ? 90_000 : 1_000)))
        .withSchema(Order)
        .apply(windowInto(fixedWindows(60_000)))
        .withSchema(Order);
      const totals = timed.apply(group.of(Order).byFields("customer").aggregateField("amount", sum(), "total"));
      assertThat(totals).containsInAnyOrder([
        { key: { customer: "ann" }, value: { total: 5 } },
        { key: { customer: "bob" }, value: { total: 20 } },
        { key: { customer: "ann" }, value: { total: 15 } },
      ]);
      const pairs = join(timed, timed, { name: "SelfJoin" }).on("customer");
      assertThat(pairs.apply("Ids", map_((j) => `${j.lhs.id}-${j.rhs.id}`))).containsInAnyOrder(["1-1", "2-2", "3-3"]);
    });
  });

  it("unnests nested rows into top-level fields named by their paths", async () => {
    await run((p) => {
      const flat = orders(p).apply(unnest());
      expect(fieldsOf(flat)).toEqual(["id:INT64", "customer:STRING", "amount:DOUBLE", "address_street:STRING?", "address_zip:STRING?"]);
      assertThat(flat.apply(select("id", "address_zip"))).containsInAnyOrder([
        { id: 1n, address_zip: "111" },
        { id: 2n, address_zip: null },
        { id: 3n, address_zip: "222" },
      ]);
      const short = orders(p).apply("Short", unnest({ naming: "lastName" }));
      expect(fieldsOf(short)).toEqual(["id:INT64", "customer:STRING", "amount:DOUBLE", "street:STRING?", "zip:STRING?"]);
    });
  });
});

/** A map over elements whose output has no schema (for checks). */
function map_<In, Out>(fn: (e: In) => Out) {
  return mapTransform(fn);
}
import { map as mapTransform } from "../../src/index.js";
