import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pipeline, TestStream, assertThat, flattenAll, kv, map, reifyPanes, type KV } from "../../src/index.js";
import { AfterMatchSkipStrategy, Nfa, begin, detectPattern, emptyNfaState, type Contiguity, type Pattern } from "../../src/cep/index.js";
import { bruteForceMatches, type RefEvent } from "./brute-force-matcher.js";

const LETTERS = ["a", "b", "c"] as const;

/** A stage as the generator describes it; turned into builder calls by `build`. */
interface StageGen {
  readonly letters: readonly string[];
  readonly contiguity: Contiguity;
  readonly quantifier: "single" | "oneOrMore" | "times" | "timesRange";
  readonly n: number;
  readonly optional: boolean;
  readonly inner: Contiguity;
  readonly greedy: boolean;
  readonly until: string | undefined;
}

const contiguity = fc.constantFrom<Contiguity>("strict", "relaxed", "nonDeterministicRelaxed");
const stageGen: fc.Arbitrary<StageGen> = fc.record({
  letters: fc.subarray([...LETTERS], { minLength: 1 }),
  contiguity,
  quantifier: fc.constantFrom("single", "single", "oneOrMore", "times", "timesRange"),
  n: fc.integer({ min: 1, max: 2 }),
  optional: fc.boolean(),
  inner: contiguity,
  greedy: fc.boolean(),
  until: fc.option(fc.constantFrom(...LETTERS), { nil: undefined }),
});
const patternGen = fc.record({
  stages: fc.array(stageGen, { minLength: 1, maxLength: 3 }),
  within: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
});

function build(gen: { stages: readonly StageGen[]; within: number | undefined }): Pattern<string> {
  let p: Pattern<string> | undefined;
  gen.stages.forEach((s, i) => {
    const name = `s${i}`;
    if (p === undefined) p = begin<string>(name);
    else p = s.contiguity === "strict" ? p.next(name) : s.contiguity === "relaxed" ? p.followedBy(name) : p.followedByAny(name);
    p = p.where((e) => s.letters.includes(e[0]!));
    const looping = s.quantifier !== "single";
    if (s.quantifier === "oneOrMore") p = p.oneOrMore();
    if (s.quantifier === "times") p = p.times(s.n);
    if (s.quantifier === "timesRange") p = p.times(s.n, s.n + 1);
    if (s.optional) p = p.optional();
    if (looping && s.inner === "strict") p = p.consecutive();
    if (looping && s.inner === "nonDeterministicRelaxed") p = p.allowCombinations();
    if (looping && s.greedy && i < gen.stages.length - 1) p = p.greedy();
    if (s.quantifier === "oneOrMore" && s.until !== undefined) {
      const u = s.until;
      p = p.until((e) => e[0] === u);
    }
  });
  return gen.within === undefined ? p! : p!.within(gen.within);
}

/** Events named by letter and position (a0, b1, ...), at non-decreasing timestamps. */
const streamGen = fc.array(fc.tuple(fc.constantFrom(...LETTERS), fc.integer({ min: 0, max: 2 })), { maxLength: 9 }).map((xs) => {
  let t = 0;
  return xs.map(([l, dt], i): RefEvent<string> => ({ value: `${l}${i}`, timestamp: (t += dt) }));
});

const canonical = (m: { match: Readonly<Record<string, readonly string[]>>; timestamp: number }) => `${JSON.stringify(m.match)}@${m.timestamp}`;
const asSet = (ms: { match: Readonly<Record<string, readonly string[]>>; timestamp: number }[]) => [...new Set(ms.map(canonical))].sort();

describe("the NFA agrees with a brute-force matcher", () => {
  it("finds exactly the brute-force matches (as a set) for random patterns and event streams", () => {
    fc.assert(
      fc.property(patternGen, streamGen, (gen, events) => {
        const pattern = build(gen);
        const nfa = new Nfa(pattern, AfterMatchSkipStrategy.noSkip());
        const state = emptyNfaState<string>();
        const found = events.flatMap((e) => nfa.process(state, e.value, e.timestamp).matches);
        expect(asSet(found)).toEqual(asSet(bruteForceMatches(pattern, events)));
      }),
      { numRuns: 600 },
    );
  });
});

