/**
 * Pipelines the parallel-runner tests run with `--parallelism`. Closures cannot cross
 * threads: worker threads import pipeline-module.ts, which builds the pipeline named by
 * BEAM_TS_PARALLEL_FIXTURE with the same function the test used.
 */
import { threadId } from "node:worker_threads";
import {
  Metrics,
  StateSpecs,
  TimerSpecs,
  asSingleton,
  combineGlobally,
  combinePerKey,
  count,
  countPerElement,
  Durations,
  globalWindows,
  Triggers,
  coGroupByKey,
  fixedWindows,
  generateSequence,
  groupByKey,
  kv,
  map,
  reshuffle,
  statefulParDo,
  sum,
  windowInto,
  withTimestamps,
  varIntCoder,
  kvCoder,
  stringUtf8Coder,
  type ByteReader,
  type ByteWriter,
  type Coder,
  type KV,
  type Pipeline,
} from "../../../src/index.js";
import { assertThat } from "../../../src/testing/index.js";

/** The environment variable naming the fixture (worker threads inherit the environment). */
export const FIXTURE_ENV = "BEAM_TS_PARALLEL_FIXTURE";

const N = 20_000;
const KEYS = 97;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Records which threads ran a step (a string set: one entry per thread). */
function threadsOf(namespace: string) {
  const threads = Metrics.stringSet(namespace, "threads");
  return map((x: unknown) => {
    threads.add(String(threadId));
    return x;
  });
}

/** Sums per key after a GroupByKey; the expected sums are computed here, in any thread. */
function groupAndSum(p: Pipeline): void {
  const sums = p
    .apply("Numbers", generateSequence({ from: 0, to: N }))
    .apply("SeenBySource", threadsOf("source"))
    .apply("Key", map((i: number) => kv(`k${i % KEYS}`, i)))
    .apply("Group", groupByKey<string, number>())
    .apply("SeenByGroup", threadsOf("group"))
    .apply("Sum", map(({ key, value }: KV<string, Iterable<number>>) => `${key}=${[...value].reduce((a, b) => a + b, 0)}`));
  const expected = new Map<string, number>();
  for (const i of range(N)) expected.set(`k${i % KEYS}`, (expected.get(`k${i % KEYS}`) ?? 0) + i);
  assertThat(sums).containsInAnyOrder([...expected].map(([k, v]) => `${k}=${v}`));
}

/** A lifted Combine.perKey, a global combine read as a singleton side input. */
function combineWithSideInput(p: Pipeline): void {
  const numbers = p.apply("Numbers", generateSequence({ from: 0, to: N }));
  const total = asSingleton(numbers.apply("Total", combineGlobally(count())));
  const perKey = numbers
    .apply("Key", map((i: number) => kv(i % 10, 1)))
    .apply("CountPerKey", combinePerKey(sum()))
    .apply("Share", map((e: KV<number, number>, ctx) => `${e.key}:${e.value}/${ctx.sideInput(total)}`, { sideInputs: [total] }));
  assertThat(perKey).containsInAnyOrder(range(10).map((k) => `${k}:${N / 10}/${N}`));
}

