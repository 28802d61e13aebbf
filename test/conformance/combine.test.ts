import { describe, expect, it } from "vitest";
import {
  assertThat,
  combineGlobally,
  combineGroupedValues,
  combinePerKey,
  count,
  countPerElement,
  create,
  distinct,
  fixedWindows,
  groupByKey,
  IntervalWindow,
  kv,
  largest,
  latestGlobally,
  latestPerKey,
  map,
  max,
  mean,
  min,
  sampleGlobally,
  samplePerKey,
  smallest,
  sum,
  toList,
  toSet,
  top,
  windowInto,
  withTimestamps,
  Pipeline,
  ConstructionError,
  type CombineFn,
  type KV,
  type PCollection,
} from "../../src/index.js";
import { BATCH_RUNNERS, runOn, isStarted } from "./runners.js";

const sales = [kv("eu", 10), kv("us", 5), kv("eu", 7), kv("us", 1), kv("asia", 2)];

for (const runner of BATCH_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`Combine on ${runner.name}`, () => {
    it("combines per key with a CombineFn", async () => {
      await runOn(runner, (p) => {
        assertThat(p.apply(create(sales)).apply(combinePerKey(sum()))).containsInAnyOrder([kv("eu", 17), kv("us", 6), kv("asia", 2)]);
      });
    });

    it("combines per key with a plain binary function", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(create(sales)).apply(combinePerKey((a: number, b: number) => Math.max(a, b)));
        assertThat(out).containsInAnyOrder([kv("eu", 10), kv("us", 5), kv("asia", 2)]);
      });
    });

    it("gives the same result with hot-key fanout", async () => {
      await runOn(runner, (p) => {
        const many = Array.from({ length: 200 }, (_, i) => kv(i % 10 === 0 ? "cold" : "hot", i));
        const out = p.apply(create(many)).apply(combinePerKey(sum(), { hotKeyFanout: 8 }));
        const hot = many.filter((e) => e.key === "hot").reduce((a, e) => a + e.value, 0);
        const cold = many.filter((e) => e.key === "cold").reduce((a, e) => a + e.value, 0);
        assertThat(out).containsInAnyOrder([kv("hot", hot), kv("cold", cold)]);
      });
    });

    it("combines grouped values", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(create(sales)).apply(groupByKey<string, number>()).apply(combineGroupedValues(count()));
        assertThat(out).containsInAnyOrder([kv("eu", 2), kv("us", 2), kv("asia", 1)]);
      });
    });

    it("combines globally and emits the empty result for an empty input", async () => {
      await runOn(runner, (p) => {
        assertThat(p.apply("Nums", create([1, 2, 3, 4])).apply("Sum", combineGlobally(sum())), "Total").equals(10);
        assertThat(p.apply("None", create<number>([])).apply("SumNone", combineGlobally(sum())), "Default").equals(0);
        assertThat(p.apply("None2", create<number>([])).apply("NoDefault", combineGlobally(sum(), { withoutDefaults: true })), "Empty").isEmpty();
      });
    });

    it("emits Beam's default for an empty input in the global window from every globally-combining transform", async () => {
      await runOn(runner, (p) => {
        const empty = p.apply("Empty", create<number>([]));
        const one = <T>(name: string, pc: PCollection<T>, check: (x: T) => boolean) =>
          assertThat(pc, name).satisfies((xs) => xs.length === 1 && check(xs[0] as T));
        one("Count", empty.apply("Count", combineGlobally(count())), (x) => x === 0);
        one("Mean", empty.apply("Mean", combineGlobally(mean())), (x) => Number.isNaN(x));
        one("Min", empty.apply("Min", combineGlobally(min<number>())), (x) => x === undefined);
        one("Max", empty.apply("Max", combineGlobally(max<number>())), (x) => x === undefined);
        one("Top", empty.apply("Top", combineGlobally(top(2, (a: number, b: number) => a - b))), (x) => x.length === 0);
        one("Largest", empty.apply("Largest", combineGlobally(largest(2))), (x) => x.length === 0);
        one("ToList", empty.apply("ToList", combineGlobally(toList<number>())), (x) => x.length === 0);
        one("ToSet", empty.apply("ToSet", combineGlobally(toSet<number>())), (x) => x.size === 0);
        // A binary function's result for no input is Java's BinaryCombineFn.identity(): null.
        one("Binary", empty.apply("Binary", combineGlobally((a: number, b: number) => a + b)), (x) => x === undefined);
        one("SampleGlobally", empty.apply("SampleGlobally", sampleGlobally<number>(3)), (x) => x.length === 0);
        // Beam Java's Latest.globally() gives null, Python's Latest.Globally None.
        one("LatestGlobally", empty.apply("LatestGlobally", latestGlobally<number>()), (x) => x === undefined);
        assertThat(empty.apply("LatestWithoutDefaults", latestGlobally<number>({ withoutDefaults: true })), "LatestWithoutDefaults").isEmpty();
        assertThat(empty.apply("SampleWithoutDefaults", sampleGlobally<number>(3, { withoutDefaults: true })), "SampleWithoutDefaults").isEmpty();
      });
    });

    it("emits nothing for an empty window with withoutDefaults, from the derived global combines too", async () => {
      await runOn(runner, (p) => {
        const windowed = p
          .apply(create([1_000, 2_000, 130_000]))
          .apply(withTimestamps((t: number) => t))
          .apply(windowInto(fixedWindows(60_000)));
        const latest = windowed.apply("Latest", latestGlobally<number>({ withoutDefaults: true }));
        assertThat(latest, "Latest").containsInAnyOrder([2_000, 130_000]);
        const sampled = windowed.apply("Sample", sampleGlobally<number>(5, { withoutDefaults: true })).apply(map((xs: number[]) => xs.length));
        assertThat(sampled, "Sample").containsInAnyOrder([2, 1]);
        const summed = windowed.apply("Binary", combineGlobally((a: number, b: number) => a + b, { withoutDefaults: true }));
        assertThat(summed, "Binary").containsInAnyOrder([3_000, 130_000]);
      });
    });

    it("combines globally per window with withoutDefaults", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(create([1_000, 2_000, 70_000]))
          .apply(withTimestamps((t: number) => t))
          .apply(windowInto(fixedWindows(60_000)))
          .apply(map(() => 1))
          .apply(combineGlobally(count(), { withoutDefaults: true }));
        assertThat(out, "First").inWindow(new IntervalWindow(0, 60_000)).equals(2);
        assertThat(out, "Second").inWindow(new IntervalWindow(60_000, 120_000)).equals(1);
      });
    });

    it("computes the built-in combiners", async () => {
      await runOn(runner, (p) => {
        const nums = p.apply(create([4, 1, 3, 9, 7]));
        assertThat(nums.apply("Sum", combineGlobally(sum())), "Sum").equals(24);
        assertThat(nums.apply("Count", combineGlobally(count())), "Count").equals(5);
        assertThat(nums.apply("Mean", combineGlobally(mean())), "Mean").equals(4.8);
        assertThat(nums.apply("Min", combineGlobally(min<number>())), "Min").equals(1);
        assertThat(nums.apply("Max", combineGlobally(max<number>())), "Max").equals(9);
        assertThat(nums.apply("Largest", combineGlobally(largest(2))), "Largest").equals([9, 7]);
        assertThat(nums.apply("Smallest", combineGlobally(smallest(2))), "Smallest").equals([1, 3]);
        assertThat(nums.apply("Top", combineGlobally(top(3, (a: number, b: number) => (a % 7) - (b % 7)))), "Top").equals([4, 3, 9]);
        assertThat(nums.apply("ToList", combineGlobally(toList<number>())).apply(map((xs: number[]) => [...xs].sort())), "ToList").equals([1, 3, 4, 7, 9]);
        assertThat(p.apply("Dupes", create(["a", "b", "a"])).apply("ToSet", combineGlobally(toSet<string>())).apply(map((s: Set<string>) => [...s].sort())), "ToSet").equals(["a", "b"]);
        assertThat(p.apply("Empty", create<number>([])).apply("MeanEmpty", combineGlobally(mean())), "MeanOfEmpty").satisfies((xs) => xs.length === 1 && Number.isNaN(xs[0]));
      });
    });

    it("counts each distinct element and removes duplicates", async () => {
      await runOn(runner, (p) => {
        const words = p.apply(create(["to", "be", "or", "not", "to", "be"]));
        assertThat(words.apply(countPerElement<string>()), "Counts").containsInAnyOrder([kv("to", 2), kv("be", 2), kv("or", 1), kv("not", 1)]);
        assertThat(words.apply(distinct<string>()), "Distinct").containsInAnyOrder(["to", "be", "or", "not"]);
      });
    });

    it("samples a fixed number of elements globally and per key", async () => {
      await runOn(runner, (p) => {
        const nums = Array.from({ length: 100 }, (_, i) => i);
        const s = p.apply(create(nums)).apply(sampleGlobally<number>(5));
        assertThat(s, "Global").satisfies(([sample]) => sample!.length === 5 && new Set(sample).size === 5 && sample!.every((x) => nums.includes(x)));
        const small = p.apply("Small", create([kv("a", 1), kv("a", 2), kv("b", 3)])).apply(samplePerKey<string, number>(5));
        assertThat(small.apply(map((e: KV<string, number[]>) => kv(e.key, [...e.value].sort()))), "PerKey").containsInAnyOrder([kv("a", [1, 2]), kv("b", [3])]);
      });
    });

    it("picks the latest element by event timestamp", async () => {
      await runOn(runner, (p) => {
        const events = p.apply(create([kv("a", 5), kv("a", 9), kv("b", 1), kv("a", 2)])).apply(withTimestamps((e: KV<string, number>) => e.value));
        assertThat(events.apply(latestGlobally<KV<string, number>>()), "Global").equals(kv("a", 9));
        assertThat(events.apply(latestPerKey<string, number>()), "PerKey").containsInAnyOrder([kv("a", 9), kv("b", 1)]);
      });
    });

    it("calls compact and merges accumulators across bundles", async () => {
      const meanFn: CombineFn<number, { s: number; n: number }, number> = {
        createAccumulator: () => ({ s: 0, n: 0 }),
        addInput: (a, x) => ({ s: a.s + x, n: a.n + 1 }),
        mergeAccumulators: (accs) => [...accs].reduce((a, b) => ({ s: a.s + b.s, n: a.n + b.n }), { s: 0, n: 0 }),
        compact: (a) => ({ s: a.s, n: a.n }),
        extractOutput: (a) => a.s / a.n,
      };
      await runOn(runner, (p) => {
        const out = p.apply(create(Array.from({ length: 10 }, (_, i) => kv("k", i)))).apply(combinePerKey(meanFn));
        assertThat(out).containsInAnyOrder([kv("k", 4.5)]);
      });
    });
  });
}

