// windowInto's trigger options, next to the machines that run them (transforms has no test
// file of its own for windowInto).
import { describe, expect, it } from "vitest";
import { ConstructionError, Durations, Triggers as T, fixedWindows, globalWindows } from "../../model/index.js";
import { Pipeline } from "../../pipeline/index.js";
import { create, windowInto } from "../../transforms/index.js";

const input = () => new Pipeline().apply(create([1, 2, 3]));

describe("windowInto with a trigger", () => {
  it("carries the trigger and accumulation mode in the output's windowing strategy", () => {
    const trigger = T.afterWatermark({ early: T.afterProcessingTime(Durations.seconds(10)), late: T.afterCount(1) });
    const out = input().apply(windowInto(fixedWindows(60_000), { trigger, accumulationMode: "ACCUMULATING" }));
    expect(out.windowing.trigger).toBe(trigger);
    expect(out.windowing.accumulationMode).toBe("ACCUMULATING");
  });

  it("requires an accumulation mode with a non-default trigger, as Beam Python and Java do", () => {
    const apply = () => input().apply(windowInto(fixedWindows(60_000), { trigger: T.repeatedly(T.afterCount(2)) }));
    expect(apply).toThrow(ConstructionError);
    expect(apply).toThrow(/Repeatedly.forever\(AfterPane.elementCountAtLeast\(2\)\).*accumulationMode: "DISCARDING"/);
  });

  it("accepts the default trigger without an accumulation mode and keeps DISCARDING", () => {
    const out = input().apply(windowInto(globalWindows(), { trigger: T.default() }));
    expect(out.windowing.accumulationMode).toBe("DISCARDING");
  });

  it("keeps the input's trigger and mode when only the WindowFn changes", () => {
    const triggered = input().apply(
      windowInto(globalWindows(), { trigger: T.repeatedly(T.afterCount(5)), accumulationMode: "ACCUMULATING" }),
    );
    const out = triggered.apply(windowInto(fixedWindows(1000)));
    expect(out.windowing.trigger).toEqual(T.repeatedly(T.afterCount(5)));
    expect(out.windowing.accumulationMode).toBe("ACCUMULATING");
  });

  it("rejects trigger data Beam rejects, naming the transform", () => {
    const apply = () =>
      input().apply(windowInto(globalWindows(), { trigger: { kind: "afterCount", count: 0 }, accumulationMode: "DISCARDING" }));
    expect(apply).toThrow(/WindowInto\(.*\): trigger: afterCount\(0\) must count a positive integer/);
  });
});
