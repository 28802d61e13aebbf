import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AssertionFailedError, JobFailedError, UserCodeError } from "./errors.js";
import { formatFailure, verboseFailures } from "./failure-report.js";

/** A job failure as the embedded runner builds it: job ← user-code wrapper ← user's error ← its cause. */
function jobFailure(verbose = false): JobFailedError {
  const root = new SyntaxError(`Unexpected token 'o', "not json" is not valid JSON`);
  const thrown = new Error("record is not JSON", { cause: root });
  const wrapped = new UserCodeError("Parse", '"not json"', "GlobalWindow", 'Transform "Parse" failed: Error: record is not JSON', { cause: thrown });
  return new JobFailedError(`Pipeline failed: ${wrapped.message}`, { cause: wrapped, verbose });
}

const FRAME = /^\s+at /m;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("formatFailure", () => {
  it("prints the message, then every cause the message does not already show, without stack frames", () => {
    expect(formatFailure(jobFailure())).toBe(
      [
        'JobFailedError: Pipeline failed: Transform "Parse" failed: Error: record is not JSON',
        "  caused by: Error: record is not JSON",
        `  caused by: SyntaxError: Unexpected token 'o', "not json" is not valid JSON`,
      ].join("\n"),
    );
  });

  it("prints a beam-ts error whose message is already shown once, and indents a multi-line cause", () => {
    const diff = new AssertionFailedError("containsInAnyOrder failed\n  missing: 3");
    expect(formatFailure(new JobFailedError(`Pipeline failed: ${diff.message}`, { cause: diff }))).toBe(
      "JobFailedError: Pipeline failed: containsInAnyOrder failed\n  missing: 3",
    );
    expect(formatFailure(new Error("outer", { cause: new Error("line 1\nline 2") }))).toBe("Error: outer\n  caused by: Error: line 1\n    line 2");
  });

  it("prints every error of the chain with its stack when verbose", () => {
    const report = formatFailure(jobFailure(), { verbose: true });
    expect(report).toMatch(FRAME);
    expect(report).toContain("caused by: UserCodeError:");
    expect(report).toContain("caused by: SyntaxError:");
    expect(report.match(/^JobFailedError: /gm)).toHaveLength(1);
  });

  it("prints values that are not errors, and stops at a cycle", () => {
    expect(formatFailure("boom")).toBe("boom");
    const loop: Error & { cause?: unknown } = new Error("loop");
    loop.cause = loop;
    expect(formatFailure(loop)).toBe("Error: loop");
  });
});

describe("JobFailedError printing", () => {
  it("prints as its report where Node prints an uncaught error (customInspect off), with the cause chain and no frames", () => {
    const err = jobFailure();
    const printed = inspect(err, { customInspect: false });
    expect(printed).toContain("caused by: SyntaxError");
    expect(printed).not.toMatch(FRAME);
    // The cause is still there for code, but Node shows it as an accessor instead of dumping it.
    expect(printed).toContain("[cause]: [Getter]");
    expect(printed).not.toContain("JOB_FAILED");
    expect(err.cause).toBeInstanceOf(UserCodeError);
    expect(err.code).toBe("JOB_FAILED");
  });

  it("prints as its report in console.log (util.inspect with custom inspection)", () => {
    expect(inspect(jobFailure())).toBe(formatFailure(jobFailure()));
  });

  it("prints every stack when created verbose or when BEAM_TS_VERBOSE is set", () => {
    expect(jobFailure(true).stack).toMatch(FRAME);
    expect(jobFailure().stack).not.toMatch(FRAME);
    vi.stubEnv("BEAM_TS_VERBOSE", "1");
    expect(jobFailure().stack).toMatch(FRAME);
  });

  it("keeps a stack that a tool assigns", () => {
    const err = jobFailure();
    err.stack = "rewritten";
    expect(err.stack).toBe("rewritten");
  });
});

describe("verboseFailures", () => {
  it("is on for the verbose option or BEAM_TS_VERBOSE, except 0 and false", () => {
    vi.stubEnv("BEAM_TS_VERBOSE", "");
    expect(verboseFailures({})).toBe(false);
    expect(verboseFailures({ verbose: true })).toBe(true);
    vi.stubEnv("BEAM_TS_VERBOSE", "0");
    expect(verboseFailures()).toBe(false);
    vi.stubEnv("BEAM_TS_VERBOSE", "false");
    expect(verboseFailures()).toBe(false);
    vi.stubEnv("BEAM_TS_VERBOSE", "true");
    expect(verboseFailures()).toBe(true);
  });
});
