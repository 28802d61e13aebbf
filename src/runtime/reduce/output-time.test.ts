import { describe, expect, it } from "vitest";
import { IntervalWindow, UserCodeError, fixedWindows, type WindowFn } from "../../model/index.js";
import { transformedOutputTime } from "./output-time.js";

const WINDOW = new IntervalWindow(0, 10_000);

/** fixedWindows(10 s) with `shift` as its getTransformedOutputTime. */
function shifting(shift: (w: IntervalWindow, t: number) => number): WindowFn<IntervalWindow> {
  return { ...fixedWindows(10_000), getTransformedOutputTime: shift, toString: () => "Shifting" };
}

describe("transformedOutputTime (the EARLIEST_TRANSFORMED output time)", () => {
  it("is the element's timestamp for a WindowFn without getTransformedOutputTime", () => {
    expect(transformedOutputTime(fixedWindows(10_000), WINDOW, 3_000)).toBe(3_000);
  });

  it("is what getTransformedOutputTime returns when it lies between the timestamp and the window's max timestamp", () => {
    expect(transformedOutputTime(shifting((w, t) => Math.max(t, w.start + 6_000)), WINDOW, 3_000)).toBe(6_000);
    expect(transformedOutputTime(shifting((w) => w.maxTimestamp()), WINDOW, 3_000)).toBe(9_999);
  });

  it("refuses a time earlier than the element's timestamp or past the window's max timestamp, as Beam Java's WatermarkHold did", () => {
    const early = () => transformedOutputTime(shifting((_w, t) => t - 1), WINDOW, 3_000);
    expect(early).toThrow(UserCodeError);
    expect(early).toThrow(
      /^Shifting\.getTransformedOutputTime returned 1970-01-01T00:00:02\.999Z for timestamp 1970-01-01T00:00:03\.000Z in window \[.*\), earlier than the element's timestamp; it must return a time between the element's timestamp and window\.maxTimestamp\(\), both included\.$/,
    );
    expect(() => transformedOutputTime(shifting((w) => w.end), WINDOW, 3_000)).toThrow(/after the window's max timestamp 1970-01-01T00:00:09\.999Z/);
    expect(() => transformedOutputTime(shifting(() => NaN), WINDOW, 3_000)).toThrow(/returned NaN .*, which is not a timestamp/);
  });

  it("wraps an exception of getTransformedOutputTime, naming the WindowFn", () => {
    const boom = shifting(() => {
      throw new Error("boom");
    });
    expect(() => transformedOutputTime(boom, WINDOW, 3_000)).toThrow(/^Shifting\.getTransformedOutputTime failed for timestamp .* in window .*: Error: boom$/);
  });
});
