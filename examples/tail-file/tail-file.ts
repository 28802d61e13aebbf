import { closeSync, openSync, readSync } from "node:fs";
import {
  GrowableOffsetRangeTracker,
  MonotonicallyIncreasingWatermarkEstimator,
  MIN_TIMESTAMP,
  OffsetRange,
  ProcessContinuation,
  UNBOUNDED_OFFSET,
  create,
  ptransform,
  splittableParDo,
  type Duration,
  type Instant,
  type PBegin,
  type PCollection,
  type PTransform,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../src/index.js";

/** A line of the file and where it starts. */
export interface TailedLine {
  readonly offset: number;
  readonly line: string;
}

/**
 * Reads the complete lines of a file that keeps growing (a log), as a splittable DoFn.
 *
 * - The restriction is the byte range still to read, [offset, ∞): a growable range, so the
 *   source is unbounded.
 * - `process` reads new bytes from the restriction's start, claims each complete line's
 *   start offset before emitting it (a failed claim means the runner checkpointed: stop),
 *   and at the end of the file asks to be resumed after `pollEvery`.
 * - Lines are timestamped by `timestampOf`; the watermark estimator follows those
 *   timestamps (monotonically increasing), so windows downstream fire as the log advances.
 */
class TailFn implements SplittableDoFn<string, TailedLine, OffsetRange> {
  constructor(
    readonly pollEvery: Duration,
    readonly timestampOf: (line: string, now: Instant) => Instant,
  ) {}

  getInitialRestriction(): OffsetRange {
    return new OffsetRange(0, UNBOUNDED_OFFSET);
  }

  newTracker(_path: string, range: OffsetRange): GrowableOffsetRangeTracker {
    // The range end estimate is unknown; the runner only ever checkpoints a tail.
    return new GrowableOffsetRangeTracker(range.from, () => UNBOUNDED_OFFSET);
  }

  getInitialWatermarkState(): Instant {
    return MIN_TIMESTAMP;
  }

  newWatermarkEstimator(state: unknown): MonotonicallyIncreasingWatermarkEstimator {
    return new MonotonicallyIncreasingWatermarkEstimator(state as Instant);
  }

  process(path: string, ctx: SplittableProcessContext<TailedLine, OffsetRange, number>): ProcessContinuation {
    const fd = openSync(path, "r");
    try {
      const chunk = Buffer.alloc(64 * 1024);
      // A restriction [a, ∞) holds the lines that *start* at or after a (a residual begins
      // just after the last claimed line start): unless a is 0, skip to the first line
      // start at or after a, i.e. past the first newline at or after a - 1.
      let offset = this.firstLineStart(fd, chunk, ctx.tracker.currentRestriction().from);
      if (offset === undefined) return ProcessContinuation.resume(this.pollEvery);
      let pending = Buffer.alloc(0);
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, offset + pending.length);
        if (n === 0) break;
        pending = Buffer.concat([pending, chunk.subarray(0, n)]);
        let newline = pending.indexOf(10);
        while (newline >= 0) {
          // Claim the line's start before emitting it: false means stop here.
          if (!ctx.tracker.tryClaim(offset)) return ProcessContinuation.stop();
          const line = pending.subarray(0, newline).toString("utf8").replace(/\r$/, "");
          ctx.outputWithTimestamp({ offset, line }, this.timestampOf(line, ctx.processingTime));
          offset += newline + 1;
          pending = pending.subarray(newline + 1);
          newline = pending.indexOf(10);
        }
      }
    } finally {
      closeSync(fd);
    }
    // At the end of what was written so far: come back later for more.
    return ProcessContinuation.resume(this.pollEvery);
  }

  /** The first line start at or after `from`; undefined when that line is not written yet. */
  private firstLineStart(fd: number, chunk: Buffer, from: number): number | undefined {
    if (from === 0) return 0;
    for (let at = from - 1; ; ) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      if (n === 0) return undefined;
      const newline = chunk.subarray(0, n).indexOf(10);
      if (newline >= 0) return at + newline + 1;
      at += n;
    }
  }
}

/**
 * The lines of a growing file, forever (until the job is drained or cancelled).
 *
 * @example p.apply(tailFile("/var/log/app.log", { timestampOf: (line) => Date.parse(line.slice(0, 24)) }))
 */
export function tailFile(
  path: string,
  options: { readonly pollEvery?: Duration; readonly timestampOf?: (line: string, now: Instant) => Instant } = {},
): PTransform<PBegin, PCollection<TailedLine>> {
  const fn = new TailFn(options.pollEvery ?? 1000, options.timestampOf ?? ((_line, now) => now));
  return ptransform("TailFile", (input: PBegin) => input.apply("Path", create([path])).apply("Tail", splittableParDo(fn, { unbounded: true })));
}
