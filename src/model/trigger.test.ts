import { describe, expect, it } from "vitest";
import { ConstructionError } from "./errors.js";
import { Durations, MAX_TIMESTAMP } from "./time.js";
import {
  DEFAULT_TRIGGER,
  Triggers,
  continuationTrigger,
  describeTrigger,
  isOnceTrigger,
  isTriggerSafe,
  triggerMayFinish,
  validateTrigger,
  watermarkThatGuaranteesFiring,
  type Trigger,
} from "./trigger.js";
import { IntervalWindow } from "./window.js";
import { GLOBAL_WINDOWING, describeWindowing } from "./windowing-strategy.js";

const T = Triggers;

describe("trigger builders", () => {
  it("build frozen plain data that survives a JSON round trip", () => {
    const t = T.afterWatermark({ early: T.afterProcessingTime(Durations.seconds(10)), late: T.afterCount(1) });
    expect(Object.isFrozen(t)).toBe(true);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
    expect(t).toEqual({
      kind: "afterWatermark",
      early: { kind: "afterProcessingTime", transforms: [{ delay: 10_000 }] },
      late: { kind: "afterCount", count: 1 },
    });
  });

  it("give afterPane, elementCountAtLeast and afterAny as aliases of afterCount and afterFirst", () => {
    expect(T.afterPane(3)).toEqual(T.afterCount(3));
    expect(T.elementCountAtLeast(3)).toEqual(T.afterCount(3));
    expect(T.afterAny(T.afterCount(1), T.never())).toEqual(T.afterFirst(T.afterCount(1), T.never()));
  });

  it("append a delay then an alignment to afterProcessingTime, the offset defaulting to the epoch", () => {
    expect(T.afterProcessingTime(5, { alignTo: 60_000 })).toEqual({
      kind: "afterProcessingTime",
      transforms: [{ delay: 5 }, { alignTo: { period: 60_000, offset: 0 } }],
    });
    expect(T.afterProcessingTime()).toEqual({ kind: "afterProcessingTime", transforms: [] });
  });

  it("keep the default trigger as Beam's DefaultTrigger", () => {
    expect(T.default()).toBe(DEFAULT_TRIGGER);
    expect(GLOBAL_WINDOWING.trigger).toBe(DEFAULT_TRIGGER);
  });
});

describe("validateTrigger", () => {
  const rejects = (build: () => unknown, message: RegExp) => {
    expect(build).toThrow(ConstructionError);
    expect(build).toThrow(message);
  };

  it("rejects an afterCount that is not a positive integer, as Python's AfterCount does", () => {
    rejects(() => T.afterCount(0), /positive integer.*afterCount\(1\)/);
    rejects(() => T.afterCount(1.5), /positive integer/);
    rejects(() => validateTrigger({ kind: "afterCount", count: -2 }), /positive integer/);
  });

  it("rejects afterEach, afterFirst and afterAll with fewer than two triggers, as Java's checkArgument does", () => {
    rejects(() => T.afterEach(T.afterCount(1)), /afterEach needs at least two triggers, got 1/);
    rejects(() => T.afterFirst(), /afterFirst needs at least two triggers, got 0/);
    rejects(() => T.afterAll(T.never()), /use that trigger itself/);
  });

  it("rejects early, late and until triggers that can fire more than once (Java's OnceTrigger parameters)", () => {
    rejects(
      () => T.afterWatermark({ early: T.repeatedly(T.afterCount(1)) }),
      /trigger.early: early firings must be a trigger that fires at most once.*Pass its inner trigger \(AfterPane.elementCountAtLeast\(1\)\)/,
    );
    rejects(() => T.afterWatermark({ late: DEFAULT_TRIGGER }), /trigger.late: late firings/);
    rejects(() => T.orFinally(T.afterCount(1), T.repeatedly(T.afterCount(5))), /orFinally `until` must be/);
    rejects(() => T.orFinally(T.afterCount(1), T.afterWatermark({ late: T.afterCount(1) })), /until/);
  });

  it("accepts composite triggers whose parts may repeat where Beam's types allow them", () => {
    expect(() => T.orFinally(T.repeatedly(T.afterCount(2)), T.afterCount(5))).not.toThrow();
    expect(() => T.afterFirst(T.repeatedly(T.afterCount(2)), T.afterWatermark())).not.toThrow();
    expect(() => T.afterWatermark({ early: T.afterFirst(T.afterCount(2), T.afterProcessingTime(1)) })).not.toThrow();
  });

  it("rejects an alignment period that is not positive and unknown kinds, naming the path", () => {
    rejects(() => T.afterProcessingTime(undefined, { alignTo: 0 }), /alignTo period must be a positive/);
    rejects(
      () => validateTrigger({ kind: "repeatedly", trigger: { kind: "afterPain" } as unknown as Trigger }),
      /trigger.trigger has unknown kind "afterPain"/,
    );
  });
});

