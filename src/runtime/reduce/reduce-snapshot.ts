import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, PaneTiming } from "../../model/index.js";
import { CoderError } from "../../model/index.js";
import type { TriggerState } from "../triggers/index.js";

/**
 * The byte layout of a ReduceRunner's snapshot (checkpoints, docs/FAULT_TOLERANCE.md),
 * version 1. User values go through the step's coders; runner metadata is written with
 * the writer's primitives. Instants are IEEE doubles (writeDoubleBE): they may be ±Infinity,
 * and a heap key may be NaN ("not scheduled").
 *
 *   varint   windowCount            open (key, window) states, for a cross-check
 *   varint   keyCount
 *   per key, in the runner's map order:
 *     key                           the key coder, nested
 *     varint windows
 *     per window, in the key's map order (merging relies on it):
 *       window                      the window coder, nested
 *       data                        the state coder, nested: GroupByKey's buffered values
 *                                   (iterable of the KV value coder), a Combine's accumulator
 *       varint count                elements since the last firing
 *       varint unseen               elements not yet run through the trigger (0 between passes)
 *       double unseenTimestamp
 *       trigger                     varint n, n bytes (finished bits 0/1);
 *                                   varint m, m × (byte 0: null | byte 1, double value)
 *       byte   flags                bit 0 closed, bit 1 fresh
 *       varint panesEmitted
 *       varint nonSpeculativeEmitted
 *       byte   lastTiming           0 none, 1 EARLY, 2 ON_TIME, 3 LATE, 4 UNKNOWN
 *       optional elementHold        byte 0 | byte 1, double
 *       optional extraHold          byte 0 | byte 1, double
 *       double eventKey             event-time wake-up in the heap (NaN: none)
 *       double procKey              processing-time wake-up (NaN or +Infinity: none)
 *       double holdKey              output watermark hold (NaN or +Infinity: none)
 *
 * The heaps are not written: restore pushes each window's current keys again. The
 * garbage-collection time is recomputed from the window and the allowed lateness.
 */
export const REDUCE_SNAPSHOT_LAYOUT = 1;

/** The coders a ReduceRunner writes its snapshot with: the grouping step's own. */
export interface ReduceStateCoders<S> {
  /** The step's (deterministic) key coder. */
  readonly key: Coder<unknown>;
  /** The windowing's window coder (windowCoderOf). */
  readonly window: Coder<BoundedWindow>;
  /** The per-window data: an iterable of the input's value coder, or the accumulator coder. */
  readonly data: Coder<S>;
}

const TIMINGS: readonly (PaneTiming | undefined)[] = [undefined, "EARLY", "ON_TIME", "LATE", "UNKNOWN"];

/** A corrupt or mismatched snapshot: restoring from it must stop, never guess. */
export function corruptSnapshot(what: string): CoderError {
  return new CoderError(`Corrupt checkpoint: ${what}. The snapshot was truncated, damaged, or written by another pipeline.`);
}

export function writeTriggerState(out: ByteWriter, state: TriggerState): void {
  out.writeVarInt(state.finished.length);
  for (const f of state.finished) out.writeByte(f ? 1 : 0);
  out.writeVarInt(state.values.length);
  for (const v of state.values) {
    if (v === null) out.writeByte(0);
    else {
      out.writeByte(1);
      out.writeDoubleBE(v);
    }
  }
}

/** Reads a trigger state; `shape` (a fresh init()) pins the sizes the compiled trigger has. */
export function readTriggerState(input: ByteReader, shape: TriggerState): TriggerState {
  const n = input.readVarInt();
  if (n !== shape.finished.length) throw corruptSnapshot(`a trigger state has ${n} finished bits where the trigger has ${shape.finished.length}`);
  const finished: boolean[] = [];
  for (let i = 0; i < n; i++) finished.push(readFlag(input, "a trigger's finished bit"));
  const m = input.readVarInt();
  if (m !== shape.values.length) throw corruptSnapshot(`a trigger state has ${m} values where the trigger has ${shape.values.length}`);
  const values: (number | null)[] = [];
  for (let i = 0; i < m; i++) values.push(readFlag(input, "a trigger value's marker") ? input.readDoubleBE() : null);
  return { finished, values };
}

export function writeTiming(out: ByteWriter, timing: PaneTiming | undefined): void {
  out.writeByte(TIMINGS.indexOf(timing));
}

export function readTiming(input: ByteReader): PaneTiming | undefined {
  const b = input.readByte();
  if (b >= TIMINGS.length) throw corruptSnapshot(`pane timing code ${b} is not one of 0..${TIMINGS.length - 1}`);
  return TIMINGS[b];
}

export function writeOptionalInstant(out: ByteWriter, t: Instant | undefined): void {
  if (t === undefined) out.writeByte(0);
  else {
    out.writeByte(1);
    out.writeDoubleBE(t);
  }
}

export function readOptionalInstant(input: ByteReader): Instant | undefined {
  return readFlag(input, "an optional instant's marker") ? input.readDoubleBE() : undefined;
}

/** A 0/1 byte; anything else is damage. */
export function readFlag(input: ByteReader, what: string): boolean {
  const b = input.readByte();
  if (b > 1) throw corruptSnapshot(`${what} is ${b}, not 0 or 1`);
  return b === 1;
}

/** A count read from the input: it cannot exceed the bytes left (each item takes at least one). */
export function readCount(input: ByteReader, what: string): number {
  const n = input.readVarInt();
  if (n > input.remaining) throw corruptSnapshot(`${what} is ${n} but only ${input.remaining} byte(s) remain`);
  return n;
}
