import { describe, expect, it } from "vitest";
import { ProcessContinuation } from "./process-continuation.js";

describe("ProcessContinuation", () => {
  it("stop says the restriction is finished", () => {
    expect(ProcessContinuation.stop()).toEqual({ kind: "stop" });
  });

  it("resume defaults to no delay", () => {
    expect(ProcessContinuation.resume()).toEqual({ kind: "resume", delay: 0 });
  });

  it("resume carries the delay before the residual runs again", () => {
    expect(ProcessContinuation.resume(5_000)).toEqual({ kind: "resume", delay: 5_000 });
  });

  it("rejects a negative or infinite delay", () => {
    expect(() => ProcessContinuation.resume(-1)).toThrow("delay must be a finite duration >= 0 ms, got -1");
    expect(() => ProcessContinuation.resume(Number.POSITIVE_INFINITY)).toThrow("delay must be a finite duration");
  });

  it("values are frozen", () => {
    expect(Object.isFrozen(ProcessContinuation.resume(1))).toBe(true);
    expect(Object.isFrozen(ProcessContinuation.stop())).toBe(true);
  });
});
