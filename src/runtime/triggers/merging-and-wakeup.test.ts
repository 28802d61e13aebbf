import { describe, expect, it } from "vitest";
import { IntervalWindow, MAX_TIMESTAMP, Triggers as T, type Trigger } from "../../model/index.js";
import { TriggerHarness } from "./trigger-test-harness.js";
import type { TriggerState } from "./trigger-state-machine.js";

// Merging mirrors Java's onMerge of each state machine, driven by
// TriggerStateMachineRunner.onMerge (finished bits of every merged window are visible).

const A = new IntervalWindow(0, 50);
const B = new IntervalWindow(40, 100);
const MERGED = new IntervalWindow(0, 100);

/** Two session windows of the same trigger, prepared by `prepare`, merged into MERGED. */
function mergeTwo(trigger: Trigger, prepare: (a: TriggerHarness, b: TriggerHarness) => void, watermark = 0): TriggerHarness {
  const a = new TriggerHarness(trigger, { merging: true, window: A });
  const b = new TriggerHarness(trigger, { merging: true, window: B });
  prepare(a, b);
  const merged = new TriggerHarness(trigger, { merging: true, window: MERGED });
  merged.env.watermark = watermark;
  merged.env.processingTime = Math.max(a.env.processingTime, b.env.processingTime);
  merged.state = merged.machine.onMerge([a.state, b.state], merged.env);
  return merged;
}

describe("merging windows", () => {
  it("adds the element counts of the merged windows (AfterPane: counts add)", () => {
    const m = mergeTwo(T.repeatedly(T.afterCount(4)), (a, b) => {
      a.add(2);
      b.add(1);
    });
    expect(m.add(1)).toBe(true);
  });

  it("keeps an afterCount finished when it finished in any merged window", () => {
    const m = mergeTwo(T.afterCount(2), (a, b) => {
      a.add(2); // fires and finishes
      b.add(1);
    });
    expect(m.finished).toBe(true);
  });

  it("waits for the earliest processing-time target of the merged windows", () => {
    const m = mergeTwo(T.afterProcessingTime(10), (a, b) => {
      b.advance({ processingTime: 5 });
      b.add(1); // target 15
      a.advance({ processingTime: 8 });
      a.add(1); // target 18
    });
    expect(m.wakeup().processingTime).toBe(16);
    expect(m.advance({ processingTime: 16 })).toBe(true);
  });

  it("keeps an end-of-window trigger active when it has not finished in every merged window", () => {
    const m = mergeTwo(
      T.afterWatermark(),
      (a, b) => {
        a.add(1);
        a.advance({ watermark: 60 }); // A ends at 49: fires and finishes
        b.add(1);
        b.advance({ watermark: 60 }); // B ends at 99: still waiting
      },
      60,
    );
    expect(m.finished).toBe(false);
    expect(m.advance({ watermark: 100 })).toBe(true);
  });

  it("keeps an end-of-window trigger finished when it finished everywhere and the merged window has ended", () => {
    const m = mergeTwo(
      T.afterWatermark(),
      (a, b) => {
        for (const h of [a, b]) {
          h.add(1);
          h.advance({ watermark: 200 });
        }
      },
      200,
    );
    expect(m.finished).toBe(true);
  });

  it("runs the early trigger again after a merge before the end of the window, and clears the late trigger", () => {
    const t = T.afterWatermark({ early: T.afterCount(3), late: T.afterCount(1) });
    const m = mergeTwo(t, (a, b) => {
      a.add(1);
      b.add(1);
    });
    expect(m.add(1)).toBe(true); // early counts add: 1 + 1 + 1
    expect(m.advance({ watermark: 100 })).toBe(true); // on time
    expect(m.add(1)).toBe(true); // late
  });

  it("stays in the late phase when every merged window is past its end and so is the merged one", () => {
    const t = T.afterWatermark({ early: T.afterCount(1), late: T.afterCount(3) });
    const m = mergeTwo(
      t,
      (a, b) => {
        for (const h of [a, b]) {
          h.add(1);
          h.advance({ watermark: 200 }); // on time: early finished
          h.add(1); // one late element each
        }
      },
      200,
    );
    expect(m.add(1)).toBe(true); // late counts add: 1 + 1 + 1
  });

  it("moves afterEach past a sub-trigger that finished in any merged window", () => {
    const m = mergeTwo(T.afterEach(T.afterCount(2), T.afterCount(3)), (a, b) => {
      a.add(2); // fires: the first sub-trigger finished in A (and every sub-trigger was cleared)
      b.add(1); // B counts both sub-triggers while merging is possible
    });
    expect(m.addEach(2)).toEqual([2]); // second sub-trigger: 0 from A + 1 from B + 2
    expect(m.finished).toBe(true);
  });

  it("leaves the default trigger waiting for the merged window's end", () => {
    const m = mergeTwo(T.default(), (a, b) => {
      a.add(1);
      b.add(1);
    });
    expect(m.advance({ watermark: 99 })).toBe(false);
    expect(m.advance({ watermark: 100 })).toBe(true);
  });

  it("starts from the result window's own finished bits when it was one of the merged windows", () => {
    const a = new TriggerHarness(T.afterProcessingTime(10), { merging: true, window: A });
    a.add(1);
    a.advance({ processingTime: 11 }); // fires: finished
    const b = new TriggerHarness(T.afterProcessingTime(10), { merging: true, window: B });
    b.advance({ processingTime: 11 });
    b.add(1);
    const asNew: TriggerState = a.machine.onMerge([a.state, b.state], a.env);
    const asA: TriggerState = a.machine.onMerge([a.state, b.state], a.env, 0);
    expect(asNew.values[0]).toBe(21); // a new window waits for B's target
    expect(a.machine.isFinished(asA)).toBe(true); // A itself stays finished, its timer dropped
    expect(asA.values[0]).toBeNull();
  });
});

