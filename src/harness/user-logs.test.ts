import { afterEach, describe, expect, it } from "vitest";
import { MetricsContainer, MetricsEnvironment, logger } from "../metrics/index.js";
import { addLogSink, routeUserLogs, withInstruction, type LogRecord } from "./logging.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("user code's logger in a portable worker", () => {
  it("sends records to the worker's log sinks with the bundle's instruction and the step's transform id", async () => {
    const records: LogRecord[] = [];
    cleanups.push(addLogSink((r) => records.push(r)));
    cleanups.push(routeUserLogs());
    await withInstruction("bundle-9", (step) => (step === "Parse" ? "t3" : step), async () => {
      const previous = MetricsEnvironment.enter(new MetricsContainer("Parse"));
      try {
        logger.warn("odd line", { length: 4 });
        logger.error("failed", new Error("boom"));
        logger.debug("below the default level");
      } finally {
        MetricsEnvironment.exit(previous);
      }
    });
    expect(records.map((r) => [r.severity, r.message, r.instructionId, r.transformId])).toEqual([
      ["WARN", 'odd line {"length":4}', "bundle-9", "t3"],
      ["ERROR", "failed", "bundle-9", "t3"],
    ]);
    expect(records[1]!.trace).toContain("boom");
  });
});
