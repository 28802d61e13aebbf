import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, PaneInfo, WindowedValue } from "../../model/index.js";
import { BeamError, describeValue } from "../../model/index.js";
import { jsValueCoder } from "../../coders/index.js";
import { restrictionCoder } from "../../harness/contract.js";
import type { SnapshotCoders } from "./checkpoint/snapshot-coders.js";

/*
 * The snapshot of a splittable DoFn's stage (checkpoints, docs/FAULT_TOLERANCE.md), inside
 * the frame the executor gives each stage. In order:
 *
 *   version         byte        SPLITTABLE_SNAPSHOT_VERSION (1)
 *   inputWatermark  double BE   the stage's input watermark at its last step
 *   output          double BE   its output watermark so far (never goes back)
 *   drained         byte        1 once pending work was truncated for a drain
 *   buffer          varint n, then n elements: input element (below)
 *   queue           varint n, then n work items:
 *     element         input element (below): the element, its window, pane and timestamp
 *     restriction     sdf_restriction coder (harness/restriction-coder.ts), nested: an
 *                     OffsetRange as two int64s, anything else as a JS value (plain data)
 *     watermarkState  js_value coder, nested (the watermark estimator's state)
 *     watermark       double BE   what the item holds the output watermark to
 *     notBefore       double BE   processing time before which it does not run (absolute;
 *                                 in the past after a restore, it runs at once)
 *     stalls          varint      checkpoints in a row without progress
 *     onDemand        byte        1 for a piece that was taken on demand (a parallel job)
 *
 * An input element is the input PCollection's windowed-value coder (nested), followed by
 * its timestamp as a double BE: the coder has Beam's millisecond instants, the double keeps
 * a fractional or extreme timestamp exact.
 *
 * Pieces not yet taken on demand in a parallel job (the job-wide claims table) are not part
 * of any executor's state: a job with checkpoints shares pieces in fixed shares instead.
 */
const SPLITTABLE_SNAPSHOT_VERSION = 1;

/** One element with the restriction still to do (SplittableStage's work item). */
export interface WorkItem {
  readonly element: unknown;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
  readonly pane: PaneInfo;
  readonly restriction: unknown;
  readonly watermarkState: unknown;
  /** The output watermark this work promises (estimator's, else the element's timestamp). */
  readonly watermark: Instant;
  readonly notBefore: Instant;
  /** Taken on demand (a parallel job's bounded piece): the executor takes the next when it ends. */
  readonly onDemand: boolean;
  /** Checkpoints in a row whose residual was this same restriction (no progress). */
  readonly stalls?: number;
}

/** What a SplittableStage holds between passes. */
export interface SplittableState {
  readonly inputWatermark: Instant;
  readonly output: Instant;
  readonly drained: boolean;
  readonly buffer: readonly WindowedValue<unknown>[];
  readonly queue: readonly WorkItem[];
}

/** Writes a splittable stage's state; `step` names it in errors, `input` is its input PCollection. */
export function writeSplittableState(out: ByteWriter, coders: SnapshotCoders, step: string, input: string, state: SplittableState): void {
  const elementCoder = coders.windowedValue(input);
  out.writeByte(SPLITTABLE_SNAPSHOT_VERSION);
  out.writeDoubleBE(state.inputWatermark);
  out.writeDoubleBE(state.output);
  out.writeByte(state.drained ? 1 : 0);
  out.writeVarInt(state.buffer.length);
  for (const wv of state.buffer) writeElement(out, elementCoder, wv);
  out.writeVarInt(state.queue.length);
  for (const w of state.queue) {
    writeElement(out, elementCoder, { value: w.element, timestamp: w.timestamp, windows: [w.window], pane: w.pane });
    encodeUserValue(step, "restriction", restrictionCoder, w.restriction, out);
    encodeUserValue(step, "watermark estimator state", jsValueCoder, w.watermarkState, out);
    out.writeDoubleBE(w.watermark);
    out.writeDoubleBE(w.notBefore);
    out.writeVarInt(w.stalls ?? 0);
    out.writeByte(w.onDemand ? 1 : 0);
  }
}

/** Reads what writeSplittableState wrote. */
export function readSplittableState(input: ByteReader, coders: SnapshotCoders, step: string, inputPc: string): SplittableState {
  const version = input.readByte();
  if (version !== SPLITTABLE_SNAPSHOT_VERSION) {
    throw new BeamError("CHECKPOINT_FORMAT", `Splittable DoFn "${step}": snapshot version ${version} is not one this beam-ts reads (${SPLITTABLE_SNAPSHOT_VERSION}).`);
  }
  const elementCoder = coders.windowedValue(inputPc);
  const inputWatermark = input.readDoubleBE();
  const output = input.readDoubleBE();
  const drained = input.readByte() === 1;
  const buffer: WindowedValue<unknown>[] = [];
  for (let n = input.readVarInt(); n > 0; n--) buffer.push(readElement(input, elementCoder));
  const queue: WorkItem[] = [];
  for (let n = input.readVarInt(); n > 0; n--) {
    const wv = readElement(input, elementCoder);
    const restriction = restrictionCoder.decode(input, true);
    const watermarkState = jsValueCoder.decode(input, true);
    const watermark = input.readDoubleBE();
    const notBefore = input.readDoubleBE();
    const stalls = input.readVarInt();
    const onDemand = input.readByte() === 1;
    queue.push({ element: wv.value, timestamp: wv.timestamp, window: wv.windows[0]!, pane: wv.pane, restriction, watermarkState, watermark, notBefore, stalls, onDemand });
  }
  return { inputWatermark, output, drained, buffer, queue };
}

function writeElement(out: ByteWriter, coder: Coder<WindowedValue<unknown>>, wv: WindowedValue<unknown>): void {
  coder.encode(wv, out, true);
  out.writeDoubleBE(wv.timestamp);
}

function readElement(input: ByteReader, coder: Coder<WindowedValue<unknown>>): WindowedValue<unknown> {
  const wv = coder.decode(input, true);
  return { ...wv, timestamp: input.readDoubleBE() };
}

/**
 * Encodes a value the DoFn made (restriction, estimator state). They are written with the
 * runner's coders for them, which take OffsetRanges and plain data; a class instance is
 * refused, naming the step, since it would come back without its prototype.
 */
function encodeUserValue(step: string, what: string, coder: Coder<unknown>, value: unknown, out: ByteWriter): void {
  try {
    coder.encode(value, out, true);
  } catch (err) {
    throw new BeamError(
      "NOT_CHECKPOINTABLE",
      `Splittable DoFn "${step}": its ${what} ${describeValue(value)} cannot be written into a checkpoint (${err instanceof Error ? err.message : String(err)}). ` +
        `Use an OffsetRange or plain data (numbers, strings, arrays, plain objects, Map, Set, Date, bigint, Uint8Array) for it, ` +
        `and rebuild any class in newTracker/newWatermarkEstimator; or run the job without --checkpointDir.`,
      { cause: err },
    );
  }
}
