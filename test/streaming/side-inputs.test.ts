import { describe, it } from "vitest";
import {
  IntervalWindow,
  Pipeline,
  Triggers,
  asSingleton,
  assertThat,
  combineGlobally,
  fixedWindows,
  globalWindows,
  latestGlobally,
  map,
  parDo,
  periodicImpulse,
  sum,
  testStream,
  windowInto,
  type PCollectionView,
} from "../../src/index.js";

describe("side inputs in streaming", () => {
  it("a windowed side input is read per window once its watermark passes that window", async () => {
    const p = new Pipeline();
    const side = p
      .apply("Totals", testStream<number>("10@1s 20@2s | wm 5s | 7@6s 8@12s | wm 30s"))
      .apply("SideWindows", windowInto(fixedWindows(10_000)))
      .apply(combineGlobally(sum(), { withoutDefaults: true }));
    const view = asSingleton(side, { defaultValue: -1 });
    const main = p
      .apply("Main", testStream<string>("a@3s | b@13s | c@25s"))
      .apply("MainWindows", windowInto(fixedWindows(10_000)))
      .apply(
        parDo<string, string>(
          {
            process(x, ctx) {
              ctx.output(`${x}=${ctx.sideInput(view)}`);
            },
          },
          { sideInputs: [view] },
        ),
      );
    // Window [0,10s) sums 10+20+7; [10s,20s) has 8; [20s,30s) has no side data: the default.
    assertThat(main).inWindow(new IntervalWindow(0, 10_000)).containsInAnyOrder(["a=37"]);
    assertThat(main).inWindow(new IntervalWindow(10_000, 20_000)).containsInAnyOrder(["b=8"]);
    assertThat(main).inWindow(new IntervalWindow(20_000, 30_000)).containsInAnyOrder(["c=-1"]);
    await p.run().waitUntilFinish();
  });

  it("the slowly-changing side input pattern: main elements see the latest periodic value", async () => {
    const p = new Pipeline();
    // The test clock starts at 0; the impulse fires at 0, 10s, 20s and 30s of processing
    // time. (When it stops, its window expires and fires a final, empty pane: from then on
    // the latest value is undefined, as in Beam.)
    const config = p
      .apply(periodicImpulse({ start: 0, stop: 30_000, interval: 10_000 }))
      .apply(map((t: number) => `config@${t / 1000}s`))
      .apply(
        windowInto(globalWindows(), {
          trigger: Triggers.repeatedly(Triggers.afterCount(1)),
          accumulationMode: "DISCARDING",
        }),
      )
      .apply(latestGlobally());
    const view: PCollectionView<string | undefined> = asSingleton(config);
    const main = p.apply(testStream<string>("pt +1s | a | pt +10s | b | pt +10s | c | pt +10s")).apply(
      parDo<string, string>(
        {
          process(x, ctx) {
            ctx.output(`${x}:${ctx.sideInput(view)}`);
          },
        },
        { sideInputs: [view] },
      ),
    );
    assertThat(main).containsInAnyOrder(["a:config@0s", "b:config@10s", "c:config@20s"]);
    await p.run().waitUntilFinish();
  });
});
