import { ConstructionError } from "./errors.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP, type Duration, type Instant } from "./time.js";
import type { BoundedWindow } from "./window.js";

/**
 * Beam's trigger language as plain immutable data. A trigger decides when a GroupByKey emits
 * a pane of a window; the state machines that run a trigger live in runtime/triggers.
 *
 * Kinds mirror Beam Java's `Trigger` subclasses (and the runner API's `Trigger` proto):
 * `default` (DefaultTrigger), `afterWatermark` (AfterWatermark.pastEndOfWindow(), with
 * optional early and late firings), `afterProcessingTime`, `afterSynchronizedProcessingTime`
 * (the continuation of processing-time triggers), `afterCount` (AfterPane.elementCountAtLeast),
 * `repeatedly`, `afterEach`, `afterFirst` (Python's AfterAny), `afterAll`, `orFinally` and
 * `never`. Build them with {@link Triggers}.
 */
export type Trigger =
  | DefaultTrigger
  | AfterWatermarkTrigger
  | AfterProcessingTimeTrigger
  | AfterSynchronizedProcessingTimeTrigger
  | AfterCountTrigger
  | RepeatedlyTrigger
  | AfterEachTrigger
  | AfterFirstTrigger
  | AfterAllTrigger
  | OrFinallyTrigger
  | NeverTrigger;

/** Beam's DefaultTrigger: Repeatedly.forever(AfterWatermark.pastEndOfWindow()). */
export interface DefaultTrigger {
  readonly kind: "default";
}

/**
 * Fires when the watermark passes the end of the window. With `early`, fires each time
 * `early` fires before that; with `late`, each time `late` fires after it (both repeat
 * implicitly). Without `late` it finishes after the on-time pane.
 */
export interface AfterWatermarkTrigger {
  readonly kind: "afterWatermark";
  readonly early?: Trigger;
  readonly late?: Trigger;
}

/**
 * A step that maps the processing time of a pane's first element to the time the trigger
 * waits for (Beam's TimestampTransform): add a delay, or round up to the next multiple of
 * `period` counted from `offset`.
 */
export type TimestampTransform =
  | { readonly delay: Duration }
  | { readonly alignTo: { readonly period: Duration; readonly offset: Instant } };

/** Fires once processing time passes the first element's arrival mapped by `transforms` in order. */
export interface AfterProcessingTimeTrigger {
  readonly kind: "afterProcessingTime";
  readonly transforms: readonly TimestampTransform[];
}

/**
 * Fires once synchronized processing time passes the arrival of the pane's first element.
 * Internal to Beam: the continuation of processing-time triggers after a GroupByKey.
 */
export interface AfterSynchronizedProcessingTimeTrigger {
  readonly kind: "afterSynchronizedProcessingTime";
}

/** Fires once the pane holds at least `count` elements (Beam's AfterPane.elementCountAtLeast). */
export interface AfterCountTrigger {
  readonly kind: "afterCount";
  readonly count: number;
}

/** Fires each time `trigger` fires, resetting it after each firing; never finishes. */
export interface RepeatedlyTrigger {
  readonly kind: "repeatedly";
  readonly trigger: Trigger;
}

/** Runs `triggers` in sequence: fires whenever the current one fires, moves on when it finishes. */
export interface AfterEachTrigger {
  readonly kind: "afterEach";
  readonly triggers: readonly Trigger[];
}

/** Fires (and finishes) once any of `triggers` fires (Python's AfterAny). */
export interface AfterFirstTrigger {
  readonly kind: "afterFirst";
  readonly triggers: readonly Trigger[];
}

/** Fires (and finishes) once every one of `triggers` has fired. */
export interface AfterAllTrigger {
  readonly kind: "afterAll";
  readonly triggers: readonly Trigger[];
}

/**
 * Fires whenever `main` fires and finishes when `main` finishes or `until` fires (one last
 * pane for `until`). `until` sees every element since the window opened, not only the pane's.
 */
export interface OrFinallyTrigger {
  readonly kind: "orFinally";
  readonly main: Trigger;
  readonly until: Trigger;
}

/** Never fires; the window's final pane comes only from garbage collection. */
export interface NeverTrigger {
  readonly kind: "never";
}

/** Beam's default trigger. */
export const DEFAULT_TRIGGER: Trigger = Object.freeze({ kind: "default" });

const NEVER: Trigger = Object.freeze({ kind: "never" });
const AFTER_END_OF_WINDOW: Trigger = Object.freeze({ kind: "afterWatermark" });
const AFTER_SYNCHRONIZED: Trigger = Object.freeze({ kind: "afterSynchronizedProcessingTime" });