/** Keyed state and an event-time timer per key and window, after fixed windows. */
function statefulWindows(p: Pipeline): void {
  const out = p
    .apply("Numbers", generateSequence({ from: 0, to: N }))
    .apply("Stamp", withTimestamps((i: number) => i))
    .apply("Window", windowInto(fixedWindows(5_000)))
    .apply("Key", map((i: number) => kv(`k${i % 7}`, i)))
    .apply(
      "CountInState",
      statefulParDo({
        state: { n: StateSpecs.value<number>() },
        timers: { end: TimerSpecs.timer("EVENT_TIME") },
        process(_e: KV<string, number>, ctx) {
          ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
          ctx.timers.end.set(ctx.window.maxTimestamp());
        },
        onTimer: {
          end(ctx) {
            ctx.output(`${String(ctx.key)}@${ctx.window.maxTimestamp()}:${ctx.state.n.read()}`);
          },
        },
      }),
    )
    .apply("SeenByState", threadsOf("state"));
  const expected = new Map<string, number>();
  for (const i of range(N)) {
    const key = `k${i % 7}@${Math.floor(i / 5_000) * 5_000 + 4_999}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  assertThat(out).containsInAnyOrder([...expected].map(([k, v]) => `${k}:${v}`));
}

/**
 * A processing-time trigger an hour after a pane's first element: in a job of seconds, every
 * key fires once, at the end of input (elements arriving from the other thread before the
 * stage's first step once started the delay at time 0, firing at once).
 */
function processingTimeTrigger(p: Pipeline): void {
  const counts = p
    .apply("Numbers", generateSequence({ from: 0, to: N }))
    .apply("Key", map((i: number) => i % KEYS))
    .apply(
      "Window",
      windowInto(globalWindows(), {
        trigger: Triggers.repeatedly(Triggers.afterProcessingTime(Durations.seconds(3600))),
        accumulationMode: "DISCARDING",
        allowedLateness: 0,
      }),
    )
    .apply("Count", countPerElement<number>())
    .apply("Format", map((e: KV<number, number>) => `${e.key}:${e.value}`));
  const expected = range(KEYS).map((k) => `${k}:${range(N).filter((i) => i % KEYS === k).length}`);
  assertThat(counts).containsInAnyOrder(expected);
}

/** Elements of one thread are spread over all threads by a Reshuffle. */
function reshuffled(p: Pipeline): void {
  const out = p
    .apply("Numbers", generateSequence({ from: 0, to: 1_000 }))
    .apply("Reshuffle", reshuffle())
    .apply("SeenAfterReshuffle", threadsOf("reshuffle"));
  assertThat(out).containsInAnyOrder(range(1_000));
}

/** A class the JS value coder refuses: only its own coder can take it across threads. */
export class Reading {
  constructor(
    readonly sensor: string,
    readonly value: number,
  ) {}
}

export const readingCoder: Coder<Reading> = {
  urn: "beam-ts:test:reading:v1",
  components: [],
  deterministic: true,
  encode(r: Reading, w: ByteWriter) {
    stringUtf8Coder.encode(r.sensor, w, true);
    varIntCoder.encode(r.value, w, true);
  },
  decode(r: ByteReader) {
    return new Reading(stringUtf8Coder.decode(r, true), varIntCoder.decode(r, true));
  },
  toString: () => "ReadingCoder",
};

/** CoGroupByKey over class instances with their own coders, across threads. */
function joinReadings(p: Pipeline): void {
  const numbers = p.apply("Numbers", generateSequence({ from: 0, to: N }));
  const readings = numbers
    .apply("Reading", map((i: number) => kv(i % KEYS, new Reading(`s${i % KEYS}`, i))))
    .withCoder(kvCoder(varIntCoder, readingCoder));
  const names = p
    .apply("Sensors", generateSequence({ from: 0, to: KEYS }))
    .apply("Name", map((k: number) => kv(k, `sensor ${k}`)))
    .withCoder(kvCoder(varIntCoder, stringUtf8Coder));
  const joined = coGroupByKey({ readings, names }).apply(
    "Format",
    map(({ key, value }: KV<number, { readings: Reading[]; names: string[] }>) => {
      if (!value.readings.every((r) => r instanceof Reading && r.sensor === `s${key}`)) throw new Error(`key ${key}: not Readings of s${key}`);
      return `${value.names.join()}=${value.readings.reduce((a, r) => a + r.value, 0)}`;
    }),
  );
  const expected = new Map<number, number>();
  for (const i of range(N)) expected.set(i % KEYS, (expected.get(i % KEYS) ?? 0) + i);
  assertThat(joined).containsInAnyOrder([...expected].map(([k, v]) => `sensor ${k}=${v}`));
}

/** Keeps this thread busy for `ms` milliseconds (a slow element). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A source whose every element takes 40 ms: its pieces are worth sharing. */
function slowSource(p: Pipeline): void {
  const out = p
    .apply("Numbers", generateSequence({ from: 0, to: SLOW_ELEMENTS }))
    .apply(
      "Slow",
      map((i: number) => {
        busy(40);
        return i;
      }),
    )
    .apply("SeenBySource", threadsOf("source"));
  assertThat(out).containsInAnyOrder(range(SLOW_ELEMENTS));
}

/** Elements of `slowSource`: 2.6 s of work in all. */
const SLOW_ELEMENTS = 64;

/** A fast source with a grouped sum after it (every element once, whoever read it). */
function fastSource(p: Pipeline): void {
  const total = p
    .apply("Numbers", generateSequence({ from: 0, to: N }))
    .apply("SeenBySource", threadsOf("source"))
    .apply("Total", combineGlobally(sum()));
  assertThat(total).containsInAnyOrder([(N * (N - 1)) / 2]);
}

/** A DoFn that fails on one element, whichever thread sees it. */
function failing(p: Pipeline): void {
  p.apply("Numbers", generateSequence({ from: 0, to: 1_000 })).apply(
    "Explode",
    map((i: number) => {
      if (i === 777) throw new Error("element 777 is not welcome");
      return i;
    }),
  );
}

/** A pipeline whose assertion is wrong: the failing assertion must fail the job. */
function wrongAssertion(p: Pipeline): void {
  const out = p.apply("Numbers", generateSequence({ from: 0, to: 100 })).apply("Key", map((i: number) => kv("all", i))).apply("Group", groupByKey<string, number>());
  assertThat(out.apply("Size", map((g: KV<string, Iterable<number>>) => [...g.value].length))).containsInAnyOrder([99]);
}

/**
 * DoFns that read `import.meta.url` in whichever thread runs them: every thread must see
 * this file's URL, not one inside the worker threads' bundle.
 */
function importMetaUrl(p: Pipeline): void {
  const urls = p
    .apply("Numbers", generateSequence({ from: 0, to: SLOW_ELEMENTS }))
    .apply(
      "Url",
      map((i: number) => {
        busy(20);
        return `${i % 2}:${import.meta.url}`;
      }),
    )
    .apply("SeenBySource", threadsOf("source"))
    .apply("Count", countPerElement());
  assertThat(urls).containsInAnyOrder([kv(`0:${import.meta.url}`, SLOW_ELEMENTS / 2), kv(`1:${import.meta.url}`, SLOW_ELEMENTS / 2)]);
}

export const FIXTURES: Readonly<Record<string, (p: Pipeline) => void>> = {
  importMetaUrl,
  groupAndSum,
  combineWithSideInput,
  statefulWindows,
  reshuffled,
  joinReadings,
  processingTimeTrigger,
  failing,
  wrongAssertion,
  slowSource,
  fastSource,
};
