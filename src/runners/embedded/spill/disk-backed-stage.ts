import type { BoundedWindow, Instant, WindowingStrategy } from "../../../model/index.js";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../../model/index.js";
import { garbageCollectionTime } from "../../../runtime/index.js";
import type { SortedSpill } from "./sorted-spill.js";

/**
 * What the stages that go through local disk under a memory budget share (a GroupByKey, a
 * Combine, a stateful ParDo): they read one keyed input into an external sort and emit
 * only once it has ended, so the output watermark is held at `hold` (the earliest time
 * they may still emit at) until then, they never need a processing-time wake-up, and
 * closing removes their spill files.
 */
export abstract class DiskBackedStage {
  readonly isSource = false;
  readonly idle = false;
  readonly reads: readonly string[];
  protected inputWatermark: Instant = -Infinity;
  /** The earliest timestamp the stage may still emit at; Infinity once it has emitted all. */
  protected hold: Instant = Infinity;
  private output: Instant = -Infinity;

  constructor(
    readonly label: string,
    input: string,
    protected readonly spill: SortedSpill,
    private readonly windowing: WindowingStrategy,
  ) {
    this.reads = [input];
  }

  /** @internal the sink's view: a window past its garbage-collection time takes no data. */
  isLate(window: BoundedWindow): boolean {
    return garbageCollectionTime(window, this.windowing.allowedLateness, GLOBAL_WINDOW_MAX_TIMESTAMP) < this.inputWatermark;
  }

  outputWatermark(inputWatermark: Instant): Instant {
    this.output = Math.max(this.output, Math.min(inputWatermark, this.hold));
    return this.output;
  }

  nextWakeup(): Instant {
    return Infinity;
  }

  async close(): Promise<void> {
    this.spill.dispose();
  }
}
