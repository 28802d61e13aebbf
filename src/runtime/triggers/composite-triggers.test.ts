import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Triggers as T, type Trigger } from "../../model/index.js";
import { TriggerHarness } from "./trigger-test-harness.js";

describe("repeatedly (RepeatedlyStateMachine)", () => {
  it("fires exactly every n elements with afterCount(n), whatever n and the number of elements", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 80 }), (n, m) => {
        const h = new TriggerHarness(T.repeatedly(T.afterCount(n)));
        const expected = Array.from({ length: Math.floor(m / n) }, (_, i) => (i + 1) * n);
        expect(h.addEach(m)).toEqual(expected);
        expect(h.finished).toBe(false);
      }),
    );
  });

  it("restarts a processing-time delay at the first element of the next pane", () => {
    const h = new TriggerHarness(T.repeatedly(T.afterProcessingTime(10)));
    h.add(1);
    expect(h.advance({ processingTime: 11 })).toBe(true);
    expect(h.advance({ processingTime: 50 })).toBe(false); // no element: no timer
    h.add(1);
    expect(h.advance({ processingTime: 60 })).toBe(false);
    expect(h.advance({ processingTime: 61 })).toBe(true);
  });

  it("over afterWatermark() behaves as the default trigger: on time, then every late element", () => {
    const h = new TriggerHarness(T.repeatedly(T.afterWatermark()));
    h.add(1);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.add(1)).toBe(true);
    expect(h.add(1)).toBe(true);
    expect(h.finished).toBe(false);
  });
});

describe("afterWatermark with early and late firings (AfterWatermarkEarlyAndLate)", () => {
  const early2late1 = T.afterWatermark({ early: T.afterCount(2), late: T.afterCount(1) });

  it("fires early panes before the end of the window, the on-time pane, then late panes, and never finishes", () => {
    const h = new TriggerHarness(early2late1);
    expect(h.addEach(5)).toEqual([2, 4]);
    expect(h.advance({ watermark: 100 })).toBe(true); // on time, with the 5th element pending
    expect(h.add(1)).toBe(true);
    expect(h.add(1)).toBe(true);
    expect(h.finished).toBe(false);
  });

  it("fires the on-time pane even when the early trigger has nothing pending", () => {
    const h = new TriggerHarness(early2late1);
    h.addEach(2);
    expect(h.advance({ watermark: 100 })).toBe(true);
  });

  it("does not fire early panes once the end of the window has passed", () => {
    const h = new TriggerHarness(T.afterWatermark({ early: T.afterCount(1), late: T.afterCount(3) }));
    h.add(1);
    h.advance({ watermark: 100 });
    expect(h.addEach(6)).toEqual([3, 6]); // late firings follow the late trigger only
  });

  it("finishes after the on-time pane when there is no late trigger", () => {
    const h = new TriggerHarness(T.afterWatermark({ early: T.afterProcessingTime(10) }));
    h.add(1);
    expect(h.advance({ processingTime: 11 })).toBe(true);
    expect(h.finished).toBe(false);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.finished).toBe(true);
  });

  it("with only late firings fires on time and then for late data, never early", () => {
    const h = new TriggerHarness(T.afterWatermark({ late: T.afterCount(1) }));
    expect(h.addEach(10)).toEqual([]);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.add(1)).toBe(true);
    expect(h.finished).toBe(false);
  });

  it("starts the late trigger fresh at the end of the window when merging ran it in parallel", () => {
    const h = new TriggerHarness(T.afterWatermark({ early: T.afterCount(5), late: T.afterCount(2) }), { merging: true });
    h.add(1); // counted by both early and late while windows may merge
    h.advance({ watermark: 100 });
    expect(h.add(1)).toBe(false); // the late count restarted at 0
    expect(h.add(1)).toBe(true);
  });

  it("repeats a composite early trigger from a clean state, firing again only on new input", () => {
    const h = new TriggerHarness(T.afterWatermark({ early: T.afterFirst(T.afterCount(2), T.afterProcessingTime(1000)) }));
    expect(h.addEach(2)).toEqual([2]);
    expect(h.advance({ processingTime: 1 })).toBe(false);
    expect(h.addEach(2)).toEqual([2]);
  });
});

