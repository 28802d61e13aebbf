import type { ByteReader, ByteWriter, Instant, TestStreamEvent, WindowedValue } from "../../model/index.js";
import { BeamError, GLOBAL_WINDOW, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, UserCodeError, inGlobalWindow } from "../../model/index.js";
import type { FinalizationCallback, PendingCalls, Receiver } from "../../runtime/index.js";
import type { Source, SourceReader, SourceReadResult } from "../../transforms/index.js";
import type { Stage, StepContext } from "./stage.js";
import type { ManualClock } from "./watermarks/clock.js";

const GLOBAL = Object.freeze([GLOBAL_WINDOW]);

/*
 * Snapshot layouts of the source stages (checkpoints, docs/FAULT_TOLERANCE.md). The
 * executor frames each stage's bytes; inside, every source stage writes, in order:
 *
 *   version   byte        SOURCE_SNAPSHOT_VERSION (1)
 *   done      byte        1 when the source will never emit again
 *   watermark double BE   the source's output watermark so far
 *
 * then its own fields:
 *
 *   ImpulseStage     nothing
 *   ReadStage        idle byte; wakeAt double BE (absolute processing time of the next
 *                    read, may be in the past after a restore); hasMark byte (0: no mark,
 *                    the reader starts from the beginning; 1: a mark follows); mark
 *                    (the source's checkpointMarkCoder, nested)
 *   TestStreamStage  next varint (index of the next event); eventCount varint (checked on
 *                    restore: the same TestStream); clock double BE (the ManualClock's time)
 */
const SOURCE_SNAPSHOT_VERSION = 1;

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

  snapshot(out: ByteWriter): void {
    out.writeByte(SOURCE_SNAPSHOT_VERSION);
    out.writeByte(this.done ? 1 : 0);
    out.writeDoubleBE(this.watermark);
  }

  restore(input: ByteReader): void {
    const version = input.readByte();
    if (version !== SOURCE_SNAPSHOT_VERSION) {
      throw new BeamError("CHECKPOINT_FORMAT", `Source "${this.label}": snapshot version ${version} is not one this beam-ts reads (${SOURCE_SNAPSHOT_VERSION}).`);
    }
    this.done = input.readByte() === 1;
    this.watermark = input.readDoubleBE();
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

/**
 * Beam's Read: polls a source reader, one bundle per step, and follows its watermark. Its
 * snapshot holds the reader's checkpoint mark (Beam's CheckpointMark), from which a
 * restored job's reader continues.
 */
export class ReadStage extends SourceStage {
  private reader: SourceReader<unknown> | undefined;
  private wakeAt: Instant = -Infinity;
  /** Read from a checkpoint: where the reader, created at the first step, starts. */
  private restoredMark: { readonly mark: unknown } | undefined;
  private snapshotMark: { readonly mark: unknown } | undefined;

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
    if (this.reader === undefined) {
      const mark = this.restoredMark;
      this.reader = await this.call("createReader", () => (mark === undefined ? this.source.createReader() : this.source.createReader(mark.mark)));
    }
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

  /**
   * Why this source cannot be checkpointed (undefined: it can), so a job that asks for
   * checkpoints is refused when it starts rather than at its first checkpoint. The reader's
   * `checkpointMark` is checked when the reader exists (snapshot).
   */
  checkpointProblem(): string | undefined {
    if (this.source.checkpointMarkCoder !== undefined) return undefined;
    return this.notCheckpointable("has no checkpointMarkCoder");
  }

  override snapshot(out: ByteWriter): void {
    const problem = this.checkpointProblem();
    if (problem !== undefined) throw new BeamError("NOT_CHECKPOINTABLE", problem);
    const coder = this.source.checkpointMarkCoder!;
    super.snapshot(out);
    out.writeByte(this.idle ? 1 : 0);
    out.writeDoubleBE(this.wakeAt);
    const mark = this.done ? undefined : this.currentMark();
    if (mark === undefined) {
      out.writeByte(0);
      return;
    }
    out.writeByte(1);
    this.userCall("checkpointMarkCoder.encode", () => coder.encode(mark.mark, out, true));
    this.snapshotMark = mark;
  }

  /**
   * The mark of the snapshot just taken, finalized (`finalizeCheckpoint`: acks to a broker)
   * once the checkpoint holding it is durable, as Beam's CheckpointMark.finalizeCheckpoint.
   */
  checkpointed(): FinalizationCallback | undefined {
    const mark = this.snapshotMark;
    this.snapshotMark = undefined;
    const reader = this.reader;
    if (mark === undefined || reader?.finalizeCheckpoint === undefined) return undefined;
    return { step: this.label, expiry: Infinity, callback: () => reader.finalizeCheckpoint!(mark.mark) };
  }

  override restore(input: ByteReader): void {
    super.restore(input);
    this.idle = input.readByte() === 1;
    this.wakeAt = input.readDoubleBE();
    if (input.readByte() === 0) return;
    const coder = this.source.checkpointMarkCoder;
    if (coder === undefined) throw new BeamError("NOT_CHECKPOINTABLE", this.notCheckpointable("has no checkpointMarkCoder to read the checkpoint's mark with"));
    this.restoredMark = { mark: this.userCall("checkpointMarkCoder.decode", () => coder.decode(input, true)) };
  }

  /** The position after everything read so far: the reader's mark, else the one restored, else none (the start). */
  private currentMark(): { readonly mark: unknown } | undefined {
    const reader = this.reader;
    if (reader === undefined) return this.restoredMark;
    if (typeof reader.checkpointMark !== "function") {
      throw new BeamError("NOT_CHECKPOINTABLE", this.notCheckpointable("has a reader without checkpointMark()"));
    }
    return { mark: this.userCall("checkpointMark", () => reader.checkpointMark!()) };
  }

  private notCheckpointable(what: string): string {
    return (
      `Source "${this.label}" (${String(this.source)}) cannot be checkpointed: it ${what}. ` +
      `Give its reader checkpointMark() (the position after the elements read so far) and the source a checkpointMarkCoder, ` +
      `and create the reader from a mark in createReader(mark) (see Source in beam-ts), or run the job without --checkpointDir.`
    );
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    if (reader?.close) await this.call("close", () => reader.close!());
  }

  private userCall<R>(what: string, fn: () => R): R {
    try {
      return fn();
    } catch (err) {
      throw new UserCodeError(this.label, undefined, undefined, `Source "${this.label}" failed in ${what}(): ${String(err)}`, { cause: err });
    }
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

  override snapshot(out: ByteWriter): void {
    super.snapshot(out);
    out.writeVarInt(this.next);
    out.writeVarInt(this.events.length);
    out.writeDoubleBE(this.clock.now());
  }

  override restore(input: ByteReader): void {
    super.restore(input);
    const next = input.readVarInt();
    const count = input.readVarInt();
    if (count !== this.events.length || next > count) {
      throw new BeamError(
        "CHECKPOINT_INCOMPATIBLE",
        `TestStream "${this.label}": the checkpoint was taken of a TestStream of ${count} events, this one has ${this.events.length}.`,
      );
    }
    this.next = next;
    this.clock.restoreTo(input.readDoubleBE());
  }
}
