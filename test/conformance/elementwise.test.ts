import { describe, expect, it } from "vitest";
import {
  assertThat,
  create,
  filter,
  flatMap,
  flattenAll,
  keys,
  kv,
  kvSwap,
  map,
  parDo,
  partition,
  reshuffle,
  values,
  withKeys,
  withTimestamps,
  createTimestamped,
  timestamped,
  windowInto,
  fixedWindows,
  IntervalWindow,
  type KV,
} from "../../src/index.js";
import { BATCH_RUNNERS, runOn, isStarted } from "./runners.js";

for (const runner of BATCH_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`element-wise transforms on ${runner.name}`, () => {
    it("maps every element once", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(create([1, 2, 3])).apply(map((x: number) => x * 10));
        assertThat(out).containsInAnyOrder([10, 20, 30]);
      });
    });

    it("flatMaps to zero or more outputs per element", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(create(["a b", "", "c"])).apply(flatMap((s: string) => s.split(" ").filter(Boolean)));
        assertThat(out).containsInAnyOrder(["a", "b", "c"]);
      });
    });

    it("filters with a predicate and narrows with a type guard", async () => {
      await runOn(runner, (p) => {
        const mixed = p.apply(create<string | number>([1, "x", 2, "y"]));
        const strings = mixed.apply(filter((v: string | number): v is string => typeof v === "string"));
        const upper = strings.apply(map((s: string) => s.toUpperCase()));
        assertThat(upper).containsInAnyOrder(["X", "Y"]);
      });
    });

    it("awaits async map functions", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(create([1, 2, 3, 4, 5]))
          .apply(map(async (x: number) => {
            await new Promise((r) => setTimeout(r, 1));
            return x + 1;
          }));
        assertThat(out).containsInAnyOrder([2, 3, 4, 5, 6]);
      });
    });

    it("drains async iterables returned by flatMap", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(create([2, 3])).apply(
          flatMap(async function* (n: number) {
            for (let i = 0; i < n; i++) yield `${n}:${i}`;
          }),
        );
        assertThat(out).containsInAnyOrder(["2:0", "2:1", "3:0", "3:1", "3:2"]);
      });
    });

    it("keeps at most maxConcurrency async calls in flight per bundle", async () => {
      let inFlight = 0;
      let peak = 0;
      await runOn(
        runner,
        (p) => {
          const out = p.apply(create(Array.from({ length: 40 }, (_, i) => i))).apply(
            map(
              async (x: number) => {
                inFlight++;
                peak = Math.max(peak, inFlight);
                await new Promise((r) => setTimeout(r, 2));
                inFlight--;
                return x;
              },
              { maxConcurrency: 3 },
            ),
          );
          assertThat(out).satisfies((xs) => xs.length === 40);
        },
      );
      expect(peak).toBeGreaterThan(1);
      expect(peak).toBeLessThanOrEqual(3);
    });

    it("emits tagged outputs to their own PCollections", async () => {
      await runOn(runner, (p) => {
        const { main, odd, big } = p.apply(create([1, 2, 3, 40])).apply(
          parDo<number, number, { odd: string; big: number }>(
            {
              process(x, ctx) {
                if (x % 2 === 1) ctx.outputTo("odd", `odd:${x}`);
                else ctx.output(x);
                if (x > 10) ctx.outputTo("big", x);
              },
            },
            { outputs: ["odd", "big"] },
          ),
        );
        assertThat(main, "Main").containsInAnyOrder([2, 40]);
        assertThat(odd, "Odd").containsInAnyOrder(["odd:1", "odd:3"]);
        assertThat(big, "Big").containsInAnyOrder([40]);
      });
    });

    it("flattens several PCollections into one, keeping duplicates", async () => {
      await runOn(runner, (p) => {
        const a = p.apply("A", create([1, 2]));
        const b = p.apply("B", create([2, 3]));
        assertThat(flattenAll([a, b, a])).containsInAnyOrder([1, 2, 1, 2, 2, 3]);
      });
    });

    it("partitions elements by the index the function returns", async () => {
      await runOn(runner, (p) => {
        const parts = p.apply(create([1, 5, 10, 50, 100])).apply(partition(3, (x: number) => (x < 10 ? 0 : x < 100 ? 1 : 2)));
        assertThat(parts[0]!, "Small").containsInAnyOrder([1, 5]);
        assertThat(parts[1]!, "Medium").containsInAnyOrder([10, 50]);
        assertThat(parts[2]!, "Large").containsInAnyOrder([100]);
      });
    });

    it("fails the job when a partition function returns an index out of range", async () => {
      await expect(
        runOn(runner, (p) => {
          p.apply(create([7])).apply(partition(2, () => 5));
        }),
      ).rejects.toThrow(/returned 5 for 7.*\[0, 2\)/);
    });

    it("extracts keys and values, adds keys and swaps them", async () => {
      await runOn(runner, (p) => {
        const kvs = p.apply(create([kv("a", 1), kv("b", 2)]));
        assertThat(kvs.apply(keys<string, number>()), "Keys").containsInAnyOrder(["a", "b"]);
        assertThat(kvs.apply(values<string, number>()), "Values").containsInAnyOrder([1, 2]);
        assertThat(kvs.apply(kvSwap<string, number>()), "Swapped").containsInAnyOrder([kv(1, "a"), kv(2, "b")]);
        const keyed = p.apply("Words", create(["apple", "avocado", "banana"])).apply(withKeys((w: string) => w[0]));
        assertThat(keyed, "Keyed").containsInAnyOrder([kv("a", "apple"), kv("a", "avocado"), kv("b", "banana")]);
        const constant = p.apply("More", create([1])).apply(withKeys<number, string>({ constant: "k" }));
        assertThat(constant, "Constant").containsInAnyOrder([kv("k", 1)]);
      });
    });

    it("reshuffles without changing elements, timestamps or windows", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(create([1_000, 61_000, 62_000]))
          .apply(withTimestamps((t: number) => t))
          .apply(windowInto(fixedWindows(60_000)))
          .apply(reshuffle<number>())
          .apply(map((x: number, ctx) => `${x}@${ctx.timestamp}`));
        assertThat(out, "All").containsInAnyOrder(["1000@1000", "61000@61000", "62000@62000"]);
        assertThat(out, "SecondMinute").inWindow(new IntervalWindow(60_000, 120_000)).containsInAnyOrder(["61000@61000", "62000@62000"]);
      });
    });

    it("creates timestamped values, each in the window of its own timestamp (Create.timestamped)", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(createTimestamped([timestamped("a", 1_000), { value: "b", timestamp: 61_000 }, timestamped("c", 62_000)]))
          .apply(windowInto(fixedWindows(60_000)))
          .apply(map((x: string, ctx) => `${x}@${ctx.timestamp}`));
        assertThat(out, "All").containsInAnyOrder(["a@1000", "b@61000", "c@62000"]);
        assertThat(out, "SecondMinute").inWindow(new IntervalWindow(60_000, 120_000)).containsInAnyOrder(["b@61000", "c@62000"]);
      });
    });

    it("outputs a map's or flatMap's timestamped(value, t) at event time t, and a plain { value, timestamp } object as it is", async () => {
      await runOn(runner, (p) => {
        const stamped = p.apply("Numbers", create([1, 2])).apply("Stamp", map((x: number) => timestamped(x * 10, x * 1_000)));
        assertThat(stamped.apply("ShowStamped", map((x: number, ctx) => `${x}@${ctx.timestamp}`)), "Map").containsInAnyOrder(["10@1000", "20@2000"]);
        const many = p.apply("Letters", create(["ab"])).apply("Spread", flatMap((s: string) => [...s].map((c, i) => timestamped(c, 5_000 + i))));
        assertThat(many.apply("ShowMany", map((c: string, ctx) => `${c}@${ctx.timestamp}`)), "FlatMap").containsInAnyOrder(["a@5000", "b@5001"]);
        const plain = p.apply("Plain", create([3])).apply("Object", map((x: number) => ({ value: x, timestamp: 9 })));
        assertThat(plain, "PlainObject").containsInAnyOrder([{ value: 3, timestamp: 9 }]);
      });
    });

    it("sets event timestamps from elements, as milliseconds or Dates", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(create<KV<string, number | Date>>([kv("ms", 5), kv("date", new Date(7))]))
          .apply(withTimestamps((e: KV<string, number | Date>) => e.value))
          .apply(map((e: KV<string, number | Date>, ctx) => `${e.key}@${ctx.timestamp}`));
        assertThat(out).containsInAnyOrder(["ms@5", "date@7"]);
      });
    });
  });
}
