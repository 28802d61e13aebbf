import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { MetricsContainer } from "./container.js";
import { MetricsEnvironment } from "./environment.js";
import { LOG_LEVELS, configureLogs, jsonLine, logger, parseStepLevels, setLogOutput, textLine, type LogLevel, type LogRecord } from "./logger.js";

const restores: Array<() => void> = [];
afterEach(() => {
  for (const r of restores.splice(0)) r();
  configureLogs({});
});

/** Collects records instead of writing them. */
function capture(): LogRecord[] {
  const records: LogRecord[] = [];
  restores.push(setLogOutput((r) => records.push(r)));
  return records;
}

/** Runs `fn` as the code of `step` in bundle `bundle`, as a runner calls a DoFn. */
function inStep(step: string, bundle: string | undefined, fn: () => void): void {
  const container = new MetricsContainer(step);
  container.bundle = bundle;
  const previous = MetricsEnvironment.enter(container);
  try {
    fn();
  } finally {
    MetricsEnvironment.exit(previous);
  }
}

describe("logger", () => {
  it("adds job, step, bundle and worker to the records of code running in a step", () => {
    const records = capture();
    configureLogs({ job: "orders", worker: 2 });
    inStep("Clean/Parse", "17", () => logger.warn("skipped a line", { length: 3 }));
    logger.info("outside any step");
    expect(records).toEqual([
      { time: expect.any(Number), level: "warn", msg: "skipped a line", job: "orders", step: "Clean/Parse", bundle: "17", worker: 2, fields: { length: 3 } },
      { time: expect.any(Number), level: "info", msg: "outside any step", job: "orders", worker: 2 },
    ]);
  });

  it("keeps an error's stack", () => {
    const records = capture();
    logger.error("write failed", new Error("disk full"));
    logger.error("write failed again", { table: "t" }, new Error("still full"));
    expect(records[0]!.error).toMatch(/^Error: disk full\n\s+at /);
    expect(records[1]).toMatchObject({ fields: { table: "t" }, error: expect.stringContaining("still full") });
  });

  it("writes one JSON object a line for collectors, and a readable line for terminals", () => {
    const r: LogRecord = { time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), level: "info", msg: "fired", job: "j", step: "Window/Count", bundle: "4", worker: 1, fields: { key: "a", n: 2 } };
    expect(JSON.parse(jsonLine(r))).toEqual({ time: "2026-01-02T03:04:05.006Z", level: "info", msg: "fired", job: "j", step: "Window/Count", bundle: "4", worker: 1, key: "a", n: 2 });
    expect(jsonLine(r).endsWith("}\n")).toBe(true);
    expect(textLine(r)).toBe("03:04:05.006 INFO  [j Window/Count #4 w1] fired key=a n=2\n");
  });

  it("writes a record at or above the level of its step: the most specific --logLevels entry, else --logLevel", () => {
    const level = fc.constantFrom(...LOG_LEVELS);
    fc.assert(
      fc.property(level, level, level, level, fc.constantFrom("Parse", "Outer/Parse", "Outer/Parse/Inner", "Write"), (base, parse, inner, at, step) => {
        const records = capture();
        configureLogs({ level: base, levels: { Parse: parse, "Parse/Inner": inner } });
        inStep(step, "1", () => logger[at]("m"));
        const expected: LogLevel = step.endsWith("Parse/Inner") ? inner : step.endsWith("Parse") ? parse : base;
        const rank = (l: LogLevel) => LOG_LEVELS.indexOf(l);
        expect(records.length).toBe(rank(at) >= rank(expected) ? 1 : 0);
        restores.pop()!();
      }),
    );
  });

  it("reads per-step levels from --logLevels text and names a bad entry", () => {
    expect(parseStepLevels("Parse=debug, Write/Insert=WARN,")).toEqual({ Parse: "debug", "Write/Insert": "warn" });
    expect(() => parseStepLevels("Parse=loud")).toThrow('"Parse=loud" is not <step>=<level> with a level of debug, info, warn, error');
    expect(() => parseStepLevels("debug")).toThrow('"debug" is not <step>=<level>');
  });
});