describe("nextWakeup", () => {
  it("asks for the first watermark after the end of the window, and nothing once it has passed", () => {
    const h = new TriggerHarness(T.default());
    h.add(1);
    expect(h.wakeup()).toEqual({ eventTime: 100, processingTime: MAX_TIMESTAMP });
    h.advance({ watermark: 100 });
    expect(h.wakeup()).toEqual({ eventTime: MAX_TIMESTAMP, processingTime: MAX_TIMESTAMP });
  });

  it("reports a count trigger as never waking on time", () => {
    const h = new TriggerHarness(T.repeatedly(T.afterCount(5)));
    h.add(1);
    expect(h.wakeup()).toEqual({ eventTime: MAX_TIMESTAMP, processingTime: MAX_TIMESTAMP });
  });

  it("leaves out a threshold already passed, so afterAll still wakes for its other part", () => {
    const h = new TriggerHarness(T.afterAll(T.afterProcessingTime(10), T.afterWatermark()));
    h.add(1);
    expect(h.wakeup()).toEqual({ eventTime: 100, processingTime: 11 });
    expect(h.advance({ processingTime: 11 })).toBe(false);
    expect(h.wakeup()).toEqual({ eventTime: 100, processingTime: MAX_TIMESTAMP });
    expect(h.advance({ watermark: 100 })).toBe(true);
  });

  it("includes early firings and the end of the window before it, only late firings after", () => {
    const h = new TriggerHarness(T.afterWatermark({ early: T.afterProcessingTime(10), late: T.afterProcessingTime(5) }));
    h.add(1);
    expect(h.wakeup()).toEqual({ eventTime: 100, processingTime: 11 });
    h.advance({ watermark: 100, processingTime: 1 }); // on time; the early timer is dropped
    expect(h.wakeup()).toEqual({ eventTime: MAX_TIMESTAMP, processingTime: MAX_TIMESTAMP });
    h.add(1); // late element at processing time 1
    expect(h.wakeup()).toEqual({ eventTime: MAX_TIMESTAMP, processingTime: 7 });
  });

  it("follows only the running sub-trigger of afterEach", () => {
    const h = new TriggerHarness(T.afterEach(T.afterProcessingTime(10), T.afterWatermark()));
    h.add(1);
    expect(h.wakeup()).toEqual({ eventTime: MAX_TIMESTAMP, processingTime: 11 });
    h.advance({ processingTime: 11 });
    expect(h.wakeup()).toEqual({ eventTime: 100, processingTime: MAX_TIMESTAMP });
  });
});