/** Where a processing-time trigger aligns to: a period, or a period counted from an offset. */
export type AlignTo = Duration | { readonly period: Duration; readonly offset?: Instant };

/**
 * Builders for triggers. Each validates what Beam validates and returns frozen plain data.
 *
 * @example
 * windowInto(fixedWindows(Durations.minutes(1)), {
 *   trigger: Triggers.afterWatermark({
 *     early: Triggers.afterProcessingTime(Durations.seconds(10)),
 *     late: Triggers.afterCount(1),
 *   }),
 *   accumulationMode: "DISCARDING",
 *   allowedLateness: Durations.minutes(5),
 * });
 */
export const Triggers = {
  /** Beam's DefaultTrigger (fire at the end of the window, then for every late element). */
  default: (): Trigger => DEFAULT_TRIGGER,

  /**
   * AfterWatermark.pastEndOfWindow(), optionally `.withEarlyFirings(early)` and
   * `.withLateFirings(late)`. `early` and `late` must fire at most once (Beam's OnceTrigger):
   * they repeat implicitly.
   *
   * @example Triggers.afterWatermark({ late: Triggers.afterCount(1) })
   */
  afterWatermark(options: { readonly early?: Trigger; readonly late?: Trigger } = {}): Trigger {
    if (options.early === undefined && options.late === undefined) return AFTER_END_OF_WINDOW;
    const t: AfterWatermarkTrigger = {
      kind: "afterWatermark",
      ...(options.early !== undefined ? { early: options.early } : {}),
      ...(options.late !== undefined ? { late: options.late } : {}),
    };
    return built(t);
  },

  /**
   * AfterProcessingTime.pastFirstElementInPane(), then `.plusDelayOf(delay)` when a delay
   * is given, then `.alignedTo(period, offset)` when `alignTo` is given (offset defaults to
   * the epoch). For other sequences, write the data directly:
   * `{ kind: "afterProcessingTime", transforms: [{ alignTo: {...} }, { delay: ... }] }`.
   *
   * @example Triggers.afterProcessingTime(Durations.seconds(10))
   * @example Triggers.afterProcessingTime(undefined, { alignTo: Durations.minutes(1) })
   */
  afterProcessingTime(delay?: Duration, options: { readonly alignTo?: AlignTo } = {}): Trigger {
    const transforms: TimestampTransform[] = [];
    if (delay !== undefined) transforms.push(Object.freeze({ delay }));
    const align = options.alignTo;
    if (align !== undefined) {
      const period = typeof align === "number" ? align : align.period;
      const offset = typeof align === "number" ? 0 : (align.offset ?? 0);
      transforms.push(Object.freeze({ alignTo: Object.freeze({ period, offset }) }));
    }
    return built({ kind: "afterProcessingTime", transforms: Object.freeze(transforms) });
  },

  /** AfterSynchronizedProcessingTime.ofFirstElement(): Beam-internal, for continuations. */
  afterSynchronizedProcessingTime: (): Trigger => AFTER_SYNCHRONIZED,

  /**
   * Fires once the pane has at least `count` elements (AfterPane.elementCountAtLeast).
   *
   * @example Triggers.repeatedly(Triggers.afterCount(100))
   */
  afterCount: (count: number): Trigger => built({ kind: "afterCount", count }),
  /** Alias of {@link Triggers.afterCount} (Beam Java's class name). */
  afterPane: (count: number): Trigger => built({ kind: "afterCount", count }),
  /** Alias of {@link Triggers.afterCount} (Beam Java's method name). */
  elementCountAtLeast: (count: number): Trigger => built({ kind: "afterCount", count }),

  /**
   * Repeatedly.forever(trigger).
   *
   * @example Triggers.repeatedly(Triggers.afterProcessingTime(Durations.minutes(1)))
   */
  repeatedly: (trigger: Trigger): Trigger => built({ kind: "repeatedly", trigger }),

  /**
   * AfterEach.inOrder(...triggers): at least two triggers.
   *
   * @example Triggers.afterEach(Triggers.afterCount(1), Triggers.afterWatermark())
   */
  afterEach: (...triggers: Trigger[]): Trigger => built({ kind: "afterEach", triggers: Object.freeze(triggers) }),

  /**
   * AfterFirst.of(...triggers): fires once when any of them fires; at least two triggers.
   *
   * @example Triggers.afterFirst(Triggers.afterCount(10), Triggers.afterProcessingTime(Durations.seconds(5)))
   */
  afterFirst: (...triggers: Trigger[]): Trigger => built({ kind: "afterFirst", triggers: Object.freeze(triggers) }),
  /** Alias of {@link Triggers.afterFirst} (Beam Python's name). */
  afterAny: (...triggers: Trigger[]): Trigger => built({ kind: "afterFirst", triggers: Object.freeze(triggers) }),

  /**
   * AfterAll.of(...triggers): fires once when all of them have fired; at least two triggers.
   *
   * @example Triggers.afterAll(Triggers.afterCount(10), Triggers.afterWatermark())
   */
  afterAll: (...triggers: Trigger[]): Trigger => built({ kind: "afterAll", triggers: Object.freeze(triggers) }),

  /**
   * `main.orFinally(until)`: fires as `main` does until `until` fires (then one last time).
   * `until` must fire at most once (Beam's OnceTrigger).
   *
   * @example Triggers.orFinally(Triggers.repeatedly(Triggers.afterCount(2)), Triggers.afterCount(5))
   */
  orFinally: (main: Trigger, until: Trigger): Trigger => built({ kind: "orFinally", main, until }),

  /** Never.ever(): output only when the window expires (end of window plus allowed lateness). */
  never: (): Trigger => NEVER,
} as const;