describe("skip strategies only prune, in the order of first events", () => {
  const indices = (m: Readonly<Record<string, readonly string[]>>) => Object.values(m).flat().map((v) => Number(v.slice(1)));
  it("emits a subset of noSkip's matches, by first event; skipPastLastEvent's never overlap, skipToNext's never share a first event", () => {
    fc.assert(
      fc.property(patternGen, streamGen, fc.constantFrom("skipPastLastEvent", "skipToNext"), (gen, events, kind) => {
        const pattern = build(gen);
        const all = (skip: AfterMatchSkipStrategy) => {
          const nfa = new Nfa(pattern, skip);
          const state = emptyNfaState<string>();
          const found = events.flatMap((e) => nfa.process(state, e.value, e.timestamp).matches);
          return [...found, ...nfa.advanceTime(state, Infinity).matches];
        };
        const skipped = all(kind === "skipToNext" ? AfterMatchSkipStrategy.skipToNext() : AfterMatchSkipStrategy.skipPastLastEvent());
        const noSkip = new Set(all(AfterMatchSkipStrategy.noSkip()).map(canonical));
        for (const m of skipped) expect(noSkip.has(canonical(m))).toBe(true);
        const spans = skipped.map((m) => indices(m.match)).map((ix) => [Math.min(...ix), Math.max(...ix)] as const);
        for (let k = 1; k < spans.length; k++) {
          expect(spans[k]![0]).toBeGreaterThanOrEqual(spans[k - 1]![0]);
          if (kind === "skipPastLastEvent") expect(spans[k]![0]).toBeGreaterThan(spans[k - 1]![1]);
          else expect(spans[k]![0]).not.toBe(spans[k - 1]![0]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("detectPattern agrees with the brute-force matcher on out-of-order keyed input", () => {
  it("matches the brute force over every event that was not late, and sends only events behind the watermark to late", async () => {
    const keyedStream = fc
      .array(fc.tuple(fc.constantFrom("k1", "k2"), fc.constantFrom(...LETTERS), fc.integer({ min: 0, max: 6 })), { minLength: 1, maxLength: 10 })
      .chain((xs) =>
        fc.tuple(
          fc.constant(xs.map(([key, l, ts], i) => ({ key, value: `${l}${i}`, timestamp: ts * 1000 }))),
          // Arrival order and where the watermark advances (after which arrival, to what time).
          fc.shuffledSubarray(
            xs.map((_, i) => i),
            { minLength: xs.length, maxLength: xs.length },
          ),
          fc.array(fc.tuple(fc.integer({ min: 0, max: xs.length - 1 }), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
        ),
      );
    // The generated runs must exercise what the property is about: out-of-order arrivals and late events.
    let runsWithLate = 0;
    let runsOutOfOrder = 0;
    await fc.assert(
      fc.asyncProperty(patternGen, keyedStream, async (gen, [events, order, marks]) => {
        const pattern = build(gen);
        // Watermark after arrival k: the largest mark at or before k (it never goes back).
        let script = TestStream.create<KV<string, string>>();
        let wm = -1;
        const watermarkBefore: number[] = [];
        order.forEach((idx, k) => {
          const e = events[idx]!;
          watermarkBefore.push(wm);
          script = script.addElements({ value: kv(e.key, e.value), timestamp: e.timestamp });
          const to = Math.max(wm, ...marks.filter(([at]) => at === k).map(([, t]) => t * 1000));
          if (to > wm) {
            script = script.advanceWatermarkTo(to);
            wm = to;
          }
        });
        const p = new Pipeline({ runner: "embedded" });
        const out = p.apply(script.advanceWatermarkToInfinity()).apply(detectPattern<string, string>(pattern));
        const matches = out.main.apply(reifyPanes()).apply(
          "ShowMatch",
          map((r) => `M|${r.value.key}|${JSON.stringify(r.value.value)}@${r.timestamp}`),
        );
        const late = out.late.apply("ShowLate", map((e: KV<string, string>) => `L|${e.key}|${e.value}`));
        let seen: readonly string[] = [];
        assertThat(flattenAll([matches, late])).satisfies((actual) => {
          seen = actual;
        });
        await p.run().waitUntilFinish();
        const lateValues = new Set(seen.filter((s) => s.startsWith("L|")).map((s) => s.split("|")[2]!));
        if (lateValues.size > 0) runsWithLate++;
        if (order.some((idx, k) => k > 0 && events[idx]!.timestamp < events[order[k - 1]!]!.timestamp)) runsOutOfOrder++;
        // Every late event arrived behind the watermark.
        for (const v of lateValues) {
          const k = order.findIndex((idx) => events[idx]!.value === v);
          expect(events[order[k]!]!.timestamp).toBeLessThan(watermarkBefore[k]!);
        }
        const expected: string[] = [];
        for (const key of ["k1", "k2"]) {
          const accepted = order
            .map((idx, arrival) => ({ ...events[idx]!, arrival }))
            .filter((e) => e.key === key && !lateValues.has(e.value))
            .sort((a, b) => a.timestamp - b.timestamp || a.arrival - b.arrival);
          for (const m of bruteForceMatches(pattern, accepted)) expected.push(`M|${key}|${JSON.stringify(m.match)}@${m.timestamp}`);
        }
        const actualMatches = [...new Set(seen.filter((s) => s.startsWith("M|")))].sort();
        expect(actualMatches).toEqual([...new Set(expected)].sort());
      }),
      { numRuns: 40 },
    );
    expect(runsWithLate).toBeGreaterThan(0);
    expect(runsOutOfOrder).toBeGreaterThan(0);
  }, 120_000);
});
