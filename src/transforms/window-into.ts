import type {
  AccumulationMode,
  BoundedWindow,
  Duration,
  TimestampCombiner,
  Trigger,
  WindowFn,
  WindowingStrategy,
} from "../model/index.js";
import { ConstructionError, describeTrigger, validateTrigger } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";

/** Options of windowInto beyond the WindowFn. */
export interface WindowIntoOptions {
  /** How late (after the watermark passes a window's end) data is still accepted. */
  readonly allowedLateness?: Duration;
  /** Output timestamp of grouped panes: END_OF_WINDOW (default), EARLIEST or LATEST. */
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
    const lateness = this.options.allowedLateness ?? input.windowing.allowedLateness;
    if (!(lateness >= 0)) throw new ConstructionError(`allowedLateness must be >= 0 ms, got ${lateness}.`);
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
    if (accumulationMode !== undefined && accumulationMode !== "DISCARDING" && accumulationMode !== "ACCUMULATING") {
      throw new ConstructionError(
        `${this.name}: accumulationMode must be "DISCARDING" or "ACCUMULATING", got ${JSON.stringify(accumulationMode)}.`,
      );
    }
    return {
      trigger: trigger ?? inputWindowing.trigger,
      accumulationMode: accumulationMode ?? inputWindowing.accumulationMode,
    };
  }
}
