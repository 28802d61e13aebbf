import { describe, expect, it } from "vitest";
import { AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
import { Nfa, emptyNfaState, type Match } from "./nfa.js";
import { begin, type Pattern } from "./pattern.js";

/** Runs a pattern over named events (one per ms) and returns the matches as "a1 b1" strings. */
function run(pattern: Pattern<string>, events: readonly string[], skip = AfterMatchSkipStrategy.noSkip(), end?: number): string[] {
  const nfa = new Nfa(pattern, skip);
  const state = emptyNfaState<string>();
  const out: string[] = [];
  const show = (m: Match<string>) => pattern.stages.flatMap((s) => m[s.name] ?? []).join(" ");
  events.forEach((e, t) => {
    for (const m of nfa.process(state, e, t).matches) out.push(show(m.match));
  });
  if (end !== undefined) for (const m of nfa.advanceTime(state, end).matches) out.push(show(m.match));
  return out;
}

const is = (letter: string) => (e: string) => e.startsWith(letter);

describe("contiguity (Flink's example: pattern \"a b\" over a, c, b1, b2)", () => {
  const input = ["a", "c", "b1", "b2"];
  it("strict contiguity (next) finds no match when another event is in between", () => {
    expect(run(begin<string>("a").where(is("a")).next("b").where(is("b")), input)).toEqual([]);
  });
  it("relaxed contiguity (followedBy) takes the first matching event: {a b1}", () => {
    expect(run(begin<string>("a").where(is("a")).followedBy("b").where(is("b")), input)).toEqual(["a b1"]);
  });
  it("non-deterministic relaxed contiguity (followedByAny) takes every matching event: {a b1}, {a b2}", () => {
    expect(run(begin<string>("a").where(is("a")).followedByAny("b").where(is("b")), input)).toEqual(["a b1", "a b2"]);
  });
});

describe("looping contiguity (Flink's example: c a+ b over C D A1 A2 A3 D A4 B)", () => {
  const input = ["c", "d", "a1", "a2", "a3", "d", "a4", "b"];
  const pattern = (f: (p: Pattern<string>) => Pattern<string>) =>
    f(begin<string>("start").where(is("c")).followedBy("middle").where(is("a")).oneOrMore()).followedBy("end").where(is("b"));
  it("consecutive() stops the loop at the first event in between", () => {
    expect(run(pattern((p) => p.consecutive()), input).sort()).toEqual(["c a1 a2 a3 b", "c a1 a2 b", "c a1 b"]);
  });
  it("relaxed inner contiguity (the default) skips non-matching events inside the loop", () => {
    expect(run(pattern((p) => p), input).sort()).toEqual(["c a1 a2 a3 a4 b", "c a1 a2 a3 b", "c a1 a2 b", "c a1 b"]);
  });
  it("allowCombinations() gives every combination of the loop's events", () => {
    expect(run(pattern((p) => p.allowCombinations()), input).sort()).toEqual(
      ["c a1 b", "c a1 a2 b", "c a1 a3 b", "c a1 a4 b", "c a1 a2 a3 b", "c a1 a2 a4 b", "c a1 a3 a4 b", "c a1 a2 a3 a4 b"].sort(),
    );
  });
});

describe("quantifiers", () => {
  it("times(2) takes exactly two events, relaxed in between", () => {
    expect(run(begin<string>("a").where(is("a")).times(2), ["a1", "x", "a2", "a3"])).toEqual(["a1 a2", "a2 a3"]);
  });
  it("times(2, 3) takes two or three events and emits each as soon as it completes", () => {
    expect(run(begin<string>("a").where(is("a")).times(2, 3), ["a1", "a2", "a3"])).toEqual(["a1 a2", "a1 a2 a3", "a2 a3"]);
  });
  it("optional() lets a stage take nothing: \"a b? c\" matches with and without b", () => {
    const p = begin<string>("a").where(is("a")).followedBy("b").where(is("b")).optional().followedBy("c").where(is("c"));
    // Relaxed contiguity lets c skip b (b does not meet c's condition), so {a c} matches too, as in Flink.
    expect(run(p, ["a", "b", "c"]).sort()).toEqual(["a b c", "a c"]);
    expect(run(p, ["a", "c"])).toEqual(["a c"]);
  });
  it("a trailing loop emits a match at each event it takes (Flink: a b+ over a b1 b2 b3)", () => {
    expect(run(begin<string>("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore(), ["a", "b1", "b2", "b3"])).toEqual([
      "a b1",
      "a b1 b2",
      "a b1 b2 b3",
    ]);
  });
  it("until() ends a loop at the first event meeting its condition", () => {
    const p = begin<string>("a").where(is("a")).oneOrMore().until(is("x")).followedBy("b").where(is("b"));
    expect(run(p, ["a1", "a2", "x", "a3", "b"]).sort()).toEqual(["a1 a2 b", "a1 b", "a2 b", "a3 b"]);
  });
  it("greedy() makes a loop take every matching event before the next stage may start", () => {
    const letters = (p: Pattern<string>) => p.followedBy("b").where((e) => e.startsWith("a") || e.startsWith("b"));
    const plain = letters(begin<string>("a").where(is("a")).oneOrMore());
    const greedy = letters(begin<string>("a").where(is("a")).oneOrMore().greedy());
    expect(run(plain, ["a1", "a2", "b"]).sort()).toEqual(["a1 a2", "a1 a2 b", "a2 b"]);
    expect(run(greedy, ["a1", "a2", "b"]).sort()).toEqual(["a1 a2 b", "a2 b"]);
  });
  it("conditions see the events taken so far (IterativeCondition): a rising sequence", () => {
    const p = begin<string>("low")
      .where(is("n"))
      .followedBy("high")
      .where((e, ctx) => e.startsWith("n") && ctx.eventsFor("low").every((l) => Number(e.slice(1)) > Number(l.slice(1))));
    expect(run(p, ["n5", "n3", "n7"]).sort()).toEqual(["n3 n7", "n5 n7"]);
  });
});

describe("negations", () => {
  it("notNext forbids the event right after the previous stage", () => {
    const p = begin<string>("a").where(is("a")).notNext("x").where(is("x")).followedBy("b").where(is("b"));
    expect(run(p, ["a", "x", "b"])).toEqual([]);
    expect(run(p, ["a", "y", "x", "b"])).toEqual(["a b"]);
  });
  it("notFollowedBy forbids the event anywhere between two stages", () => {
    const p = begin<string>("a").where(is("a")).notFollowedBy("x").where(is("x")).followedBy("b").where(is("b"));
    expect(run(p, ["a", "y", "x", "b"])).toEqual([]);
    expect(run(p, ["a", "y", "b"])).toEqual(["a b"]);
  });
  it("a trailing notNext completes the match on the next event that is not forbidden", () => {
    const p = begin<string>("a").where(is("a")).notNext("x").where(is("x"));
    expect(run(p, ["a1", "x", "a2", "y"])).toEqual(["a2"]);
  });
});

describe("within", () => {
  it("times a partial match out once its first event is within or more before the time", () => {
    const nfa = new Nfa(begin<string>("a").where(is("a")).followedBy("b").where(is("b")).within(10), AfterMatchSkipStrategy.noSkip());
    const state = emptyNfaState<string>();
    nfa.process(state, "a", 0);
    expect(nfa.nextTimeout(state)).toBe(10);
    const late = nfa.process(state, "b", 10);
    expect(late.matches).toEqual([]);
    expect(late.timeouts).toEqual([{ match: { a: ["a"] }, timeoutTimestamp: 10 }]);
    nfa.process(state, "a2", 20);
    expect(nfa.process(state, "b2", 29).matches).toEqual([{ match: { a: ["a2"], b: ["b2"] }, timestamp: 29 }]);
    expect(state.events.size).toBe(0);
  });
});

describe("after-match skip strategies (Flink's example: b+ c over b1 b2 b3 c)", () => {
  const pattern = begin<string>("b").where(is("b")).oneOrMore().next("c").where(is("c")).within(100);
  const input = ["b1", "b2", "b3", "c"];
  const cases: [string, AfterMatchSkipStrategy, string[]][] = [
    ["noSkip", AfterMatchSkipStrategy.noSkip(), ["b1 b2 b3 c", "b2 b3 c", "b3 c"]],
    ["skipToNext", AfterMatchSkipStrategy.skipToNext(), ["b1 b2 b3 c", "b2 b3 c", "b3 c"]],
    ["skipPastLastEvent", AfterMatchSkipStrategy.skipPastLastEvent(), ["b1 b2 b3 c"]],
    ["skipToFirst(b)", AfterMatchSkipStrategy.skipToFirst("b"), ["b1 b2 b3 c", "b2 b3 c", "b3 c"]],
    ["skipToLast(b)", AfterMatchSkipStrategy.skipToLast("b"), ["b1 b2 b3 c", "b3 c"]],
  ];
  for (const [name, skip, expected] of cases) {
    it(`${name} emits ${expected.map((m) => `{${m}}`).join(", ")}`, () => {
      expect(run(pattern, input, skip, 1_000)).toEqual(expected);
    });
  }
  it("skipToNext keeps only the first match of a trailing loop (Flink: a b+ over a b1 b2 b3)", () => {
    const p = begin<string>("a").where(is("a")).followedBy("b").where(is("b")).oneOrMore();
    expect(run(p, ["a", "b1", "b2", "b3"], AfterMatchSkipStrategy.skipToNext())).toEqual(["a b1"]);
  });
  it("skipToFirst differs from noSkip (Flink: (a|b|c) (b|c) c+.greedy d over a b c1 c2 c3 d)", () => {
    const p = begin<string>("x")
      .where((e) => /^[abc]/.test(e))
      .next("y")
      .where((e) => /^[bc]/.test(e))
      .next("c")
      .where(is("c"))
      .oneOrMore()
      .greedy()
      .next("d")
      .where(is("d"))
      .within(100);
    const input2 = ["a", "b", "c1", "c2", "c3", "d"];
    expect(run(p, input2, AfterMatchSkipStrategy.noSkip())).toEqual(["a b c1 c2 c3 d", "b c1 c2 c3 d", "c1 c2 c3 d"]);
    expect(run(p, input2, AfterMatchSkipStrategy.skipToFirst("c"), 1_000)).toEqual(["a b c1 c2 c3 d", "c1 c2 c3 d"]);
  });
});