describe("continuationTrigger", () => {
  it("maps each trigger as Java's getContinuationTrigger does", () => {
    const cases: [Trigger, Trigger][] = [
      [DEFAULT_TRIGGER, DEFAULT_TRIGGER],
      [T.never(), T.never()],
      [T.afterWatermark(), T.afterWatermark()],
      [T.afterCount(7), T.afterCount(1)],
      [T.afterProcessingTime(Durations.minutes(1)), T.afterSynchronizedProcessingTime()],
      [T.afterSynchronizedProcessingTime(), T.afterSynchronizedProcessingTime()],
      [T.repeatedly(T.afterCount(3)), T.repeatedly(T.afterCount(1))],
      [T.afterFirst(T.afterCount(3), T.afterWatermark()), T.afterFirst(T.afterCount(1), T.afterWatermark())],
      [T.afterAll(T.afterCount(3), T.afterProcessingTime(5)), T.afterAll(T.afterCount(1), T.afterSynchronizedProcessingTime())],
      [
        T.afterWatermark({ early: T.afterProcessingTime(10), late: T.afterCount(4) }),
        T.afterWatermark({ early: T.afterSynchronizedProcessingTime(), late: T.afterCount(1) }),
      ],
    ];
    for (const [t, expected] of cases) expect(continuationTrigger(t)).toEqual(expected);
  });

  it("turns afterEach into repeatedly(afterFirst(...)) and orFinally into repeatedly(orFinally(...))", () => {
    expect(continuationTrigger(T.afterEach(T.afterCount(2), T.afterWatermark()))).toEqual(
      T.repeatedly(T.afterFirst(T.afterCount(1), T.afterWatermark())),
    );
    expect(continuationTrigger(T.orFinally(T.repeatedly(T.afterCount(2)), T.afterCount(9)))).toEqual(
      T.repeatedly(T.orFinally(T.repeatedly(T.afterCount(1)), T.afterCount(1))),
    );
  });
});

describe("triggerMayFinish and isOnceTrigger", () => {
  it("say which triggers may finish, as Java's mayFinish does", () => {
    expect(triggerMayFinish(DEFAULT_TRIGGER)).toBe(false);
    expect(triggerMayFinish(T.repeatedly(T.afterCount(1)))).toBe(false);
    expect(triggerMayFinish(T.afterWatermark())).toBe(true);
    expect(triggerMayFinish(T.afterWatermark({ early: T.afterCount(1) }))).toBe(true);
    expect(triggerMayFinish(T.afterWatermark({ late: T.afterCount(1) }))).toBe(false);
    expect(triggerMayFinish(T.afterEach(T.afterCount(1), T.repeatedly(T.afterCount(2))))).toBe(false);
    expect(triggerMayFinish(T.afterEach(T.afterCount(1), T.afterCount(2)))).toBe(true);
    expect(triggerMayFinish(T.orFinally(T.repeatedly(T.afterCount(2)), T.afterCount(5)))).toBe(true);
    expect(triggerMayFinish(T.never())).toBe(true);
  });

  it("count afterFirst and afterAll as once triggers even over repeating parts", () => {
    expect(isOnceTrigger(T.afterFirst(T.repeatedly(T.afterCount(1)), T.never()))).toBe(true);
    expect(isOnceTrigger(T.afterWatermark({ late: T.afterCount(1) }))).toBe(false);
  });
});

describe("isTriggerSafe", () => {
  it("flags triggers that may close a window while data can still arrive, as Java's GroupByKey does", () => {
    expect(isTriggerSafe(DEFAULT_TRIGGER, 1000)).toBe(true);
    expect(isTriggerSafe(T.never(), 1000)).toBe(true);
    expect(isTriggerSafe(T.afterWatermark(), 0)).toBe(true);
    expect(isTriggerSafe(T.afterWatermark(), 1000)).toBe(false);
    expect(isTriggerSafe(T.afterWatermark({ early: T.afterCount(1) }), 0)).toBe(true);
    expect(isTriggerSafe(T.afterWatermark({ early: T.afterCount(1) }), 1000)).toBe(false);
    expect(isTriggerSafe(T.afterCount(10), 0)).toBe(false);
    expect(isTriggerSafe(T.orFinally(T.repeatedly(T.afterCount(2)), T.afterCount(5)), 0)).toBe(false);
  });
});

