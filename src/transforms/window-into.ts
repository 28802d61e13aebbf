import type {
  AccumulationMode,
  BoundedWindow,
  Duration,
  TimestampCombiner,
  Trigger,
  WindowFn,
  WindowingStrategy,
} from "../model/index.js";
import { ConstructionError, describeTrigger, describeValue, validateTrigger } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";

/**
 * Options of windowInto beyond the WindowFn. Each is validated when the transform is
 * applied: an unknown option or an enumerated option outside its values is a
 * ConstructionError naming the transform, the value and the valid ones.
 */
export interface WindowIntoOptions {
  /** How late (after the watermark passes a window's end) data is still accepted. */
  readonly allowedLateness?: Duration;
  /**
   * Output timestamp of grouped panes: END_OF_WINDOW (default), EARLIEST, LATEST, or
   * EARLIEST_TRANSFORMED (the earliest of the output times the WindowFn's
   * `getTransformedOutputTime` gives the pane's elements; Beam Python's
   * OUTPUT_AT_EARLIEST_TRANSFORMED).
   */
  readonly timestampCombiner?: TimestampCombiner;
  /**
   * When GroupByKey emits panes of a window (Beam's Window.triggering). Defaults to the
   * input's trigger (the default trigger for a PCollection nobody windowed).
   */
  readonly trigger?: Trigger;
  /**
   * Whether a later pane repeats the elements of earlier ones. Required with a trigger other
   * than the default one, as Beam requires (Python's Windowing raises "accumulation_mode must
   * be provided for non-trivial triggers"; Java's Window asks for discardingFiredPanes() or
   * accumulatingFiredPanes()). Otherwise defaults to the input's mode (DISCARDING unless set).
   */
  readonly accumulationMode?: AccumulationMode;
}

/**
 * Beam's Window.into: assigns each element to windows of `windowFn`; later GroupByKey and
 * Combine group per window, emitting panes when the trigger fires.
 *
 * @example events.apply(windowInto(fixedWindows(Durations.minutes(1))))
 * @example
 * events.apply(
 *   windowInto(fixedWindows(Durations.minutes(1)), {
 *     trigger: Triggers.afterWatermark({ late: Triggers.afterCount(1) }),
 *     accumulationMode: "ACCUMULATING",
 *     allowedLateness: Durations.minutes(10),
 *   }),
 * );
 */
export function windowInto<T, W extends BoundedWindow>(
  windowFn: WindowFn<W>,
  options: WindowIntoOptions = {},
): PTransform<PCollection<T>, PCollection<T>> {
  return new WindowInto<T>(windowFn as WindowFn<BoundedWindow>, options);
}

/** The values of each enumerated option (keyed so the compiler checks they are all there). */
const TIMESTAMP_COMBINERS = Object.keys({ END_OF_WINDOW: 0, EARLIEST: 0, LATEST: 0, EARLIEST_TRANSFORMED: 0 } satisfies Record<TimestampCombiner, 0>);
const ACCUMULATION_MODES = Object.keys({ DISCARDING: 0, ACCUMULATING: 0 } satisfies Record<AccumulationMode, 0>);
const OPTION_NAMES = Object.keys({
  allowedLateness: 0,
  timestampCombiner: 0,
  trigger: 0,
  accumulationMode: 0,
} satisfies Record<keyof WindowIntoOptions, 0>);

/**
 * Beam options windowInto does not take, with what beam-ts does instead (Java's
 * Window.withOnTimeBehavior and the ClosingBehavior of withAllowedLateness).
 */
const FIXED_BEHAVIOURS: Readonly<Record<string, string>> = {
  onTimeBehavior: "the ON_TIME pane always fires, even when empty (Beam's default, FIRE_ALWAYS)",
  closingBehavior: "the final pane at garbage collection fires only when non-empty (Beam's default, FIRE_IF_NON_EMPTY)",
};

