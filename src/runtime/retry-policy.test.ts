import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { AssertionFailedError, BeamError, CoderError, PermanentError, TransientError, UserCodeError } from "../model/index.js";
import { attemptsNote, backoffDelay, classifyFailure } from "./retry-policy.js";

/** How the runtime wraps what a DoFn threw. */
const thrownBy = (err: unknown) => new UserCodeError("Parse", '"x"', undefined, "Transform \"Parse\" failed", { cause: err });

async function fsError(): Promise<unknown> {
  try {
    await readFile("/nonexistent/beam-ts/input.txt");
  } catch (err) {
    return err;
  }
  throw new Error("expected the read to fail");
}

describe("classifyFailure", () => {
  it("treats a PermanentError as permanent and a TransientError as transient, wherever they are in the chain", () => {
    expect(classifyFailure(thrownBy(new PermanentError("bad record")))).toEqual({ permanent: true, reason: "it is a PermanentError" });
    expect(classifyFailure(thrownBy(new TransientError("throttled", { cause: new TypeError("fetch failed") })))).toMatchObject({ permanent: false });
    // The outermost mark wins: code that catches a permanent error and asks for a retry gets one.
    expect(classifyFailure(new TransientError("retry", { cause: new PermanentError("inner") })).permanent).toBe(false);
  });

  it("honours a retryable property set on an existing error", () => {
    const marked = Object.assign(new Error("quota exceeded"), { retryable: false });
    expect(classifyFailure(thrownBy(marked))).toEqual({ permanent: true, reason: "it is marked retryable: false" });
    expect(classifyFailure(thrownBy(Object.assign(new TypeError("x is undefined"), { retryable: true }))).permanent).toBe(false);
  });

  it("treats programming errors without a cause as permanent, and a TypeError that reports a cause by that cause", () => {
    for (const err of [new TypeError("x is not a function"), new ReferenceError("y is not defined"), new SyntaxError("Unexpected token")]) {
      expect(classifyFailure(thrownBy(err)), err.name).toMatchObject({ permanent: true });
    }
    // undici's fetch: TypeError("fetch failed") with the network error as cause.
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(classifyFailure(thrownBy(new TypeError("fetch failed", { cause: reset }))).permanent).toBe(false);
  });

  it("retries a RangeError, which V8 also raises when memory runs short", () => {
    expect(classifyFailure(thrownBy(new RangeError("Array buffer allocation failed"))).permanent).toBe(false);
  });

  it("treats a missing file as permanent, even wrapped by the user's own error", async () => {
    const missing = await fsError();
    expect(classifyFailure(thrownBy(missing))).toMatchObject({ permanent: true, reason: expect.stringContaining("ENOENT") });
    expect(classifyFailure(thrownBy(new Error("cannot load config", { cause: missing }))).permanent).toBe(true);
    const busy = Object.assign(new Error("too many open files"), { code: "EMFILE" });
    expect(classifyFailure(thrownBy(busy)).permanent).toBe(false);
  });

  it("treats BeamErrors that cannot change as permanent and classifies wrappers by their cause", () => {
    expect(classifyFailure(new CoderError("cannot encode")).permanent).toBe(true);
    expect(classifyFailure(new AssertionFailedError("containsInAnyOrder failed")).permanent).toBe(true);
    expect(classifyFailure(thrownBy(new BeamError("UNDECLARED_SIDE_INPUT", "side input was not declared"))).permanent).toBe(true);
    expect(classifyFailure(new BeamError("IO", "Cannot read", { cause: new Error("socket hang up") })).permanent).toBe(false);
  });

  it("retries anything else, including values that are not errors", () => {
    expect(classifyFailure(thrownBy(new Error("socket hang up")))).toEqual({ permanent: false, reason: "not known to be permanent" });
    expect(classifyFailure("a string").permanent).toBe(false);
    const loop: Error & { cause?: unknown } = new Error("loop");
    loop.cause = loop;
    expect(classifyFailure(loop).permanent).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("doubles from 100 ms per retry up to the cap, spread by ±50% jitter", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((r) => backoffDelay(r, undefined, mid))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(20, undefined, mid)).toBe(10_000);
    expect(backoffDelay(1, undefined, () => 0)).toBe(50);
    expect(backoffDelay(1, undefined, () => 0.999)).toBe(150);
    expect(backoffDelay(2, { initialMs: 10, maxMs: 15 }, mid)).toBe(15);
  });
});

describe("attemptsNote", () => {
  it("says how many attempts were made and why retrying stopped", () => {
    expect(attemptsNote(1, { permanent: true, reason: "it is a PermanentError" }, 2)).toBe(
      "(failed once; permanent error, not retried: it is a PermanentError)",
    );
    expect(attemptsNote(3, { permanent: false, reason: "not known to be permanent" }, 2)).toBe(
      "(failed 3 times; transient error, retried with backoff up to --maxBundleRetries=2)",
    );
  });
});
