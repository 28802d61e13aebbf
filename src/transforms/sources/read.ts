import type { Coder, Instant, ValueWithTimestamp } from "../../model/index.js";
import { ConstructionError, GLOBAL_WINDOWING } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { jsValueCoder } from "../../coders/index.js";


/** What one `read` call of a source reader returns. */
export interface SourceReadResult<T> {
  /** Elements available now (possibly none). */
  readonly elements: readonly ValueWithTimestamp<T>[];
  /**
   * The source's watermark after these elements: a promise that no later element has an
   * earlier timestamp. It never goes backwards (the runner checks).
   */
  readonly watermark: Instant;
  /** The source has no more elements; its watermark becomes +infinity. */
  readonly done?: boolean;
  /**
   * When nothing is available: the processing time at which reading again is worthwhile.
   * Without it the runner polls again soon (a few milliseconds).
   */
  readonly nextReadAt?: Instant;
  /**
   * The source has nothing to say for now and should not hold back downstream watermarks
   * (Flink's idle sources). Only honoured while other inputs of a stage are active.
   */
  readonly idle?: boolean;
}

/**
 * Reads one source; created once per run (and once more per restore from a checkpoint).
 * `M` is the source's checkpoint mark (see `Source.checkpointMarkCoder`).
 */
export interface SourceReader<T, M = unknown> {
  /** Returns at most `maxElements` elements. `now` is the runner's processing time. */
  read(maxElements: number, now: Instant): SourceReadResult<T> | Promise<SourceReadResult<T>>;
  /** Releases resources; called once when the source is done, drained or the job ends. */
  close?(): void | Promise<void>;
  /**
   * Beam's UnboundedReader.getCheckpointMark: the position just after every element that
   * `read` returned so far, from which a reader created with it (`createReader(mark)`)
   * continues without losing or repeating an element. Called between reads, when a
   * checkpoint is taken (`--checkpointDir`); it must not change what the next `read`
   * returns. A source whose reader lacks it cannot be checkpointed.
   */
  checkpointMark?(): M;
  /**
   * Beam's CheckpointMark.finalizeCheckpoint: called once the checkpoint holding `mark` is
   * durable, so the source may acknowledge what it read up to there (commit offsets, ack
   * messages to a broker). Called at most once per checkpoint, possibly after later reads;
   * a crash before it means the messages are read again from the restored mark, so acks
   * must be idempotent. Optional: sources that replay from their own position need nothing.
   */
  finalizeCheckpoint?(mark: M): void | Promise<void>;
}

/**
 * A source that tracks its own watermark, as Beam's UnboundedSource: the runner calls
 * `createReader()` once and then `read` repeatedly. Bounded sources set `isBounded` and end
 * with `done`. In a later version sources become splittable DoFns (Impulse + SDF); a source
 * written against this interface will be wrapped, not rewritten.
 *
 * Checkpoints (`--checkpointDir`, docs/FAULT_TOLERANCE.md) need the source's position, as
 * Beam's CheckpointMark: the reader's `checkpointMark()` gives it, `checkpointMarkCoder`
 * stores it, and a job restored from the checkpoint calls `createReader(mark)`. A source
 * without them runs only in jobs without checkpoints.
 *
 * @example
 * // Counts from 0; the mark is the next number, so a restored job continues from it.
 * const counter: Source<number, number> = {
 *   isBounded: false,
 *   checkpointMarkCoder: varIntCoder,
 *   createReader(mark = 0) {
 *     let next = mark;
 *     return {
 *       read: (max) => {
 *         const elements = Array.from({ length: max }, () => ({ value: next, timestamp: next++ }));
 *         return { elements, watermark: next - 1 };
 *       },
 *       checkpointMark: () => next,
 *     };
 *   },
 *   toString: () => "Counter",
 * };
 */
export interface Source<T, M = unknown> {
  /** True when the source ends by itself; its PCollection is then bounded. */
  readonly isBounded: boolean;
  /**
   * Creates the reader: at the start (`checkpointMark` undefined) or, in a job restored
   * from a checkpoint, at the position a reader's `checkpointMark()` returned.
   */
  createReader(checkpointMark?: M): SourceReader<T, M> | Promise<SourceReader<T, M>>;
  /**
   * The coder of the reader's checkpoint marks (Beam's getCheckpointMarkCoder): checkpoints
   * store the mark with it. Needed, with `SourceReader.checkpointMark`, in a job with
   * checkpoints.
   */
  readonly checkpointMarkCoder?: Coder<M>;
  /** A description for the graph fingerprint and messages. */
  toString(): string;
}

/**
 * Beam's Read: a PCollection read from a `Source`, in the global window, with the
 * timestamps the source gives. Unbounded sources make an unbounded PCollection: the job is
 * then a streaming job that runs until the source ends or the job is cancelled or drained.
 *
 * @example const ticks = p.apply(read(mySource, { coder: stringUtf8Coder }));
 */
export function read<T, M = unknown>(source: Source<T, M>, options: { readonly coder?: Coder<T> } = {}): PTransform<PBegin, PCollection<T>> {
  return new Read<T>(source, options.coder ?? (jsValueCoder as Coder<T>));
}

class Read<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(
    private readonly source: Source<T>,
    private readonly coder: Coder<T>,
  ) {
    super("Read");
  }
  expand(input: PBegin): PCollection<T> {
    if (typeof this.source?.createReader !== "function") {
      throw new ConstructionError(`read() needs a Source with createReader(); got ${String(this.source)}.`);
    }
    const [out] = input.pipeline.addPrimitive({ kind: "read", source: this.source }, [], [
      { tag: "main", coder: this.coder as Coder<unknown>, windowing: GLOBAL_WINDOWING, isBounded: this.source.isBounded === true },
    ]);
    return out as PCollection<T>;
  }
}