class WindowInto<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(
    private readonly windowFn: WindowFn<BoundedWindow>,
    private readonly options: WindowIntoOptions,
  ) {
    // "/" separates label parts, so a WindowFn description must not bring one in.
    super(`WindowInto(${windowFn.toString().replaceAll("/", "|")})`);
  }
  expand(input: PCollection<T>): PCollection<T> {
    if (typeof this.windowFn?.assignWindows !== "function") {
      throw new ConstructionError(`windowInto needs a WindowFn with assignWindows; got ${String(this.windowFn)}.`);
    }
    if (this.windowFn.isMerging && typeof this.windowFn.mergeWindows !== "function") {
      throw new ConstructionError(`${this.windowFn.toString()} says it is merging but has no mergeWindows().`);
    }
    const shift: unknown = this.windowFn.getTransformedOutputTime;
    if (shift !== undefined && typeof shift !== "function") {
      throw new ConstructionError(
        `${this.name}: ${this.windowFn.toString()}'s getTransformedOutputTime must be a function (window, timestamp) => output time; got ${shown(shift)}.`,
      );
    }
    this.validateOptions();
    const lateness = this.options.allowedLateness ?? input.windowing.allowedLateness;
    const { trigger, accumulationMode } = this.triggering(input.windowing);
    const windowing: WindowingStrategy = {
      ...input.windowing,
      windowFn: this.windowFn,
      trigger,
      accumulationMode,
      allowedLateness: lateness,
      timestampCombiner: this.options.timestampCombiner ?? input.windowing.timestampCombiner,
    };
    const [out] = input.pipeline.addPrimitive({ kind: "assignWindows", windowing }, [input as PCollection<unknown>], [
      { tag: "main", coder: input.coder as never, windowing, isBounded: input.isBounded },
    ]);
    return out as PCollection<T>;
  }

  /**
   * Rejects what Beam would not take (Python's WindowInto raises on an unknown argument;
   * Java's enums admit no other value) rather than let it act as a default.
   */
  private validateOptions(): void {
    const options: unknown = this.options;
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new ConstructionError(`${this.name}: windowInto's options must be an object like { allowedLateness: 0 }; got ${shown(options)}.`);
    }
    for (const name of Object.keys(options)) {
      if (OPTION_NAMES.includes(name)) continue;
      const fixed = FIXED_BEHAVIOURS[name];
      throw new ConstructionError(
        `${this.name}: windowInto has no option ${JSON.stringify(name)}` +
          (fixed !== undefined ? ` (in beam-ts ${fixed})` : "") +
          `; its options are ${OPTION_NAMES.join(", ")}.`,
      );
    }
    const { timestampCombiner, accumulationMode, allowedLateness } = this.options;
    this.requireOneOf("timestampCombiner", timestampCombiner, TIMESTAMP_COMBINERS, "Beam's TimestampCombiner");
    this.requireOneOf("accumulationMode", accumulationMode, ACCUMULATION_MODES, "Beam's AccumulationMode");
    if (allowedLateness !== undefined && !(typeof allowedLateness === "number" && allowedLateness >= 0)) {
      throw new ConstructionError(
        `${this.name}: allowedLateness must be a duration in milliseconds, >= 0 (e.g. Durations.minutes(10)); got ${shown(allowedLateness)}.`,
      );
    }
  }

  /** Throws unless `value` is absent or one of `valid`. */
  private requireOneOf(option: string, value: unknown, valid: readonly string[], what: string): void {
    if (value === undefined || (typeof value === "string" && valid.includes(value))) return;
    throw new ConstructionError(
      `${this.name}: ${option} must be one of ${valid.map((v) => JSON.stringify(v)).join(", ")} (${what}); got ${shown(value)}.`,
    );
  }

  /** The trigger and accumulation mode of the output, validated as Beam validates them. */
  private triggering(inputWindowing: WindowingStrategy): { trigger: Trigger; accumulationMode: AccumulationMode } {
    const { trigger, accumulationMode } = this.options;
    if (trigger !== undefined) {
      try {
        validateTrigger(trigger);
      } catch (e) {
        throw new ConstructionError(`${this.name}: ${(e as Error).message}`, { cause: e });
      }
      if (trigger.kind !== "default" && accumulationMode === undefined) {
        throw new ConstructionError(
          `${this.name}: the trigger ${describeTrigger(trigger)} can fire more than one pane, so windowInto needs an ` +
            `accumulationMode: add accumulationMode: "DISCARDING" (each pane holds only new elements) or "ACCUMULATING" ` +
            `(each pane repeats the earlier ones).`,
        );
      }
    }
    return {
      trigger: trigger ?? inputWindowing.trigger,
      accumulationMode: accumulationMode ?? inputWindowing.accumulationMode,
    };
  }
}

/** An option's value in a message (describeValue, but NaN stays NaN). */
function shown(value: unknown): string {
  return typeof value === "number" ? String(value) : describeValue(value);
}
