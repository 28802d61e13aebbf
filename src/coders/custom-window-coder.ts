import type { BoundedWindow, ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError, IntervalWindow, describeValue } from "../model/index.js";
import { exactMillis, writeInstantMillis } from "./instant.js";
import { CoderUrns } from "./urns.js";

/**
 * Beam's coder for windows of a user WindowFn (`beam:coder:custom_window:v1`, Java's and
 * Python's TimestampPrefixingWindowCoder): the window's max timestamp as an InstantCoder
 * instant (8 bytes), then the window in its own coder. A runner that cannot decode the
 * user's window still learns when it expires from the prefix; an SDK decodes the window
 * with the component coder and ignores the prefix, which the window itself determines.
 *
 * The window is nested in either context, as Java encodes it (Python passes the outer
 * context on; the two agree for window coders whose encoding ignores the context, as
 * every standard one does).
 */
class CustomWindowCoder<W extends BoundedWindow> implements Coder<W> {
  readonly urn = CoderUrns.customWindow;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(readonly windowCoder: Coder<W>) {
    this.components = [windowCoder];
    this.deterministic = windowCoder.deterministic;
  }
  encode(window: W, writer: ByteWriter): void {
    if (window === null || typeof window !== "object" || typeof (window as Partial<BoundedWindow>).maxTimestamp !== "function") {
      throw new CoderError(`custom_window coder expected a window (a BoundedWindow) but got ${describeValue(window)}.`);
    }
    writeInstantMillis(writer, exactMaxTimestamp(window));
    this.windowCoder.encode(window, writer, true);
  }
  decode(reader: ByteReader): W {
    reader.readFixed64BE();
    return this.windowCoder.decode(reader, true);
  }
  toString(): string {
    return `custom_window<${this.windowCoder.toString()}>`;
  }
}

/**
 * The exact max timestamp of a window. An interval window's is its end minus 1 ms, which
 * a double cannot hold near Beam's extremes (beyond 2^53 ms): take it from the exact end.
 */
function exactMaxTimestamp(window: BoundedWindow): bigint {
  if (window instanceof IntervalWindow) return exactMillis(window.end) - 1n;
  return exactMillis(window.maxTimestamp());
}

/**
 * The custom_window coder around `windowCoder`, the coder of a WindowFn's own windows.
 *
 * @example
 * const coder = customWindowCoder(intervalWindowCoder);
 * encodeToBytes(coder, new IntervalWindow(0, 10)); // max timestamp 9, then the window
 */
export function customWindowCoder<W extends BoundedWindow>(windowCoder: Coder<W>): Coder<W> {
  return new CustomWindowCoder(windowCoder);
}
