import { describe, expect, it } from "vitest";
import { ConstructionError, GLOBAL_WINDOW, GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, Triggers as T } from "../../model/index.js";
import { TriggerHarness } from "./trigger-test-harness.js";
import { triggerStateMachine } from "./trigger-state-machine.js";

// WINDOW is [0, 100): its max timestamp is 99, so "the watermark passes the end of the
// window" means watermark > 99 (Java's endOfWindowReached: currentEventTime.isAfter(maxTimestamp)).

describe("default trigger (DefaultTriggerStateMachine)", () => {
  it("fires one on-time pane when the watermark passes the end of the window, not when it reaches it", () => {
    const h = new TriggerHarness(T.default());
    expect(h.add(3)).toBe(false);
    expect(h.advance({ watermark: 99 })).toBe(false);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.finished).toBe(false);
  });

  it("fires again for every late element and never finishes", () => {
    const h = new TriggerHarness(T.default());
    h.add(1);
    h.advance({ watermark: 150 });
    expect(h.add(1, 10)).toBe(true);
    expect(h.add(1, 20)).toBe(true);
    expect(h.finished).toBe(false);
  });

  it("fires for the global window only once the watermark passes its end", () => {
    const h = new TriggerHarness(T.default(), { window: GLOBAL_WINDOW });
    h.add(5);
    expect(h.advance({ watermark: GLOBAL_WINDOW_MAX_TIMESTAMP })).toBe(false);
    expect(h.advance({ watermark: MAX_TIMESTAMP })).toBe(true);
  });
});

describe("afterWatermark without early or late firings (AfterWatermark.FromEndOfWindow)", () => {
  it("fires once at the end of the window and then finishes", () => {
    const h = new TriggerHarness(T.afterWatermark());
    h.add(2);
    expect(h.advance({ watermark: 100 })).toBe(true);
    expect(h.finished).toBe(true);
  });
});

describe("afterProcessingTime (AfterDelayFromFirstElementStateMachine)", () => {
  it("fires once the clock passes the first element's arrival plus the delay, then finishes", () => {
    const h = new TriggerHarness(T.afterProcessingTime(10));
    h.advance({ processingTime: 100 });
    h.add(1);
    h.advance({ processingTime: 105 });
    h.add(1); // a later element does not move the target
    expect(h.advance({ processingTime: 110 })).toBe(false);
    expect(h.advance({ processingTime: 111 })).toBe(true);
    expect(h.finished).toBe(true);
  });

  it("does not fire on time alone before any element arrived", () => {
    const h = new TriggerHarness(T.afterProcessingTime(10));
    expect(h.advance({ processingTime: 1_000_000 })).toBe(false);
  });

  it("aligns the target up to the next multiple of the period since the offset", () => {
    const aligned = new TriggerHarness(T.afterProcessingTime(undefined, { alignTo: 60 }));
    aligned.advance({ processingTime: 123 });
    aligned.add(1);
    expect(aligned.wakeup().processingTime).toBe(181); // target 180, fires when the clock is after it
    const onBoundary = new TriggerHarness(T.afterProcessingTime(undefined, { alignTo: 60 }));
    onBoundary.advance({ processingTime: 120 });
    onBoundary.add(1);
    expect(onBoundary.wakeup().processingTime).toBe(121); // already aligned: stays 120
    const withOffset = new TriggerHarness(T.afterProcessingTime(5, { alignTo: { period: 60, offset: 7 } }));
    withOffset.advance({ processingTime: 100 });
    withOffset.add(1);
    expect(withOffset.wakeup().processingTime).toBe(128); // 105 aligned to 7 + 2*60 = 127
  });

  it("keeps Java's remainder sign for times before the offset, aligning one period further", () => {
    // Java's AlignFn: (point - offset) % size is negative before the offset, so
    // point + size - remainder overshoots the boundary: (90 - 100) % 50 = -10, target 150, not 100.
    const h = new TriggerHarness(T.afterProcessingTime(undefined, { alignTo: { period: 50, offset: 100 } }));
    h.advance({ processingTime: 90 });
    h.add(1);
    expect(h.wakeup().processingTime).toBe(90 + 50 + 10 + 1);
  });
});

describe("afterSynchronizedProcessingTime", () => {
  it("sets its target from processing time but fires on synchronized processing time", () => {
    const m = triggerStateMachine(T.afterSynchronizedProcessingTime());
    const s = m.init();
    const env = { window: GLOBAL_WINDOW, watermark: 0, processingTime: 100, synchronizedProcessingTime: 50 };
    m.onElement(s, env, 0);
    expect(m.shouldFire(s, { ...env, processingTime: 500, synchronizedProcessingTime: 100 })).toBe(false);
    expect(m.shouldFire(s, { ...env, processingTime: 100, synchronizedProcessingTime: 101 })).toBe(true);
  });
});

describe("afterCount (AfterPaneStateMachine)", () => {
  it("fires once the pane holds the count and then finishes", () => {
    const h = new TriggerHarness(T.afterCount(3));
    expect(h.addEach(5)).toEqual([3]);
    expect(h.finished).toBe(true);
  });

  it("counts a batch of elements given at once", () => {
    const h = new TriggerHarness(T.afterCount(3));
    expect(h.add(4)).toBe(true);
  });
});

describe("never (NeverStateMachine)", () => {
  it("never fires nor finishes, whatever the watermark, clock and elements", () => {
    const h = new TriggerHarness(T.never());
    h.add(1000);
    expect(h.advance({ watermark: MAX_TIMESTAMP, processingTime: MAX_TIMESTAMP })).toBe(false);
    expect(h.finished).toBe(false);
    expect(h.wakeup()).toEqual({ eventTime: MAX_TIMESTAMP, processingTime: MAX_TIMESTAMP });
  });

  it("throws if asked to fire, as Java's onOnlyFiring does", () => {
    const m = triggerStateMachine(T.never());
    expect(() => m.onFire(m.init(), { window: GLOBAL_WINDOW, watermark: 0, processingTime: 0, synchronizedProcessingTime: 0 })).toThrow(
      /should never fire/,
    );
  });
});

describe("triggerStateMachine", () => {
  it("rejects a trigger Beam rejects with a ConstructionError", () => {
    expect(() => triggerStateMachine({ kind: "afterCount", count: 0 })).toThrow(ConstructionError);
  });

  it("keeps plain JSON state, so a checkpointed state resumes where it stopped", () => {
    const h = new TriggerHarness(T.orFinally(T.repeatedly(T.afterProcessingTime(10)), T.afterCount(4)));
    h.advance({ processingTime: 5 });
    h.add(2);
    const restored = JSON.parse(JSON.stringify(h.state)) as typeof h.state;
    expect(restored).toEqual(h.state);
    h.state = restored;
    expect(h.advance({ processingTime: 16 })).toBe(true);
    expect(h.add(2)).toBe(true); // until: 4 elements since the window opened
    expect(h.finished).toBe(true);
  });
});
