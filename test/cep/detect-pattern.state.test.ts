import { describe, it } from "vitest";
import { Pipeline, assertThat, fixedWindows, jsValueCoder, kv, statefulParDo, testStream, windowInto, type KV, type StatefulDoFn } from "../../src/index.js";
import { AfterMatchSkipStrategy, begin, type Match } from "../../src/cep/index.js";
import { matcherFn, type MatcherState, type MatcherTags, type MatcherTimers } from "../../src/cep/matcher-fn.js";

const is = (page: string) => (e: string) => e.startsWith(page);
const funnel = begin<string>("view").where(is("view")).followedBy("cart").where(is("cart")).followedBy("purchase").where(is("purchase")).within(10_000);

type Fn = StatefulDoFn<string, string, KV<string, Match<string>>, MatcherState<string>, MatcherTimers, MatcherTags<string, string>>;

/**
 * detectPattern's own DoFn, plus an onWindowExpiration that reports what each key still
 * holds in the state cells when its window expires (the runner drops them right after).
 * The report is emitted on the main output as a one-stage "match" named `state`.
 */
function reportingStateAtExpiry(): Fn {
  const fn = matcherFn<string, string>(funnel, AfterMatchSkipStrategy.noSkip(), jsValueCoder as never);
  return {
    ...fn,
    onWindowExpiration(ctx) {
      const nfa = ctx.state.nfa.read();
      ctx.output(
        kv(ctx.key, {
          state: [
            `pending=${ctx.state.pending.read().length}`,
            `arrivals=${ctx.state.arrivals.read() ?? "-"}`,
            `nfa=${nfa === undefined ? "-" : `${nfa.partials.length} partial, ${nfa.events.size} events`}`,
            `time=${ctx.state.time.read() ?? "-"}`,
          ],
        }),
      );
    },
  };
}

describe("detectPattern's state", () => {
  it("holds no event, partial match or arrival counter once its timers ran: only the time reached is left when the window expires", async () => {
    const p = new Pipeline({ runner: "embedded" });
    const out = p
      .apply(
        testStream<KV<string, string>>(
          `
          u:view1@1s u:cart1@2s          # a partial match: times out at 11s by a timer
          v:cart0@3s v:view1@3s v:cart1@4s v:purchase1@5s
          wm 30s
          w:view1@41s                    # a partial match that times out at 51s
          wm 70s
        `,
          { kv: true },
        ),
      )
      .apply(windowInto(fixedWindows(60_000)))
      .apply(statefulParDo(reportingStateAtExpiry(), { outputs: ["timeouts", "late"], allowedTimestampSkew: Infinity }));
    assertThat(out.main).containsInAnyOrder([
      kv("v", { view: ["view1"], cart: ["cart1"], purchase: ["purchase1"] }),
      kv("u", { state: ["pending=0", "arrivals=-", "nfa=-", "time=11000"] }),
      // v matched at 5s; the timeout timer view1 set at 3s still fired, at 13s, and found nothing.
      kv("v", { state: ["pending=0", "arrivals=-", "nfa=-", "time=13000"] }),
      kv("w", { state: ["pending=0", "arrivals=-", "nfa=-", "time=51000"] }),
    ]);
    assertThat(out.timeouts).containsInAnyOrder([
      kv("u", { match: { view: ["view1"], cart: ["cart1"] }, timeoutTimestamp: 11_000 }),
      kv("w", { match: { view: ["view1"] }, timeoutTimestamp: 51_000 }),
    ]);
    await p.run().waitUntilFinish();
  });
});