function built(t: Trigger): Trigger {
  validateTrigger(t);
  return Object.freeze(t);
}

/**
 * True for triggers that fire at most once (Beam Java's OnceTrigger subclasses): a plain
 * afterWatermark, afterProcessingTime, afterSynchronizedProcessingTime, afterCount,
 * afterFirst, afterAll and never.
 */
export function isOnceTrigger(t: Trigger): boolean {
  switch (t.kind) {
    case "afterWatermark":
      return t.early === undefined && t.late === undefined;
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
    case "afterCount":
    case "afterFirst":
    case "afterAll":
    case "never":
      return true;
    case "default":
    case "repeatedly":
    case "afterEach":
    case "orFinally":
      return false;
  }
}

/**
 * Throws a ConstructionError (saying how to fix it) when Beam would reject `t`:
 * afterCount needs a positive integer (Python's AfterCount); afterEach, afterFirst and
 * afterAll need at least two sub-triggers (Java's checkArgument); early, late and `until`
 * triggers must fire at most once (Java's OnceTrigger parameter types); durations must be
 * finite and an alignment period positive (Java's AlignFn divides by it).
 */
export function validateTrigger(t: Trigger): void {
  validateAt(t, "trigger");
}

function validateAt(t: Trigger, where: string): void {
  if (t === null || typeof t !== "object" || typeof (t as { kind?: unknown }).kind !== "string") {
    throw new ConstructionError(`${where} is not a trigger: ${String(t)}. Build one with Triggers (e.g. Triggers.afterWatermark()).`);
  }
  switch (t.kind) {
    case "default":
    case "afterSynchronizedProcessingTime":
    case "never":
      return;
    case "afterWatermark":
      if (t.early !== undefined) {
        validateAt(t.early, `${where}.early`);
        requireOnce(t.early, `${where}.early`, "early firings");
      }
      if (t.late !== undefined) {
        validateAt(t.late, `${where}.late`);
        requireOnce(t.late, `${where}.late`, "late firings");
      }
      return;
    case "afterProcessingTime":
      if (!Array.isArray(t.transforms)) {
        throw new ConstructionError(`${where}: afterProcessingTime needs a transforms array; use Triggers.afterProcessingTime(delay).`);
      }
      for (const tr of t.transforms) validateTransform(tr, where);
      return;
    case "afterCount":
      if (!Number.isInteger(t.count) || t.count < 1) {
        throw new ConstructionError(
          `${where}: afterCount(${String(t.count)}) must count a positive integer of elements; use afterCount(1) to fire on every element.`,
        );
      }
      return;
    case "repeatedly":
      validateAt(t.trigger, `${where}.trigger`);
      return;
    case "afterEach":
    case "afterFirst":
    case "afterAll":
      if (!Array.isArray(t.triggers) || t.triggers.length < 2) {
        const n = Array.isArray(t.triggers) ? t.triggers.length : 0;
        throw new ConstructionError(
          `${where}: ${t.kind} needs at least two triggers, got ${n}; with one trigger use that trigger itself.`,
        );
      }
      t.triggers.forEach((s, i) => validateAt(s, `${where}.triggers[${i}]`));
      return;
    case "orFinally":
      validateAt(t.main, `${where}.main`);
      validateAt(t.until, `${where}.until`);
      requireOnce(t.until, `${where}.until`, "an orFinally `until`");
      return;
    default:
      throw new ConstructionError(
        `${where} has unknown kind "${(t as { kind: string }).kind}". Build triggers with Triggers (e.g. Triggers.afterWatermark()).`,
      );
  }
}

