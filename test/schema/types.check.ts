// Type-level tests of the schema transforms: checked by `tsc --noEmit` (part of `npm test`),
// never executed. Each output is declared without an annotation and compared for exact
// equality with the expected row type; each @ts-expect-error pins something that must NOT
// compile (a misspelt field, a CombineFn of the wrong input type, a join field one side lacks).
import {
  Pipeline,
  addFields,
  cast,
  coGroup,
  convert,
  count,
  create,
  dropFields,
  filter,
  group,
  join,
  mean,
  renameFields,
  schema,
  select,
  sum,
  t,
  toList,
  unnest,
  type PCollection,
  type RowOf,
} from "../../src/index.js";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Rows<P> = P extends PCollection<infer R> ? R : never;

const Order = schema({ id: t.int64(), customer: t.row({ name: t.string(), zip: t.string() }).nullable(), amount: t.double() });
type Order = RowOf<typeof Order>;
type Customer = { readonly name: string; readonly zip: string };
const Client = schema({ id: t.int64(), name: t.string() });
type Client = RowOf<typeof Client>;

const p = new Pipeline();
const orders = p.apply(create<unknown>([])).withSchema(Order);
const clients = p.apply("Clients", create<unknown>([])).withSchema(Client);

export const inferred = {
  selected: orders.apply(select("id", "customer.name")),
  wildcard: orders.apply(select("customer.*", "amount")),
  named: orders.apply(select({ who: "customer.name", orderId: "id" })),
  filtered: orders.apply(filter.whereField("amount", (v) => v > 10)),
  added: orders.apply(addFields({ source: { type: t.string(), default: "web" }, note: t.int32() })),
  dropped: orders.apply(dropFields("amount", "customer.zip")),
  renamed: orders.apply(renameFields({ id: "orderId", "customer.name": "fullName" })),
  casted: orders.apply(cast(Client)),
  converted: p.apply("Raw", create<unknown>([])).apply(convert.toRows(Order)),
  plain: orders.apply(convert.fromRows()),
  grouped: orders.apply(group.of(Order).byFields("customer.name").aggregateField("amount", sum(), "total").aggregateField("id", count(), "n")),
  typedAs: orders.apply(group.of(Order).byFields("id").aggregateField("amount", toList<number>(), { name: "all", type: t.array(t.double()) })),
  rows: orders.apply(group.of(Order).byFields("id")),
  globally: orders.apply(group.of(Order).globally().aggregateField("amount", mean(), "avg")),
  inner: join(orders, clients).on("id"),
  leftOuter: join(orders, clients, { type: "leftOuter" }).on({ left: "id", right: "id" }),
  fullOuter: join(orders, clients, { type: "fullOuter" }).on("id"),
  coGrouped: coGroup({ orders, clients }).by("id"),
  flat: orders.apply(unnest()),
};

export type Checks = [
  Expect<Equal<Rows<typeof inferred.selected>, { readonly id: bigint; readonly name: string | null }>>,
  Expect<Equal<Rows<typeof inferred.wildcard>, { readonly name: string | null; readonly zip: string | null; readonly amount: number }>>,
  Expect<Equal<Rows<typeof inferred.named>, { readonly who: string | null; readonly orderId: bigint }>>,
  Expect<Equal<Rows<typeof inferred.filtered>, Order>>,
  Expect<Equal<Rows<typeof inferred.added>, { readonly id: bigint; readonly customer: Customer | null; readonly amount: number; readonly source: string; readonly note: number | null }>>,
  Expect<Equal<Rows<typeof inferred.dropped>, { readonly id: bigint; readonly customer: { readonly name: string } | null }>>,
  Expect<Equal<Rows<typeof inferred.renamed>, { readonly orderId: bigint; readonly customer: { readonly fullName: string; readonly zip: string } | null; readonly amount: number }>>,
  Expect<Equal<Rows<typeof inferred.casted>, Client>>,
  Expect<Equal<Rows<typeof inferred.converted>, Order>>,
  Expect<Equal<Rows<typeof inferred.plain>, Order>>,
  Expect<Equal<Rows<typeof inferred.grouped>, { readonly key: { readonly name: string | null }; readonly value: { readonly total: number; readonly n: bigint } }>>,
  Expect<Equal<Rows<typeof inferred.typedAs>, { readonly key: { readonly id: bigint }; readonly value: { readonly all: readonly number[] } }>>,
  Expect<Equal<Rows<typeof inferred.rows>, { readonly key: { readonly id: bigint }; readonly value: Iterable<Order> }>>,
  Expect<Equal<Rows<typeof inferred.globally>, { readonly avg: number }>>,
  Expect<Equal<Rows<typeof inferred.inner>, { readonly lhs: Order; readonly rhs: Client }>>,
  Expect<Equal<Rows<typeof inferred.leftOuter>, { readonly lhs: Order; readonly rhs: Client | null }>>,
  Expect<Equal<Rows<typeof inferred.fullOuter>, { readonly lhs: Order | null; readonly rhs: Client | null }>>,
  Expect<Equal<Rows<typeof inferred.coGrouped>, { readonly key: { readonly id: bigint } } & { readonly orders: readonly Order[]; readonly clients: readonly Client[] }>>,
  Expect<Equal<Rows<typeof inferred.flat>, { readonly id: bigint; readonly customer_name: string | null; readonly customer_zip: string | null; readonly amount: number }>>,
];

// @ts-expect-error no field "nope"
orders.apply(select("nope"));
// @ts-expect-error no field "customer.nope"
orders.apply(select("customer.nope"));
// @ts-expect-error "amount" is not a row
orders.apply(select("amount.x"));
// @ts-expect-error the predicate's value is a number
orders.apply(filter.whereField("amount", (v: string) => v === ""));
// @ts-expect-error no field "nope" to drop
orders.apply(dropFields("nope"));
// @ts-expect-error no field "nope" to rename
orders.apply(renameFields({ nope: "x" }));
// @ts-expect-error sum() takes numbers; "id" is an int64 (bigint)
group.of(Order).byFields("customer.name").aggregateField("id", sum(), "total");
// @ts-expect-error "amount" is not a field of clients
join(orders, clients).on("amount");
// The elementwise filter keeps its type guard.
export const guarded: PCollection<"a"> = p.apply("Words", create(["a", "b"])).apply(filter((w): w is "a" => w === "a"));
