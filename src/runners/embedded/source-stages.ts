import type { Instant, TestStreamEvent, WindowedValue } from "../../model/index.js";
import { GLOBAL_WINDOW, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, UserCodeError, inGlobalWindow } from "../../model/index.js";
import type { PendingCalls, Receiver } from "../../runtime/index.js";
import type { Source, SourceReader, SourceReadResult } from "../../transforms/index.js";
import type { Stage, StepContext } from "./stage.js";
import type { ManualClock } from "./watermarks/clock.js";

const GLOBAL = Object.freeze([GLOBAL_WINDOW]);

abstract class SourceStage implements Stage {
  readonly reads: readonly string[] = [];
  readonly isSource = true;
  idle = false;
  done = false;
  protected watermark: Instant = MIN_TIMESTAMP;
  constructor(
    readonly label: string,
    readonly entryPc: string,
    readonly entry: Receiver,
  ) {}
  abstract step(ctx: StepContext): Promise<boolean>;
  outputWatermark(): Instant {
    return this.done ? MAX_TIMESTAMP : this.watermark;
  }
  nextWakeup(): Instant {
    return Infinity;
  }
}

/** Beam's Impulse: one bundle of one empty byte array, then the watermark is +infinity. */
export class ImpulseStage extends SourceStage {
  async step(ctx: StepContext): Promise<boolean> {
    if (this.done) return false;
    await ctx.emit([inGlobalWindow(new Uint8Array(0))]);
    this.done = true;
    return true;
  }
}

/** How long to wait before reading again a source that had nothing and gave no time. */
const IDLE_POLL_MS = 5;

/** Beam's Read: polls a source reader, one bundle per step, and follows its watermark. */
export class ReadStage extends SourceStage {
  private reader: SourceReader<unknown> | undefined;
  private wakeAt: Instant = -Infinity;

  constructor(
    label: string,
    entryPc: string,
    entry: Receiver,
    private readonly source: Source<unknown>,
    private readonly bundleSize: number,
    /** Where a read that returned a promise is recorded while pending (stall detection). */
    private readonly pendingCalls?: PendingCalls,
  ) {
    super(label, entryPc, entry);
  }

  async step(ctx: StepContext): Promise<boolean> {
    if (this.done) return false;
    if (ctx.draining) {
      await this.close();
      this.done = true;
      return true;
    }
    if (ctx.now < this.wakeAt) return false;
    this.reader ??= await this.call("createReader", () => this.source.createReader());
    const reader = this.reader;
    const result: SourceReadResult<unknown> = await this.call("read", () => reader.read(this.bundleSize, ctx.now));
    const elements = result.elements;
    if (elements.length > 0) {
      const bundle: WindowedValue<unknown>[] = new Array(elements.length);
      for (let i = 0; i < elements.length; i++) {
        const e = elements[i]!;
        bundle[i] = { value: e.value, timestamp: e.timestamp, windows: GLOBAL, pane: NO_FIRING };
      }
      await ctx.emit(bundle);
    }
    this.watermark = result.watermark;
    this.idle = result.idle === true;
    if (result.done === true) {
      this.done = true;
      await this.close();
    }
    this.wakeAt = elements.length > 0 ? ctx.now : (result.nextReadAt ?? ctx.now + IDLE_POLL_MS);
    return elements.length > 0 || this.done;
  }

  override nextWakeup(): Instant {
    return this.done ? Infinity : this.wakeAt;
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    if (reader?.close) await this.call("close", () => reader.close!());
  }

  private async call<R>(what: string, fn: () => R | Promise<R>): Promise<R> {
    const pending = this.pendingCalls?.begin(this.label, what);
    try {
      return await fn();
    } catch (err) {
      throw new UserCodeError(this.label, undefined, undefined, `Source "${this.label}" failed in ${what}(): ${String(err)}`, {
        cause: err,
      });
    } finally {
      if (pending !== undefined) this.pendingCalls!.end(pending);
    }
  }
}

/**
 * Beam's TestStream: plays its events one per step, so everything an event causes
 * downstream (firings included) happens before the next event. Processing-time events
 * move the job's ManualClock. After the last event the watermark goes to +infinity.
 */
export class TestStreamStage extends SourceStage {
  private next = 0;

  constructor(
    label: string,
    entryPc: string,
    entry: Receiver,
    private readonly events: readonly TestStreamEvent[],
    private readonly clock: ManualClock,
  ) {
    super(label, entryPc, entry);
  }

  async step(ctx: StepContext): Promise<boolean> {
    if (this.done) return false;
    if (ctx.draining || this.next >= this.events.length) {
      this.done = true;
      return true;
    }
    const event = this.events[this.next++]!;
    switch (event.kind) {
      case "elements":
        await ctx.emit(event.elements.map((e) => ({ value: e.value, timestamp: e.timestamp, windows: GLOBAL, pane: NO_FIRING })));
        break;
      case "watermark":
        this.watermark = Math.max(this.watermark, event.watermark);
        break;
      case "processingTime":
        this.clock.advance(event.advanceBy);
        break;
    }
    return true;
  }
}
