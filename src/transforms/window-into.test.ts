import { describe, expect, it } from "vitest";
import { ConstructionError, fixedWindows, type IntervalWindow, type WindowFn } from "../model/index.js";
import { Pipeline } from "../pipeline/index.js";
import { create } from "./create.js";
import { windowInto, type WindowIntoOptions } from "./window-into.js";

/** The error applying windowInto(fixedWindows(1000), options) throws (fails if none). */
function errorOf(options: unknown): Error {
  const input = new Pipeline().apply(create([1, 2, 3]));
  try {
    input.apply(windowInto(fixedWindows(1000), options as WindowIntoOptions));
  } catch (e) {
    expect(e).toBeInstanceOf(ConstructionError);
    return e as Error;
  }
  throw new Error(`windowInto accepted ${JSON.stringify(options)}`);
}

describe("windowInto options", () => {
  it("rejects an unknown timestamp combiner, naming the transform, the value and the valid ones", () => {
    expect(errorOf({ timestampCombiner: "EARLIST" }).message).toMatch(
      /^In transform "WindowInto\(FixedWindows\(1000ms\)\)": .*timestampCombiner must be one of "END_OF_WINDOW", "EARLIEST", "LATEST", "EARLIEST_TRANSFORMED" \(Beam's TimestampCombiner\); got "EARLIST"\.$/,
    );
    expect(errorOf({ timestampCombiner: "earliest" }).message).toMatch(/got "earliest"/);
    expect(errorOf({ timestampCombiner: null }).message).toMatch(/timestampCombiner must be one of .*; got null/);
  });

  it("rejects an unknown accumulation mode, listing the valid ones", () => {
    expect(errorOf({ accumulationMode: "ACCUMULATE" }).message).toMatch(
      /WindowInto\(FixedWindows\(1000ms\)\): accumulationMode must be one of "DISCARDING", "ACCUMULATING" \(Beam's AccumulationMode\); got "ACCUMULATE"/,
    );
  });

  it("rejects an allowed lateness that is not a non-negative number of milliseconds", () => {
    expect(errorOf({ allowedLateness: -1 }).message).toMatch(/allowedLateness must be a duration in milliseconds, >= 0 .*; got -1/);
    expect(errorOf({ allowedLateness: "5000" }).message).toMatch(/got "5000"/);
    expect(errorOf({ allowedLateness: NaN }).message).toMatch(/got NaN\./);
  });

  it("rejects an option windowInto does not have, listing its options", () => {
    expect(errorOf({ timestampCombinr: "LATEST" }).message).toMatch(
      /windowInto has no option "timestampCombinr"; its options are allowedLateness, timestampCombiner, trigger, accumulationMode\./,
    );
    expect(errorOf({ onTimeBehavior: "FIRE_IF_NON_EMPTY" }).message).toMatch(/no option "onTimeBehavior" \(in beam-ts the ON_TIME pane always fires/);
    expect(errorOf(null).message).toMatch(/options must be an object/);
  });

  it("rejects a WindowFn whose getTransformedOutputTime is not a function", () => {
    const input = new Pipeline().apply(create([1]));
    const broken = { ...fixedWindows(1000), getTransformedOutputTime: 5 } as unknown as WindowFn<IntervalWindow>;
    expect(() => input.apply(windowInto(broken, { timestampCombiner: "EARLIEST_TRANSFORMED" }))).toThrow(
      /WindowInto\(FixedWindows\(1000ms\)\): FixedWindows\(1000ms\)'s getTransformedOutputTime must be a function \(window, timestamp\) => output time; got 5\./,
    );
  });

  it("accepts every valid value of each enumerated option and keeps it in the windowing strategy", () => {
    const input = new Pipeline().apply(create([1]));
    for (const timestampCombiner of ["END_OF_WINDOW", "EARLIEST", "LATEST", "EARLIEST_TRANSFORMED"] as const) {
      for (const accumulationMode of ["DISCARDING", "ACCUMULATING"] as const) {
        const out = input.apply(`${timestampCombiner}-${accumulationMode}`, windowInto(fixedWindows(1000), { timestampCombiner, accumulationMode, allowedLateness: 0 }));
        expect(out.windowing.timestampCombiner).toBe(timestampCombiner);
        expect(out.windowing.accumulationMode).toBe(accumulationMode);
      }
    }
  });
});
