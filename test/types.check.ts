// Type-level tests: checked by `tsc --noEmit` (part of `npm test`), never executed.
// Each @ts-expect-error pins something that must NOT compile.
import {
  Pipeline,
  coGroupByKey,
  combinePerKey,
  create,
  defineOptions,
  groupByKey,
  kv,
  map,
  flatMap,
  createTimestamped,
  timestamped,
  type TimestampedValue,
  option,
  sum,
  type KV,
  type PCollection,
} from "../src/index.js";
import { testStream } from "../src/testing/index.js";

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

// option.choice keeps its choices' literal types inside defineOptions, without `as const`.
const ChoiceOptions = defineOptions({
  mode: option.choice(["fast", "exact"], { description: "Mode", default: "fast" }),
  level: option.choice(["low", "high"], { description: "Level" }),
});
const chosen = ChoiceOptions.parse([]);
const mode: "fast" | "exact" = chosen.mode;
const level: "low" | "high" | undefined = chosen.level;
// @ts-expect-error a choice option holds one of its choices, not any string
const notAChoice: typeof chosen.mode = "slow";
// @ts-expect-error the default must be one of the choices
option.choice(["fast", "exact"], { description: "Mode", default: "slow" });
void [mode, level, notAChoice];

// A map or flatMap that returns timestamped(value, t) outputs the value: the output type is
// the value's; a plain object with a `value` field stays that object.
const stampedOut: PCollection<string> = numbers.apply(map((n: number) => timestamped(String(n), n)));
const stampedMany: PCollection<number> = numbers.apply(flatMap((n: number) => [timestamped(n, 1), timestamped(n + 1, 2)]));
const plainOut: PCollection<{ value: number; timestamp: number }> = numbers.apply(map((n: number) => ({ value: n, timestamp: 0 })));
// @ts-expect-error the output of a timestamped map is the value, not the wrapper
const notWrapped: PCollection<TimestampedValue<string>> = numbers.apply(map((n: number) => timestamped(String(n), n)));
const createdAt: PCollection<string> = p.apply(createTimestamped([timestamped("a", 1), { value: "b", timestamp: 2 }]));
void [stampedOut, stampedMany, plainOut, notWrapped, createdAt];

// A testStream of KVs says so (kv: true): "a:b" parses as a KV only then.
const kvStream: PCollection<KV<string, number>> = p.apply(testStream<KV<string, number>>("a:1", { kv: true }));
// @ts-expect-error a stream of KVs needs kv: true (or its own parse)
p.apply(testStream<KV<string, number>>("a:1"));
// @ts-expect-error kv: true is for streams of KVs only
p.apply(testStream<string>("a:b", { kv: true }));
void kvStream;
