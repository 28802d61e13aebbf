import { describe, it, expect } from "vitest";
import {
  asIterable,
  asList,
  asMap,
  asMultimap,
  asSingleton,
  assertThat,
  combineGlobally,
  create,
  fixedWindows,
  kv,
  map,
  parDo,
  sum,
  windowInto,
  withTimestamps,
  type KV,
} from "../../src/index.js";
import { BATCH_RUNNERS, runOn, isStarted } from "./runners.js";

for (const runner of BATCH_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`side inputs on ${runner.name}`, () => {
    it("reads a singleton side input computed by the same pipeline", async () => {
      await runOn(runner, (p) => {
        const nums = p.apply(create([1, 2, 3, 4]));
        const total = asSingleton(nums.apply(combineGlobally(sum())));
        const shares = nums.apply(map((x: number, ctx) => x / ctx.sideInput(total), { sideInputs: [total] }));
        assertThat(shares).containsInAnyOrder([0.1, 0.2, 0.3, 0.4]);
      });
    });

    it("reads a singleton's default when the side input is empty", async () => {
      await runOn(runner, (p) => {
        const threshold = asSingleton(p.apply("NoThreshold", create<number>([])), { defaultValue: 2 });
        const out = p.apply(create([1, 2, 3])).apply(
          parDo<number, number>({ process: (x, ctx) => void (x > ctx.sideInput(threshold) && ctx.output(x)) }, { sideInputs: [threshold] }),
        );
        assertThat(out).containsInAnyOrder([3]);
      });
    });

    it("fails clearly when a singleton side input has several elements", async () => {
      await expect(
        runOn(runner, (p) => {
          const bad = asSingleton(p.apply("Two", create([1, 2])));
          p.apply(create([0])).apply(map((x: number, ctx) => x + ctx.sideInput(bad), { sideInputs: [bad] }));
        }),
      ).rejects.toThrow(/singleton side input .* has 2 elements/);
    });

    it("reads iterable, list, map and multimap views", async () => {
      await runOn(runner, (p) => {
        const stop = p.apply("Stop", create(["a", "the"]));
        const prices = p.apply("Prices", create([kv("apple", 3), kv("pear", 5)]));
        const tags = p.apply("Tags", create([kv("apple", "red"), kv("apple", "sweet"), kv("pear", "green")]));
        const stopIt = asIterable(stop);
        const stopList = asList(stop);
        const priceMap = asMap(prices);
        const tagMap = asMultimap(tags);
        const out = p.apply(create(["the", "apple", "a", "pear", "kiwi"])).apply(
          parDo<string, string>(
            {
              process(w, ctx) {
                if ([...ctx.sideInput(stopIt)].includes(w)) return;
                if (ctx.sideInput(stopList).length !== 2) throw new Error("list view has the wrong size");
                const price = ctx.sideInput(priceMap).get(w) ?? 0;
                const t = [...(ctx.sideInput(tagMap).get(w) ?? [])].sort().join("+");
                ctx.output(`${w}:${price}:${t}`);
              },
            },
            { sideInputs: [stopIt, stopList, priceMap, tagMap] },
          ),
        );
        assertThat(out).containsInAnyOrder(["apple:3:red+sweet", "pear:5:green", "kiwi:0:"]);
      });
    });

    it("looks up map views by value-equal object keys", async () => {
      await runOn(runner, (p) => {
        const names = asMap(p.apply("Names", create([kv({ id: 1 }, "one"), kv({ id: 2 }, "two")])));
        const out = p.apply(create([2, 1])).apply(map((id: number, ctx) => ctx.sideInput(names).get({ id }), { sideInputs: [names] }));
        assertThat(out).containsInAnyOrder(["two", "one"]);
      });
    });

    // On Prism the windowInto is fused into the side-input ParDo's stage, so the element's
    // side window is only known inside the bundle (src/harness/side-input-pushback.ts).
    it("maps each main-input window to the matching side-input window", async () => {
      await runOn(runner, (p) => {
        const rates = p
          .apply("Rates", create([kv(0, 2), kv(60_000, 3)]))
          .apply("RateTimes", withTimestamps((e: KV<number, number>) => e.key))
          .apply("RateWindows", windowInto(fixedWindows(60_000)))
          .apply(map((e: KV<number, number>) => e.value));
        const rate = asSingleton(rates);
        const out = p
          .apply(create([10_000, 70_000, 80_000]))
          .apply(withTimestamps((t: number) => t))
          .apply(windowInto(fixedWindows(60_000)))
          .apply(map((t: number, ctx) => `${t}x${ctx.sideInput(rate)}`, { sideInputs: [rate] }));
        assertThat(out).containsInAnyOrder(["10000x2", "70000x3", "80000x3"]);
      });
    });

    it("fails with a clear error when a side input is read without being declared", async () => {
      await expect(
        runOn(runner, (p) => {
          const v = asIterable(p.apply("Side", create([1])));
          p.apply(create([1])).apply(map((x: number, ctx) => [...ctx.sideInput(v)].length + x));
        }),
      ).rejects.toThrow(/was not declared.*sideInputs/);
    });
  });
}
