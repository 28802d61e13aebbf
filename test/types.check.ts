// Type-level tests: checked by `tsc --noEmit` (part of `npm test`), never executed.
// Each @ts-expect-error pins something that must NOT compile.
import {
  Pipeline,
  coGroupByKey,
  combineGlobally,
  combineGroupedValues,
  count,
  countPerElement,
  distinct,
  filter,
  fixedWindows,
  flattenAll,
  groupByKeyWithLateData,
  keys,
  kvSwap,
  largest,
  latestGlobally,
  latestPerKey,
  max,
  mean,
  min,
  partition,
  reshuffle,
  sampleGlobally,
  samplePerKey,
  smallest,
  toList,
  toSet,
  top,
  values,
  windowInto,
  withKeys,
  withTimestamps,
  type GroupedWithLateData,
  combinePerKey,
  create,
  defineOptions,
  groupByKey,
  kv,
  map,
  parDo,
  flatMap,
  createTimestamped,
  timestamped,
  type TimestampedValue,
  option,
  sum,
  asSingleton,
  statefulParDo,
  TimerSpecs,
  type KV,
  type PCollection,
  type StatefulDoFn,
  type StatefulProcessContext,
  type Timer,
  type TimerSpec,
  type BadRecord,
  badRecordErrorHandler,
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

// Transforms take their type arguments from the PCollection they are applied to. Each
// output below is declared without an annotation (an annotation is itself a type to infer
// from, and would hide a failure to infer from the input) and compared for exact equality
// with the expected type (assignability would let a wider or narrower type through).
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
const words: PCollection<string> = p.apply(create(["a", "bb"]));
const inferred = {
  groupByKey: pairs.apply(groupByKey()),
  groupByKeyNamed: pairs.apply("Group", groupByKey()),
  groupByKeyWithLateData: pairs.apply(groupByKeyWithLateData()),
  countPerElement: words.apply(countPerElement()),
  distinct: words.apply(distinct()),
  keys: pairs.apply(keys()),
  values: pairs.apply(values()),
  kvSwap: pairs.apply(kvSwap()),
  withKeys: words.apply(withKeys((w) => w.length)),
  reshuffle: words.apply(reshuffle()),
  windowInto: words.apply(windowInto(fixedWindows(60_000))),
  withTimestamps: numbers.apply(withTimestamps((n) => n)),
  filter: words.apply(filter((w) => w.length > 1)),
  filterGuard: words.apply(filter((w): w is "a" => w === "a")),
  partition: words.apply(partition(2, (w) => w.length % 2)),
  flattenAll: flattenAll([words, words]),
  combinePerKey: pairs.apply(combinePerKey(sum())),
  combinePerKeyBinary: pairs.apply(combinePerKey((a, b) => Math.max(a, b))),
  combinePerKeyFanout: pairs.apply(combinePerKey(mean(), { hotKeyFanout: (key) => key.length })),
  combinePerKeyToSet: pairs.apply(combinePerKey(toSet())),
  combineGroupedValues: pairs.apply(groupByKey()).apply(combineGroupedValues(toList())),
  combineGroupedValuesBinary: pairs.apply(groupByKey()).apply(combineGroupedValues((a, b) => a + b)),
  toList: numbers.apply(combineGlobally(toList())),
  toSet: words.apply(combineGlobally(toSet())),
  count: words.apply(combineGlobally(count())),
  mean: numbers.apply(combineGlobally(mean())),
  min: numbers.apply(combineGlobally(min())),
  max: words.apply(combineGlobally(max())),
  top: words.apply(combineGlobally(top(2, (a, b) => a.length - b.length))),
  largest: numbers.apply(combineGlobally(largest(3))),
  smallest: words.apply(combineGlobally(smallest(3))),
  combineGloballyBinary: numbers.apply(combineGlobally((a, b) => a + b)),
  latestGlobally: words.apply(latestGlobally()),
  latestPerKey: pairs.apply(latestPerKey()),
  sampleGlobally: words.apply(sampleGlobally(2)),
  samplePerKey: pairs.apply(samplePerKey(2)),
  chained: pairs.apply(groupByKey()).apply(map((e) => kv(e.key, [...e.value].length))),
};
type Expected = {
  groupByKey: PCollection<KV<string, Iterable<number>>>;
  groupByKeyNamed: PCollection<KV<string, Iterable<number>>>;
  groupByKeyWithLateData: GroupedWithLateData<string, number>;
  countPerElement: PCollection<KV<string, number>>;
  distinct: PCollection<string>;
  keys: PCollection<string>;
  values: PCollection<number>;
  kvSwap: PCollection<KV<number, string>>;
  withKeys: PCollection<KV<number, string>>;
  reshuffle: PCollection<string>;
  windowInto: PCollection<string>;
  withTimestamps: PCollection<number>;
  filter: PCollection<string>;
  filterGuard: PCollection<"a">;
  partition: PCollection<string>[];
  flattenAll: PCollection<string>;
  combinePerKey: PCollection<KV<string, number>>;
  combinePerKeyBinary: PCollection<KV<string, number>>;
  combinePerKeyFanout: PCollection<KV<string, number>>;
  combinePerKeyToSet: PCollection<KV<string, Set<number>>>;
  combineGroupedValues: PCollection<KV<string, number[]>>;
  combineGroupedValuesBinary: PCollection<KV<string, number>>;
  toList: PCollection<number[]>;
  toSet: PCollection<Set<string>>;
  count: PCollection<number>;
  mean: PCollection<number>;
  min: PCollection<number | undefined>;
  max: PCollection<string | undefined>;
  top: PCollection<string[]>;
  largest: PCollection<number[]>;
  smallest: PCollection<string[]>;
  // A binary function's result for no input is undefined.
  combineGloballyBinary: PCollection<number | undefined>;
  latestGlobally: PCollection<string | undefined>;
  latestPerKey: PCollection<KV<string, number | undefined>>;
  sampleGlobally: PCollection<string[]>;
  samplePerKey: PCollection<KV<string, number[]>>;
  chained: PCollection<KV<string, number>>;
};
// The transforms whose inferred output is not the expected type: none, so the empty object
// has every property required (a failure lists the transforms as missing properties).
type NotAsExpected = {
  [Name in keyof Expected]: Equal<(typeof inferred)[Name], Expected[Name]> extends true ? never : Name;
}[keyof Expected];
const notAsExpected: Record<NotAsExpected, "not the expected type"> = {};
void [inferred, notAsExpected];

// Inference keeps misuse a compile error: the KV transforms reject PCollections of non-KVs,
// and a CombineFn's input type must be the elements' type.
// @ts-expect-error numbers are not KVs
numbers.apply(groupByKeyWithLateData());
// @ts-expect-error numbers are not KVs
numbers.apply(keys());
// @ts-expect-error numbers are not KVs
numbers.apply(values());
// @ts-expect-error numbers are not KVs
numbers.apply(kvSwap());
// @ts-expect-error numbers are not KVs
numbers.apply(latestPerKey());
// @ts-expect-error numbers are not KVs
numbers.apply(samplePerKey(2));
// @ts-expect-error numbers are not grouped KVs
numbers.apply(combineGroupedValues(sum()));
// @ts-expect-error ungrouped KVs are not grouped KVs
pairs.apply(combineGroupedValues(sum()));
// @ts-expect-error sum() adds numbers, not strings
words.apply(combineGlobally(sum()));
// @ts-expect-error mean() of KVs' values needs combinePerKey
pairs.apply(combineGlobally(mean()));
// @ts-expect-error the values are numbers: a callback's parameter is typed from the input
pairs.apply(map((e) => e.value.toUpperCase()));
// @ts-expect-error the grouped values are numbers
pairs.apply(groupByKey()).apply(combineGroupedValues((a, b) => a.concat(b)));

// Explicit type arguments keep working, and a transform built away from apply (kept in a
// variable, with nothing to infer from) takes them.
const explicitCounts: PCollection<KV<string, number>> = words.apply(countPerElement<string>());
const keysOfPairs = keys<string, number>();
const explicitKeys: PCollection<string> = pairs.apply(keysOfPairs);
const explicitList: PCollection<number[]> = numbers.apply(combineGlobally(toList<number>()));
void [explicitCounts, explicitKeys, explicitList];

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

// A stateful ParDo's tagged outputs are typed as a ParDo's: { main, ...tags }, and
// ctx.outputTo in process, onTimer and onWindowExpiration takes only declared tags with
// their element types; side inputs read as in a ParDo.
const minimum = asSingleton(numbers);
const deadLetters: StatefulDoFn<string, number, string, Record<never, never>, { retry: TimerSpec<Timer> }, { deadLetter: number }> = {
  timers: { retry: TimerSpecs.timer("EVENT_TIME") },
  process(e, ctx) {
    if (e.value < ctx.sideInput(minimum)) ctx.outputTo("deadLetter", e.value);
    else ctx.output(e.key);
    // @ts-expect-error "late" is not a declared output tag
    ctx.outputTo("late", e.value);
  },
  onTimer: {
    retry(ctx) {
      ctx.outputTo("deadLetter", ctx.sideInput(minimum));
      // @ts-expect-error deadLetter holds numbers
      ctx.outputTo("deadLetter", "x");
    },
  },
  onWindowExpiration(ctx) {
    ctx.outputTo("deadLetter", 0);
  },
};
const split = pairs.apply(statefulParDo(deadLetters, { sideInputs: [minimum], outputs: ["deadLetter"] }));
const splitMain: PCollection<string> = split.main;
const splitDead: PCollection<number> = split.deadLetter;
// @ts-expect-error only declared tags are outputs
void split.late;
// Without `outputs`, the result is the main PCollection.
const single: PCollection<string> = pairs.apply(statefulParDo({ process: (e: KV<string, number>, ctx: StatefulProcessContext<string, string, Record<never, never>, Record<never, never>>) => ctx.output(e.key) }));
// @ts-expect-error an output tag must be declared on the DoFn's type to be listed
pairs.apply(statefulParDo(deadLetters, { outputs: ["deadLetter", "other"] }));
void [splitMain, splitDead, single];

// Dead letters: withExceptionHandling keeps the output's type and adds failures of BadRecords.
const strings: PCollection<string> = p.apply("DeadLetterStrings", create(["1", "x"]));
const parsedWithFailures = strings.apply(map((s: string) => Number(s)).withExceptionHandling());
const parsedOk: PCollection<number> = parsedWithFailures.output;
const parsedBad: PCollection<BadRecord> = parsedWithFailures.failures;
// @ts-expect-error the output holds numbers
const parsedWrong: PCollection<string> = parsedWithFailures.output;
const handler = badRecordErrorHandler(strings.pipeline, map((r: BadRecord) => r.step));
// With an error handler the failures go there: the result is the output alone.
const handled: PCollection<number> = strings.apply(map((s: string) => Number(s)).withExceptionHandling({ errorHandler: handler }));
const taggedWithFailures = strings.apply(
  parDo<string, number, { odd: string }>({ process: (s, ctx) => ctx.outputTo("odd", s) }, { outputs: ["odd"] }).withExceptionHandling(),
);
const taggedOdd: PCollection<string> = taggedWithFailures.odd;
const taggedFailures: PCollection<BadRecord> = taggedWithFailures.failures;
const kept: PCollection<string> = strings.apply(filter((s: string) => s.length > 0).withExceptionHandling()).output;
// @ts-expect-error catch takes error classes or a predicate
map((s: string) => s).withExceptionHandling({ catch: ["TypeError"] });
void [parsedOk, parsedBad, parsedWrong, handled, taggedOdd, taggedFailures, kept];

// Schemas: one definition gives the runtime schema and the row type (RowOf).
import { schema as rowSchema, t as ft, type BigDecimal as Decimal, type Instant as At, type RowOf } from "../src/index.js";
const Everything = rowSchema({
  b: ft.byte(), s16: ft.int16(), s32: ft.int32(), s64: ft.int64(), f: ft.float(), d: ft.double(), str: ft.string(), ok: ft.boolean(), raw: ft.bytes(),
  dec: ft.decimal(), ts: ft.timestamp(), dt: ft.datetime(), us: ft.microsInstant(), day: ft.date(), tod: ft.time(), local: ft.localDateTime(),
  fb: ft.fixedBytes(4), vb: ft.varBytes(4), fc: ft.fixedChar(2), vc: ft.varChar(9), id: ft.uuid(), py: ft.pythonCallable(),
  color: ft.enumeration("RED", "GREEN"), either: ft.oneOf({ n: ft.int32(), s: ft.string() }),
  list: ft.array(ft.string()), seq: ft.iterable(ft.int64()), lookup: ft.map(ft.string(), ft.double()),
  address: ft.row({ street: ft.string(), zip: ft.string() }).nullable(),
});
type Everything = RowOf<typeof Everything>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rowTypes: [
  Same<Everything["b"] | Everything["s16"] | Everything["s32"] | Everything["f"] | Everything["d"], number>,
  Same<Everything["s64"], bigint>, Same<Everything["str"], string>, Same<Everything["ok"], boolean>, Same<Everything["raw"], Uint8Array>,
  Same<Everything["dec"], Decimal>, Same<Everything["ts"] | Everything["dt"], At>, Same<Everything["us"], bigint>,
  Same<Everything["day"] | Everything["tod"], number>, Same<Everything["local"], { readonly date: number; readonly time: number }>,
  Same<Everything["fb"] | Everything["vb"], Uint8Array>, Same<Everything["fc"] | Everything["vc"] | Everything["id"] | Everything["py"], string>,
  Same<Everything["color"], "RED" | "GREEN">,
  Same<Everything["either"], { readonly case: "n"; readonly value: number } | { readonly case: "s"; readonly value: string }>,
  Same<Everything["list"], readonly string[]>, Same<Everything["seq"], Iterable<bigint>>, Same<Everything["lookup"], ReadonlyMap<string, number>>,
  // nullable adds `| null`
  Same<Everything["address"], { readonly street: string; readonly zip: string } | null>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
const Address = rowSchema({ street: ft.string(), zip: ft.string() });
// @ts-expect-error a misspelled field is an error
const misspelled: RowOf<typeof Address> = { street: "Main St", zpi: "12345" };
// @ts-expect-error an int64 is a bigint, not a number
const wrongInt: RowOf<typeof Everything>["s64"] = 1;
// withSchema types the PCollection with the row type; a PCollection of another row type cannot take it.
const addresses: PCollection<RowOf<typeof Address>> = p.apply("Addresses", create<unknown>([])).withSchema(Address);
const zips: PCollection<string> = addresses.apply(map((a) => a.zip));
// @ts-expect-error numbers are not rows of Address
p.apply("Numbers", create([1, 2])).withSchema(Address);
void [Everything, rowTypes, misspelled, wrongInt, zips];
