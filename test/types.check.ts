// Type-level tests: checked by `tsc --noEmit` (part of `npm test`), never executed.
// Each @ts-expect-error pins something that must NOT compile.
import { Pipeline, combinePerKey, create, groupByKey, kv, map, sum, coGroupByKey, type KV, type PCollection } from "../src/index.js";

const p = new Pipeline();
const numbers: PCollection<number> = p.apply(create([1, 2, 3]));
const pairs: PCollection<KV<string, number>> = p.apply(create([kv("a", 1)]));

// groupByKey on a PCollection that is not of KVs does not compile.
// @ts-expect-error numbers are not KVs
numbers.apply(groupByKey());

// combinePerKey likewise.
// @ts-expect-error numbers are not KVs
numbers.apply(combinePerKey(sum()));

// On KVs it compiles and the output is typed.
const grouped: PCollection<KV<string, Iterable<number>>> = pairs.apply(groupByKey<string, number>());
void grouped;

// A map's output type follows the function.
const lengths: PCollection<number> = p.apply(create(["ab"])).apply(map((s: string) => s.length));
// @ts-expect-error a PCollection<number> is not a PCollection<string>
const wrong: PCollection<string> = lengths;
void wrong;

// CoGroupByKey results are typed per input.
const users = p.apply(create([kv("u1", { name: "Ann" })]));
const orders = p.apply(create([kv("u1", 12.5)]));
const joined = coGroupByKey({ users, orders });
joined.apply(map((e: KV<string, { users: { name: string }[]; orders: number[] }>) => e.value.orders.length));