function requireOnce(t: Trigger, where: string, role: string): void {
  if (isOnceTrigger(t)) return;
  const fix = t.kind === "repeatedly" ? ` Pass its inner trigger (${describeTrigger(t.trigger)}) instead: it repeats implicitly.` : "";
  throw new ConstructionError(
    `${where}: ${role} must be a trigger that fires at most once (afterWatermark without early/late, afterProcessingTime, afterCount, afterFirst, afterAll or never); got ${describeTrigger(t)}.${fix}`,
  );
}

function validateTransform(tr: TimestampTransform, where: string): void {
  if (tr !== null && typeof tr === "object" && "delay" in tr) {
    if (!Number.isFinite(tr.delay)) throw new ConstructionError(`${where}: delay must be a finite number of ms, got ${tr.delay}.`);
    return;
  }
  if (tr !== null && typeof tr === "object" && "alignTo" in tr) {
    const { period, offset } = tr.alignTo;
    if (!Number.isFinite(period) || period <= 0) {
      throw new ConstructionError(`${where}: alignTo period must be a positive number of ms, got ${period}.`);
    }
    if (!Number.isFinite(offset)) throw new ConstructionError(`${where}: alignTo offset must be a finite instant, got ${offset}.`);
    return;
  }
  throw new ConstructionError(`${where}: a timestamp transform is { delay } or { alignTo: { period, offset } }; got ${JSON.stringify(tr)}.`);
}

/**
 * Beam's Trigger.getContinuationTrigger: the trigger for the output of a GroupByKey that
 * keeps the intent of `t` (speculative stays speculative, once stays once).
 */
export function continuationTrigger(t: Trigger): Trigger {
  switch (t.kind) {
    case "default":
    case "afterSynchronizedProcessingTime":
    case "never":
      return t;
    case "afterWatermark":
      if (t.early === undefined && t.late === undefined) return t;
      return Object.freeze({
        kind: "afterWatermark",
        ...(t.early !== undefined ? { early: continuationTrigger(t.early) } : {}),
        ...(t.late !== undefined ? { late: continuationTrigger(t.late) } : {}),
      });
    case "afterProcessingTime":
      return AFTER_SYNCHRONIZED;
    case "afterCount":
      return Object.freeze({ kind: "afterCount", count: 1 });
    case "repeatedly":
      return Object.freeze({ kind: "repeatedly", trigger: continuationTrigger(t.trigger) });
    case "afterEach":
      // Java: Repeatedly.forever(new AfterFirst(continuations)).
      return Object.freeze({
        kind: "repeatedly",
        trigger: Object.freeze({ kind: "afterFirst", triggers: Object.freeze(t.triggers.map(continuationTrigger)) }),
      });
    case "afterFirst":
    case "afterAll":
      return Object.freeze({ kind: t.kind, triggers: Object.freeze(t.triggers.map(continuationTrigger)) });
    case "orFinally":
      // Java: Repeatedly.forever(new OrFinallyTrigger(main', until')).
      return Object.freeze({
        kind: "repeatedly",
        trigger: Object.freeze({ kind: "orFinally", main: continuationTrigger(t.main), until: continuationTrigger(t.until) }),
      });
  }
}

/**
 * Beam's Trigger.mayFinish: whether the trigger can finish (close the window before it
 * expires, dropping later data). Once triggers may; default and repeatedly never do;
 * afterWatermark may unless it has late firings; afterEach only if all its triggers may;
 * orFinally if either side may.
 */
export function triggerMayFinish(t: Trigger): boolean {
  switch (t.kind) {
    case "default":
    case "repeatedly":
      return false;
    case "afterWatermark":
      return t.late === undefined;
    case "afterEach":
      return t.triggers.every(triggerMayFinish);
    case "orFinally":
      return triggerMayFinish(t.main) || triggerMayFinish(t.until);
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
    case "afterCount":
    case "afterFirst":
    case "afterAll":
    case "never":
      return true;
  }
}

/**
 * Beam Java's GroupByKey.triggerIsSafe: false when the trigger may finish (close the window)
 * while data can still arrive, which Java's GroupByKey rejects with "Unsafe trigger '…' may
 * lose data, did you mean to wrap it in `Repeatedly.forever(...)`?". Safe: triggers that never
 * finish, never (it finishes at garbage collection), a plain afterWatermark or one with early
 * firings when allowed lateness is 0, and afterWatermark with late firings.
 */