describe("afterEach (AfterEachStateMachine)", () => {
  it("runs its triggers in sequence and finishes after the last", () => {
    const h = new TriggerHarness(T.afterEach(T.afterCount(2), T.afterCount(3)));
    expect(h.addEach(10)).toEqual([2, 5]);
    expect(h.finished).toBe(true);
  });

  it("never gets past a repeated trigger", () => {
    const h = new TriggerHarness(T.afterEach(T.repeatedly(T.afterCount(2)), T.afterCount(1)));
    expect(h.addEach(6)).toEqual([2, 4, 6]);
    expect(h.finished).toBe(false);
  });

  it("fires at the same elements whether or not the WindowFn merges, when no merge happens", () => {
    for (const merging of [false, true]) {
      const h = new TriggerHarness(T.afterEach(T.afterCount(2), T.afterCount(3), T.repeatedly(T.afterCount(1))), { merging });
      expect(h.addEach(8)).toEqual([2, 5, 6, 7, 8]);
    }
  });
});

describe("afterFirst (AfterFirstStateMachine)", () => {
  const countOrDelay = T.afterFirst(T.afterCount(3), T.afterProcessingTime(10));

  it("fires when its first trigger is ready and finishes", () => {
    const h = new TriggerHarness(countOrDelay);
    expect(h.addEach(3)).toEqual([3]);
    expect(h.finished).toBe(true);
  });

  it("fires when another trigger is ready first", () => {
    const h = new TriggerHarness(countOrDelay);
    h.add(1);
    expect(h.advance({ processingTime: 11 })).toBe(true);
    expect(h.finished).toBe(true);
  });
});

describe("afterAll (AfterAllStateMachine)", () => {
  it("fires only once every trigger is ready, then finishes", () => {
    const h = new TriggerHarness(T.afterAll(T.afterCount(2), T.afterWatermark()));
    expect(h.addEach(3)).toEqual([]);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.finished).toBe(true);
  });

  it("fires on the element that completes the last trigger", () => {
    const h = new TriggerHarness(T.afterAll(T.afterCount(2), T.afterWatermark()));
    h.add(1);
    expect(h.advance({ watermark: 100 })).toBe(false);
    expect(h.add(1)).toBe(true);
  });
});

describe("orFinally (OrFinallyStateMachine)", () => {
  it("fires with its main trigger until `until` fires, whose last pane may hold one element (Java's example)", () => {
    const h = new TriggerHarness(T.orFinally(T.repeatedly(T.afterCount(2)), T.afterCount(5)));
    expect(h.addEach(10)).toEqual([2, 4, 5]);
    expect(h.finished).toBe(true);
  });

  it("finishes when the main trigger finishes", () => {
    const h = new TriggerHarness(T.orFinally(T.afterCount(2), T.afterCount(100)));
    expect(h.addEach(2)).toEqual([2]);
    expect(h.finished).toBe(true);
  });

  it("stops repeating at the end of the window with an afterWatermark `until`", () => {
    const h = new TriggerHarness(T.orFinally(T.repeatedly(T.afterCount(2)), T.afterWatermark()));
    expect(h.addEach(3)).toEqual([2]);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.finished).toBe(true);
  });
});

describe("finished triggers", () => {
  const finishing: Trigger[] = [
    T.afterWatermark(),
    T.afterCount(1),
    T.afterFirst(T.afterCount(1), T.afterWatermark()),
    T.afterAll(T.afterCount(1), T.afterWatermark()),
    T.afterEach(T.afterCount(1), T.afterWatermark()),
    T.orFinally(T.repeatedly(T.afterCount(1)), T.afterWatermark()),
  ];
  it("report no further wake-up once finished", () => {
    for (const t of finishing) {
      const h = new TriggerHarness(t);
      h.add(1);
      h.advance({ watermark: 100 });
      expect(h.finished).toBe(true);
      expect(h.wakeup().eventTime).toBeGreaterThan(1e15);
      expect(h.wakeup().processingTime).toBeGreaterThan(1e15);
    }
  });
});
