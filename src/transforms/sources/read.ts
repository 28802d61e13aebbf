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

/** Reads one source; created once per run. */
export interface SourceReader<T> {
  /** Returns at most `maxElements` elements. `now` is the runner's processing time. */
  read(maxElements: number, now: Instant): SourceReadResult<T> | Promise<SourceReadResult<T>>;
  /** Releases resources; called once when the source is done, drained or the job ends. */
  close?(): void | Promise<void>;
}

/**
 * A source that tracks its own watermark, as Beam's UnboundedSource: the runner calls
 * `createReader()` once and then `read` repeatedly. Bounded sources set `isBounded` and end
 * with `done`. In a later version sources become splittable DoFns (Impulse + SDF); a source
 * written against this interface will be wrapped, not rewritten.
 */
export interface Source<T> {
  /** True when the source ends by itself; its PCollection is then bounded. */
  readonly isBounded: boolean;
  createReader(): SourceReader<T> | Promise<SourceReader<T>>;
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
export function read<T>(source: Source<T>, options: { readonly coder?: Coder<T> } = {}): PTransform<PBegin, PCollection<T>> {
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
