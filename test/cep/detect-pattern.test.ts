import { describe, expect, it } from "vitest";
import { ConstructionError, Pipeline, assertThat, kv, reifyPanes, testStream, type KV } from "../../src/index.js";
import { AfterMatchSkipStrategy, begin, detectPattern, type Match } from "../../src/cep/index.js";

const is = (page: string) => (e: string) => e.startsWith(page);
const funnel = begin<string>("view")
  .where(is("view"))
  .followedBy("cart")
  .where(is("cart"))
  .followedBy("purchase")
  .where(is("purchase"))
  .within(10_000);

async function run(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  build(p);
  await p.run().waitUntilFinish();
}

describe("detectPattern on the embedded runner", () => {
  it("finds the same matches in out-of-order input as in sorted input, each at its last event's timestamp", async () => {
    await run((p) => {
      const sorted = p.apply(
        "Sorted",
        testStream<KV<string, string>>(
          `
          u:view1@1s u:cart1@2s v:view1@2s u:purchase1@3s v:cart1@4s
          wm 5s
          v:purchase1@20s
        `,
          { kv: true },
        ),
      );
      const shuffled = p.apply(
        "Shuffled",
        testStream<KV<string, string>>(
          `
          u:purchase1@3s v:cart1@4s
          u:cart1@2s
          v:view1@2s u:view1@1s
          wm 5s
          v:purchase1@20s
        `,
          { kv: true },
        ),
      );
      const expected = [{ value: kv("u", { view: ["view1"], cart: ["cart1"], purchase: ["purchase1"] }), timestamp: 3000, window: "global", pane: "UNKNOWN#0/0 first last" }];
      assertThat(sorted.apply("DetectSorted", detectPattern<string, string>(funnel)).main.apply("ReifySorted", reifyPanes())).containsInAnyOrder(expected);
      assertThat(shuffled.apply("DetectShuffled", detectPattern<string, string>(funnel)).main.apply("ReifyShuffled", reifyPanes())).containsInAnyOrder(expected);
    });
  });

  it("emits a partial match whose within ran out to the timeouts output, at its timeout time", async () => {
    await run((p) => {
      const out = p
        .apply(testStream<KV<string, string>>(`u:view1@1s u:cart1@2s | wm 30s | u:purchase1@40s`, { kv: true }))
        .apply(detectPattern<string, string>(funnel));
      assertThat(out.main).containsInAnyOrder([]);
      assertThat(out.timeouts.apply(reifyPanes())).containsInAnyOrder([
        { value: kv("u", { match: { view: ["view1"], cart: ["cart1"] }, timeoutTimestamp: 11_000 }), timestamp: 11_000, window: "global", pane: "UNKNOWN#0/0 first last" },
      ]);
    });
  });

  it("sends an event behind the time its key's matcher reached to the late output, and matches the rest", async () => {
    await run((p) => {
      const out = p
        .apply(
          testStream<KV<string, string>>(
            `
            u:view1@1s u:cart1@5s
            wm 6s
            u:view0@2s w:view9@2s     # u's matcher is at 5s: view0 is late; w has no events yet: on time
            u:purchase1@7s
          `,
            { kv: true },
          ),
        )
        .apply(detectPattern<string, string>(funnel));
      assertThat(out.late).containsInAnyOrder([kv("u", "view0")]);
      assertThat(out.main).containsInAnyOrder([kv("u", { view: ["view1"], cart: ["cart1"], purchase: ["purchase1"] })]);
    });
  });

  it("applies the skip strategy across timer firings (skipPastLastEvent keeps one of overlapping matches)", async () => {
    const pattern = begin<string>("a").where(is("a")).followedByAny("b").where(is("b"));
    await run((p) => {
      const input = p.apply(testStream<KV<string, string>>(`k:a1@1s | wm 1s | k:a2@2s | wm 2s | k:b1@3s k:b2@4s`, { kv: true }));
      const noSkip = input.apply("NoSkip", detectPattern<string, string>(pattern));
      const skipPast = input.apply("SkipPast", detectPattern<string, string>(pattern, { afterMatchSkip: AfterMatchSkipStrategy.skipPastLastEvent() }));
      const m = (a: string, b: string): KV<string, Match<string>> => kv("k", { a: [a], b: [b] });
      assertThat(noSkip.main).containsInAnyOrder([m("a1", "b1"), m("a1", "b2"), m("a2", "b1"), m("a2", "b2")]);
      assertThat(skipPast.main).containsInAnyOrder([m("a1", "b1")]);
    });
  });

  it("refuses a skip strategy naming no stage, and a pattern ending in notFollowedBy, while the pipeline is built", () => {
    const p = new Pipeline({ runner: "embedded" });
    const input = p.apply(testStream<KV<string, string>>(`k:a@1s`, { kv: true }));
    expect(() => input.apply("Bad", detectPattern<string, string>(begin<string>("a"), { afterMatchSkip: AfterMatchSkipStrategy.skipToFirst("zz") }))).toThrow(
      /skipToFirst\("zz"\) names no stage/,
    );
    expect(() => input.apply("Bad2", detectPattern<string, string>(begin<string>("a").notFollowedBy("b")))).toThrow(ConstructionError);
  });
});
