import { describe, expect, it } from "vitest";
import { Pipeline, TestStream, Triggers, globalWindows, parDo, schema, sql, t, windowInto, type SqlRow } from "../../src/index.js";

const Click = schema({ uid: t.string(), ts: t.timestamp() }, { name: "Click" });
type Click = { readonly uid: string; readonly ts: number };
const MINUTE = 60_000;

describe("windowed SQL under TestStream", () => {
  it("counts per TUMBLE window with the input's trigger: early, on-time and late panes", async () => {
    const click = (uid: string, ts: number) => ({ value: { uid, ts }, timestamp: ts });
    const stream = TestStream.create<Click>()
      .addElements(click("a", 1_000), click("a", 2_000))
      .advanceProcessingTime(1)
      .addElements(click("a", 3_000))
      .advanceWatermarkTo(MINUTE + 1)
      .addElements(click("a", 4_000))
      .advanceWatermarkToInfinity();
    const panes: string[] = [];
    const p = new Pipeline();
    p.apply(stream)
      .withSchema(Click)
      // Beam SQL keeps the input's trigger, lateness and accumulation for its windows.
      .apply(
        windowInto(globalWindows(), {
          trigger: Triggers.afterWatermark({ early: Triggers.afterCount(2), late: Triggers.afterCount(1) }),
          accumulationMode: "ACCUMULATING",
          allowedLateness: 10 * MINUTE,
        }),
      )
      .apply(sql("SELECT uid, COUNT(*) AS n, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS ws FROM PCOLLECTION GROUP BY uid, TUMBLE(ts, INTERVAL '1' MINUTE)"))
      .apply(parDo<SqlRow, never>({ process: (r, ctx) => void panes.push(`${String(r["uid"])} ${String(r["n"])} ${String(r["ws"])} ${ctx.pane.timing}`) }));
    await p.run().waitUntilFinish();
    expect(panes).toContain("a 2 0 EARLY");
    expect(panes).toContain("a 3 0 ON_TIME");
    expect(panes).toContain("a 4 0 LATE");
  });
});