export function isTriggerSafe(t: Trigger, allowedLateness: Duration): boolean {
  if (!triggerMayFinish(t)) return true;
  if (t.kind === "never") return true;
  if (t.kind === "afterWatermark") return allowedLateness === 0 || t.late !== undefined;
  return false;
}

/**
 * Beam's Trigger.getWatermarkThatGuaranteesFiring: the watermark by which `t` has fired at
 * least once for `window` had there been input; MAX_TIMESTAMP for triggers that do not
 * fire on the watermark.
 */
export function watermarkThatGuaranteesFiring(t: Trigger, window: BoundedWindow): Instant {
  switch (t.kind) {
    case "default":
    case "afterWatermark":
      return window.maxTimestamp();
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
    case "afterCount":
    case "never":
      return MAX_TIMESTAMP;
    case "repeatedly":
      return watermarkThatGuaranteesFiring(t.trigger, window);
    case "afterEach":
      return watermarkThatGuaranteesFiring(t.triggers[0]!, window);
    case "afterFirst":
      return t.triggers.reduce((m, s) => Math.min(m, watermarkThatGuaranteesFiring(s, window)), MAX_TIMESTAMP);
    case "afterAll":
      return t.triggers.reduce((m, s) => Math.max(m, watermarkThatGuaranteesFiring(s, window)), MIN_TIMESTAMP);
    case "orFinally":
      return Math.min(watermarkThatGuaranteesFiring(t.main, window), watermarkThatGuaranteesFiring(t.until, window));
  }
}

/**
 * A one-line description in the form of Beam Java's Trigger.toString (durations as Joda's
 * English word format, instants in ISO-8601). Stable: it is part of the graph fingerprint.
 * One departure: an explicit `late: never` is printed, since unlike a plain afterWatermark
 * it keeps the window open after the on-time pane.
 */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case "default":
      return "DefaultTrigger";
    case "never":
      return "Never.NeverTrigger";
    case "afterWatermark": {
      let s = "AfterWatermark.pastEndOfWindow()";
      if (t.early !== undefined && t.early.kind !== "never") s += `.withEarlyFirings(${describeTrigger(t.early)})`;
      if (t.late !== undefined) s += `.withLateFirings(${describeTrigger(t.late)})`;
      return s;
    }
    case "afterProcessingTime": {
      let s = "AfterProcessingTime.pastFirstElementInPane()";
      for (const tr of t.transforms) {
        s +=
          "delay" in tr
            ? `.plusDelayOf(${formatDuration(tr.delay)})`
            : `.alignedTo(${formatDuration(tr.alignTo.period)}, ${formatOffset(tr.alignTo.offset)})`;
      }
      return s;
    }
    case "afterSynchronizedProcessingTime":
      return "AfterSynchronizedProcessingTime.pastFirstElementInPane()";
    case "afterCount":
      return `AfterPane.elementCountAtLeast(${t.count})`;
    case "repeatedly":
      return `Repeatedly.forever(${describeTrigger(t.trigger)})`;
    case "afterEach":
      return `AfterEach.inOrder(${t.triggers.map(describeTrigger).join(", ")})`;
    case "afterFirst":
      return `AfterFirst.of(${t.triggers.map(describeTrigger).join(", ")})`;
    case "afterAll":
      return `AfterAll.of(${t.triggers.map(describeTrigger).join(", ")})`;
    case "orFinally":
      return `${describeTrigger(t.main)}.orFinally(${describeTrigger(t.until)})`;
  }
}

const DURATION_UNITS: readonly (readonly [number, string])[] = [
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1000, "second"],
  [1, "millisecond"],
];

/**
 * Joda's PeriodFormat.wordBased(ENGLISH) of Duration.toPeriod() (hours, minutes, seconds,
 * milliseconds): "1 hour, 2 minutes and 3 seconds", "0 milliseconds".
 */
function formatDuration(ms: Duration): string {
  const sign = ms < 0 ? -1 : 1;
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [size, unit] of DURATION_UNITS) {
    const n = size === 1 ? rest : Math.floor(rest / size);
    rest -= n * size;
    if (n !== 0) parts.push(`${sign * n} ${unit}${n === 1 ? "" : "s"}`);
  }
  if (parts.length === 0) return "0 milliseconds";
  if (parts.length === 1) return parts[0]!;
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]!}`;
}

function formatOffset(t: Instant): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}
