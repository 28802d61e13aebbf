// A pipeline written without type arguments: every transform takes its types from the
// PCollection it is applied to (test/types.check.ts pins the inferred types; this runs them).
import { describe, it } from "vitest";
import {
  Pipeline,
  assertThat,
  combineGlobally,
  combinePerKey,
  countPerElement,
  create,
  distinct,
  filter,
  groupByKey,
  kv,
  keys,
  kvSwap,
  map,
  max,
  toList,
  values,
} from "../src/index.js";

describe("type inference at apply", () => {
  it("runs a pipeline whose transforms are written without type arguments", async () => {
    const p = new Pipeline({ runner: "embedded" });
    const words = p.apply(create(["b", "a", "b", "c", "b", "a"]));
    const counts = words.apply(countPerElement());
    const byCount = counts
      .apply(kvSwap())
      .apply(groupByKey())
      .apply(map((e) => kv(e.key, [...e.value].sort())));
    assertThat(byCount, "ByCount").containsInAnyOrder([kv(3, ["b"]), kv(2, ["a"]), kv(1, ["c"])]);
    const total = counts.apply(values()).apply(combineGlobally((a, b) => a + b));
    assertThat(total, "Total").containsInAnyOrder([6]);
    const distinctWords = words
      .apply(distinct())
      .apply(combineGlobally(toList()))
      .apply(map((ws) => [...ws].sort().join("")));
    assertThat(distinctWords, "Distinct").containsInAnyOrder(["abc"]);
    const lastRepeated = counts
      .apply(filter((e) => e.value > 1))
      .apply(keys())
      .apply(combineGlobally(max()));
    assertThat(lastRepeated, "Max").containsInAnyOrder(["b"]);
    const perInitial = words.apply(map((w) => kv(w.toUpperCase(), w.length))).apply(combinePerKey((a, b) => a + b));
    assertThat(perInitial, "PerKey").containsInAnyOrder([kv("A", 2), kv("B", 3), kv("C", 1)]);
    await p.run().waitUntilFinish();
  });
});