describe("watermarkThatGuaranteesFiring", () => {
  const w = new IntervalWindow(0, 100);
  it("is the end of the window for watermark triggers and the earliest or latest part for composites", () => {
    expect(watermarkThatGuaranteesFiring(DEFAULT_TRIGGER, w)).toBe(99);
    expect(watermarkThatGuaranteesFiring(T.afterCount(1), w)).toBe(MAX_TIMESTAMP);
    expect(watermarkThatGuaranteesFiring(T.afterFirst(T.afterCount(1), T.afterWatermark()), w)).toBe(99);
    expect(watermarkThatGuaranteesFiring(T.afterAll(T.afterCount(1), T.afterWatermark()), w)).toBe(MAX_TIMESTAMP);
    expect(watermarkThatGuaranteesFiring(T.orFinally(T.afterCount(1), T.afterWatermark()), w)).toBe(99);
  });
});

describe("describeTrigger", () => {
  it("prints Beam Java's toString forms", () => {
    expect(describeTrigger(DEFAULT_TRIGGER)).toBe("DefaultTrigger");
    expect(describeTrigger(T.never())).toBe("Never.NeverTrigger");
    expect(describeTrigger(T.afterCount(5))).toBe("AfterPane.elementCountAtLeast(5)");
    expect(describeTrigger(T.repeatedly(T.afterCount(5)))).toBe("Repeatedly.forever(AfterPane.elementCountAtLeast(5))");
    expect(describeTrigger(T.afterEach(T.afterCount(1), T.afterWatermark()))).toBe(
      "AfterEach.inOrder(AfterPane.elementCountAtLeast(1), AfterWatermark.pastEndOfWindow())",
    );
    expect(describeTrigger(T.afterFirst(T.never(), T.afterCount(2)))).toBe(
      "AfterFirst.of(Never.NeverTrigger, AfterPane.elementCountAtLeast(2))",
    );
    expect(describeTrigger(T.afterAll(T.never(), T.afterCount(2)))).toBe("AfterAll.of(Never.NeverTrigger, AfterPane.elementCountAtLeast(2))");
    expect(describeTrigger(T.orFinally(T.repeatedly(T.afterCount(2)), T.afterCount(5)))).toBe(
      "Repeatedly.forever(AfterPane.elementCountAtLeast(2)).orFinally(AfterPane.elementCountAtLeast(5))",
    );
    expect(describeTrigger(T.afterSynchronizedProcessingTime())).toBe("AfterSynchronizedProcessingTime.pastFirstElementInPane()");
  });

  it("prints durations in Joda's English words and offsets in ISO-8601", () => {
    expect(describeTrigger(T.afterProcessingTime(Durations.seconds(10)))).toBe(
      "AfterProcessingTime.pastFirstElementInPane().plusDelayOf(10 seconds)",
    );
    expect(describeTrigger(T.afterProcessingTime(3_723_001, { alignTo: { period: 60_000, offset: 0 } }))).toBe(
      "AfterProcessingTime.pastFirstElementInPane().plusDelayOf(1 hour, 2 minutes, 3 seconds and 1 millisecond)" +
        ".alignedTo(1 minute, 1970-01-01T00:00:00.000Z)",
    );
    expect(describeTrigger(T.afterProcessingTime(0))).toBe("AfterProcessingTime.pastFirstElementInPane().plusDelayOf(0 milliseconds)");
    expect(describeTrigger(T.afterProcessingTime(Durations.days(2)))).toContain("plusDelayOf(48 hours)");
  });

  it("omits a never early trigger but keeps an explicit never late trigger, which keeps the window open", () => {
    expect(describeTrigger(T.afterWatermark())).toBe("AfterWatermark.pastEndOfWindow()");
    expect(describeTrigger(T.afterWatermark({ early: T.never() }))).toBe("AfterWatermark.pastEndOfWindow()");
    expect(describeTrigger(T.afterWatermark({ early: T.afterCount(1), late: T.afterCount(2) }))).toBe(
      "AfterWatermark.pastEndOfWindow().withEarlyFirings(AfterPane.elementCountAtLeast(1))" +
        ".withLateFirings(AfterPane.elementCountAtLeast(2))",
    );
    expect(describeTrigger(T.afterWatermark({ late: T.never() }))).toBe("AfterWatermark.pastEndOfWindow().withLateFirings(Never.NeverTrigger)");
  });

  it("goes into describeWindowing, so a different trigger changes the fingerprint text", () => {
    expect(describeWindowing(GLOBAL_WINDOWING)).toContain("/DefaultTrigger/DISCARDING/");
    expect(describeWindowing({ ...GLOBAL_WINDOWING, trigger: T.afterCount(2) })).toContain("/AfterPane.elementCountAtLeast(2)/");
  });
});
