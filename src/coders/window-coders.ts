import type { BoundedWindow, ByteReader, ByteWriter, Coder, WindowingStrategy } from "../model/index.js";
import { CoderError, GLOBAL_WINDOW, GlobalWindow, IntervalWindow, WindowFnUrns, describeValue } from "../model/index.js";
import { exactMillis, readInstant, writeInstant } from "./instant.js";
import { CoderUrns } from "./urns.js";

/** The global window encodes to no bytes. */
class GlobalWindowCoder implements Coder<GlobalWindow> {
  readonly urn = CoderUrns.globalWindow;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = true;
  encode(value: GlobalWindow): void {
    if (!(value instanceof GlobalWindow)) {
      throw new CoderError(`global_window coder got ${describeValue(value)}; only the global window can be encoded.`);
    }
  }
  decode(): GlobalWindow {
    return GLOBAL_WINDOW;
  }
  toString(): string {
    return "global_window";
  }
}

/** An interval window as its end (an instant) and its span (varint milliseconds). */
class IntervalWindowCoder implements Coder<IntervalWindow> {
  readonly urn = CoderUrns.intervalWindow;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = true;
  encode(value: IntervalWindow, writer: ByteWriter): void {
    if (!(value instanceof IntervalWindow)) {
      throw new CoderError(`interval_window coder got ${describeValue(value)}; expected an IntervalWindow.`);
    }
    writeInstant(writer, value.end);
    const span = value.end - value.start;
    // Near Beam's extremes doubles are inexact; take the span between the exact wire values.
    writer.writeVarInt(Number.isSafeInteger(value.end) && Number.isSafeInteger(value.start) ? span : exactMillis(value.end) - exactMillis(value.start));
  }
  decode(reader: ByteReader): IntervalWindow {
    const end = readInstant(reader);
    const span = reader.readVarInt();
    return new IntervalWindow(end - span, end);
  }
  toString(): string {
    return "interval_window";
  }
}

export const globalWindowCoder: Coder<GlobalWindow> = new GlobalWindowCoder();
export const intervalWindowCoder: Coder<IntervalWindow> = new IntervalWindowCoder();

/** The window coder as a coder of any BoundedWindow, for windowed value coders. */
export type WindowCoder = Coder<BoundedWindow>;

/** The coder of a windowing's windows: the WindowFn's own, else global or interval windows. */
export function windowCoderOf(windowing: WindowingStrategy): WindowCoder {
  const fn = windowing.windowFn;
  return (fn.windowCoder ?? (fn.urn === WindowFnUrns.global ? globalWindowCoder : intervalWindowCoder)) as WindowCoder;
}

/** A list of windows as Beam writes it in windowed values and timers: 4-byte count, windows. */
export function writeWindows(writer: ByteWriter, windowCoder: Coder<BoundedWindow>, windows: readonly BoundedWindow[]): void {
  writer.writeInt32BE(windows.length);
  for (const w of windows) windowCoder.encode(w, writer, true);
}

export function readWindows(reader: ByteReader, windowCoder: Coder<BoundedWindow>): BoundedWindow[] {
  const n = reader.readInt32BE();
  const out: BoundedWindow[] = [];
  for (let i = 0; i < n; i++) out.push(windowCoder.decode(reader, true));
  return out;
}