describe("Combine construction", () => {
  it("rejects combineGlobally with defaults on a non-global window", () => {
    const p = new Pipeline();
    const windowed = p.apply(create([1])).apply(windowInto(fixedWindows(1000)));
    expect(() => windowed.apply(combineGlobally(sum()))).toThrow(/withoutDefaults/);
  });

  it("rejects defaults on a non-global window from every globally-combining transform, naming it and the fix", () => {
    const p = new Pipeline();
    const windowed = p.apply(create([1])).apply(windowInto(fixedWindows(1000)));
    const cases: Array<[string, () => unknown]> = [
      ["LatestGlobally", () => windowed.apply(latestGlobally<number>())],
      ["SampleGlobally(2)", () => windowed.apply(sampleGlobally<number>(2))],
      ["CombineGlobally(binary)", () => windowed.apply("CombineGlobally(binary)", combineGlobally((a: number, b: number) => a + b))],
      ["CombineGlobally(Count)", () => windowed.apply(combineGlobally(count()))],
    ];
    for (const [label, apply] of cases) {
      let error: unknown;
      try {
        apply();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConstructionError);
      expect((error as Error).message).toMatch(new RegExp(`In transform "${label.replace(/[()]/g, "\\$&")}[^"]*".*FixedWindows.*withoutDefaults: true`));
    }
    expect(() => windowed.apply("Allowed", latestGlobally<number>({ withoutDefaults: true }))).not.toThrow();
  });

  it("rejects a function combiner that does not take two arguments", () => {
    const p = new Pipeline();
    expect(() => p.apply(create([kv("a", 1)])).apply(combinePerKey(((xs: number) => xs) as never))).toThrow(/two values/);
  });
});
