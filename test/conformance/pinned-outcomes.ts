import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

/**
 * What each pinned scenario does on its runner, as last recorded: "passed", or the failure
 * it ends with, normalized (pinned-outcomes.json; docs/PORTABLE_PINS.md tells how to
 * re-record). A pin asserts that its runner still does one of these, so a change on the
 * runner's side or on beam-ts's turns the suite red: for an output mismatch the message
 * lists what is missing and what is unexpected against the model's expected output, which
 * together are the runner's actual output. Each pin records one outcome: the suites submit
 * so that a runner's output does not depend on timing (Flink: FLINK_EVENT_TIME in runners.ts).
 */
export const PINNED_OUTCOMES_FILE = path.resolve(import.meta.dirname, "pinned-outcomes.json");

/** runner → scenario → the outcomes seen. */
export type PinnedOutcomes = Record<string, Record<string, string[]>>;

let loaded: PinnedOutcomes | undefined;

/** The recorded outcomes (read once per test file). */
export function pinnedOutcomes(): PinnedOutcomes {
  loaded ??= existsSync(PINNED_OUTCOMES_FILE) ? (JSON.parse(readFileSync(PINNED_OUTCOMES_FILE, "utf8")) as PinnedOutcomes) : {};
  return loaded;
}

/**
 * A scenario's outcome as a stable text: "passed", or the error's code (or name) and message
 * with what changes between runs taken out — the job endpoint, source line numbers in default
 * transform names — and the elements listed in a matcher's failure sorted, as their order is
 * the runner's arrival order.
 */
export function normalizeOutcome(err: unknown): string {
  if (err === undefined) return "passed";
  const e = err as { failureCode?: unknown; code?: unknown; name?: unknown; message?: unknown };
  const kind = typeof e.failureCode === "string" ? e.failureCode : typeof e.code === "string" ? e.code : String(e.name ?? "Error");
  const message = String(e.message ?? err)
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, "")
    .replace(/ on the runner at [^\s:]+:\d+:/g, " on the runner:")
    .replace(/Job service at [^\s:]+:\d+:/g, "Job service:")
    // A Go panic's report: job ids count up through a run, and the goroutine stack that
    // follows the panic's line has ids and addresses; the panic's line is what the pin is about.
    .replace(/\bjob-\d+/g, "job-N")
    .replace(/(panic in [^\n]*)\n[\s\S]*/, "$1")
    .replace(/([\w.-]+\.(?:ts|js|mjs)):\d+(?::\d+)?/g, "$1")
    // Prism's refusal dumps the refused WindowingStrategy proto (coder ids, map order) after
    // the feature's name: the name is what the pin is about.
    .replace(/(unsupported feature "[^"]*") set with value[\s\S]*/g, "$1");
  const lines: string[] = [];
  let listed: string[] = [];
  const flush = () => {
    lines.push(...listed.sort());
    listed = [];
  };
  for (const line of message.split("\n")) {
    if (line.startsWith("    ") && !line.startsWith("    …")) listed.push(line);
    else {
      flush();
      lines.push(line);
    }
  }
  flush();
  return `${kind}: ${lines.join("\n")}`;
}

/**
 * Asserts that a pinned scenario ended as recorded for its runner. Without a recording the
 * scenario fails and says how to make one.
 */
export function expectPinnedOutcome(runner: string, scenario: string, outcome: string): void {
  const known = pinnedOutcomes()[runner]?.[scenario];
  if (known === undefined) {
    throw new Error(
      `No recorded outcome of the pinned scenario "${scenario}" on ${runner}; it ended with:\n${outcome}\n` +
        `Record it: BEAM_TS_PINS_REPORT=/tmp/pins.jsonl over the conformance suites, then ` +
        `BEAM_TS_WRITE_PINS_OUTCOMES=/tmp/pins.jsonl npx vitest run test/conformance/portable-pins-doc.test.ts (docs/PORTABLE_PINS.md).`,
    );
  }
  expect(known, `the pinned scenario "${scenario}" no longer ends on ${runner} as recorded in test/conformance/pinned-outcomes.json`).toContain(outcome);
}
