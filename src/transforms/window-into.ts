import type { BoundedWindow, Duration, TimestampCombiner, WindowFn, WindowingStrategy } from "../model/index.js";
import { ConstructionError } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";

/** Options of windowInto beyond the WindowFn. */
export interface WindowIntoOptions {
  /** How late (after the watermark passes a window's end) data is still accepted. */
  readonly allowedLateness?: Duration;
  /** Output timestamp of grouped panes: END_OF_WINDOW (default), EARLIEST or LATEST. */
  readonly timestampCombiner?: TimestampCombiner;
}

/**
 * Beam's Window.into: assigns each element to windows of `windowFn`; later GroupByKey and
 * Combine group per window.
 *
 * @example events.apply(windowInto(fixedWindows(Durations.minutes(1))))
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
    const windowing: WindowingStrategy = {
      ...input.windowing,
      windowFn: this.windowFn,
      allowedLateness: lateness,
      timestampCombiner: this.options.timestampCombiner ?? input.windowing.timestampCombiner,
    };
    const [out] = input.pipeline.addPrimitive({ kind: "assignWindows", windowing }, [input as PCollection<unknown>], [
      { tag: "main", coder: input.coder as never, windowing, isBounded: input.isBounded },
    ]);
    return out as PCollection<T>;
  }
}
