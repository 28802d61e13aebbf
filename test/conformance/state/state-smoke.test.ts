import { describe, expect, it } from "vitest";
import {
  Pipeline,
  StateSpecs,
  TimerSpecs,
  assertThat,
  create,
  fixedWindows,
  kv,
  parDo,
  reifyPanes,
  statefulParDo,
  sum,
  testStream,
  windowInto,
  type DoFn,
  type KV,
} from "../../../src/index.js";

describe("state and timers smoke", () => {
  it("keeps value state per key across elements", async () => {
    const p = new Pipeline();
    const out = p.apply(create([kv("a", 1), kv("b", 10), kv("a", 2), kv("a", 3)])).apply(
      statefulParDo({
        state: { total: StateSpecs.combining(sum()) },
        process(e: KV<string, number>, ctx) {
          ctx.state.total.add(e.value);
          ctx.output(`${e.key}=${ctx.state.total.read()}`);
        },
      }),
    );
    assertThat(out).containsInAnyOrder(["a=1", "a=3", "a=6", "b=10"]);
    await p.run().waitUntilFinish();
  });

  it("fires an event-time timer when the watermark passes it and flushes buffered state", async () => {
    const p = new Pipeline();
    const out = p
      .apply(testStream<KV<string, number>>("a:1@1s a:2@2s | b:5@3s | wm 20s | a:7@25s", { kv: true }))
      .apply(windowInto(fixedWindows(60_000)))
      .apply(
        statefulParDo({
          state: { buffer: StateSpecs.bag<number>() },
          timers: { flush: TimerSpecs.timer("EVENT_TIME") },
          process(e: KV<string, number>, ctx) {
            ctx.state.buffer.add(e.value);
            ctx.timers.flush.set(ctx.timestamp + 10_000);
          },
          onTimer: {
            flush(ctx) {
              ctx.output(kv(ctx.key, ctx.state.buffer.read()));
              ctx.state.buffer.clear();
            },
          },
        }),
      )
      .apply(reifyPanes());
    assertThat(out).containsInAnyOrder([
      { value: kv("a", [1, 2]), timestamp: 12_000, window: "0..60000", pane: "UNKNOWN#0/0 first last" },
      { value: kv("b", [5]), timestamp: 13_000, window: "0..60000", pane: "UNKNOWN#0/0 first last" },
      { value: kv("a", [7]), timestamp: 35_000, window: "0..60000", pane: "UNKNOWN#0/0 first last" },
    ]);
    await p.run().waitUntilFinish();
  });

  it("rejects parDo for a DoFn with state, pointing at statefulParDo", () => {
    const p = new Pipeline();
    const pc = p.apply(create([kv("a", 1)]));
    expect(() => pc.apply(parDo({ state: { x: StateSpecs.value() }, process() {} } as DoFn<KV<string, number>, never>))).toThrow(
      /statefulParDo/,
    );
  });
});
