import { describe, expect, it } from "vitest";
import { ConstructionError } from "../model/index.js";
import { begin, validatePattern } from "./pattern.js";

describe("the pattern builder", () => {
  it("returns new patterns and leaves the one it was called on unchanged", () => {
    const a = begin<number>("a");
    const ab = a.followedBy("b").where((n) => n > 1).oneOrMore();
    expect(a.stages.map((s) => s.name)).toEqual(["a"]);
    expect(ab.stages[1]).toMatchObject({ name: "b", contiguity: "relaxed", min: 1, max: Infinity, inner: "relaxed" });
  });

  it("records quantifiers and contiguity as Flink defines them", () => {
    const p = begin<number>("a")
      .times(2, 4)
      .optional()
      .greedy()
      .next("b")
      .timesOrMore(3)
      .consecutive()
      .followedByAny("c")
      .oneOrMore()
      .allowCombinations()
      .within(5_000);
    expect(p.stages.map((s) => [s.contiguity, s.min, s.max, s.inner, s.greedy])).toEqual([
      ["relaxed", 0, 4, "relaxed", true],
      ["strict", 3, Infinity, "strict", false],
      ["nonDeterministicRelaxed", 1, Infinity, "nonDeterministicRelaxed", false],
    ]);
    expect(p.windowTime).toBe(5_000);
  });

  it("ANDs where() and ORs or() conditions", () => {
    const ctx = { eventsFor: () => [], timestamp: 0 };
    const c = begin<number>("a").where((n) => n > 0).where((n) => n < 10).or((n) => n === 100).stages[0]!.condition;
    expect([5, 11, -1, 100].map((n) => c(n, ctx))).toEqual([true, false, false, true]);
  });

  it("refuses what Flink CEP refuses, naming the stage and the fix", () => {
    expect(() => begin<number>("a").followedBy("a")).toThrow(/"a" is used twice/);
    expect(() => begin<number>("a").oneOrMore().times(2)).toThrow(/already applied/);
    expect(() => begin<number>("a").consecutive()).toThrow(/apply the quantifier first/);
    expect(() => begin<number>("a").times(2).until(() => true)).toThrow(/oneOrMore\(\)\/timesOrMore\(\)/);
    expect(() => begin<number>("a").optional().notNext("b")).toThrow(/cannot follow the optional stage "a"/);
    expect(() => begin<number>("a").notNext("b").oneOrMore()).toThrow(ConstructionError);
    expect(() => begin<number>("a").within(0)).toThrow(/positive/);
    expect(() => validatePattern(begin<number>("a").notFollowedBy("b"), "Detect")).toThrow(/ends with notFollowedBy\("b"\)/);
    expect(() => validatePattern(begin<number>("a").followedBy("b").oneOrMore().greedy(), "Detect")).toThrow(/greedy\(\) is not supported on the last stage/);
  });
});
