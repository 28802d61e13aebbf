import { describe, expect, it } from "vitest";
import { decodeFromBytes, encodeToBytes, jsValueCoder, stringUtf8Coder } from "../coders/index.js";
import { AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
import { matchCoder, nfaStateCoder, timedOutMatchCoder } from "./cep-coders.js";
import { Nfa, emptyNfaState } from "./nfa.js";
import { begin } from "./pattern.js";

describe("CEP coders", () => {
  it("round-trips a key's NFA state, and the restored state goes on to the same matches", () => {
    const pattern = begin<string>("a").where((e) => e.startsWith("a")).oneOrMore().followedBy("b").where((e) => e.startsWith("b"));
    const nfa = new Nfa(pattern, AfterMatchSkipStrategy.noSkip());
    const live = emptyNfaState<string>();
    for (const [e, t] of [["a1", 1], ["x", 2], ["a2", 3]] as const) nfa.process(live, e, t);
    const coder = nfaStateCoder(stringUtf8Coder);
    const restored = decodeFromBytes(coder, encodeToBytes(coder, live));
    expect(restored).toEqual(live);
    expect(nfa.process(restored, "b", 4).matches).toEqual(nfa.process(live, "b", 4).matches);
    expect(nfa.process(live, "b2", 5).matches.length).toBe(0);
  });

  it("encodes matches and timed-out matches through the events' own coder, or the JS value coder when events use it", () => {
    expect(matchCoder(jsValueCoder)).toBe(jsValueCoder);
    const m = { view: ["v1"], cart: ["c1", "c2"] };
    expect(decodeFromBytes(matchCoder(stringUtf8Coder), encodeToBytes(matchCoder(stringUtf8Coder), m))).toEqual(m);
    const t = { match: m, timeoutTimestamp: 600_000 };
    expect(decodeFromBytes(timedOutMatchCoder(stringUtf8Coder), encodeToBytes(timedOutMatchCoder(stringUtf8Coder), t))).toEqual(t);
  });
});
