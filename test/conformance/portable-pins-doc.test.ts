/**
 * docs/PORTABLE_PINS.md lists every pinned scenario of portable-pins.ts with its reason and
 * what the last re-examination observed. This test keeps the table and the pins in step.
 *
 * To rewrite the table after changing pins, or after re-examining them
 * (BEAM_TS_PINS_REPORT=/tmp/pins.jsonl over the conformance suites on the runners):
 *   BEAM_TS_WRITE_PINS_DOC=/tmp/pins.jsonl npx vitest run test/conformance/portable-pins-doc.test.ts
 * (BEAM_TS_WRITE_PINS_DOC=1 keeps the observed outcomes already in the table).
 * The same report re-records what the pins assert (pinned-outcomes.json):
 *   BEAM_TS_WRITE_PINS_OUTCOMES=/tmp/pins.jsonl npx vitest run test/conformance/portable-pins-doc.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PINS, PIN_REASONS, UNSUPPORTED_REASONS } from "./portable-pins.js";
import { PINNED_OUTCOMES_FILE, pinnedOutcomes, type PinnedOutcomes } from "./pinned-outcomes.js";

const DOC = path.resolve(import.meta.dirname, "../../docs/PORTABLE_PINS.md");
const MARKER = "<!-- The table below is generated: see test/conformance/portable-pins-doc.test.ts. -->";

interface Row {
  readonly runner: string;
  readonly scenario: string;
  readonly reason: string;
  readonly kind: string;
  readonly observed: string;
}

const reasonName = (text: string) => Object.entries(PIN_REASONS).find(([, t]) => t === text)?.[0] ?? "?";
const kindOf = (text: string) => (UNSUPPORTED_REASONS.has(text) ? "refused" : "differs");
const cell = (s: string) => s.replace(/\|/g, "\\|");

function tableRows(doc: string): Row[] {
  const table = doc.slice(doc.indexOf(MARKER) + MARKER.length);
  return table
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| runner") && !l.startsWith("|---"))
    .map((l) => {
      const cells = l
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.replace(/\\\|/g, "|"));
      return { runner: cells[0]!, scenario: cells[1]!, reason: cells[2]!, kind: cells[3]!, observed: cells[4] ?? "" };
    });
}

function expectedRows(observed: (runner: string, scenario: string) => string): Row[] {
  return Object.entries(PINS).flatMap(([runner, pins]) =>
    Object.entries(pins)
      .map(([scenario, text]) => ({ runner, scenario, reason: reasonName(text), kind: kindOf(text), observed: observed(runner, scenario) }))
      .sort((a, b) => a.reason.localeCompare(b.reason) || a.scenario.localeCompare(b.scenario)),
  );
}

/** Outcomes per runner and scenario from a BEAM_TS_PINS_REPORT file (a scenario may run in several files). */
function reportOutcomes(file: string): Map<string, string> {
  const outcomes = new Map<string, Set<string>>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line) as { runner: string; scenario: string; outcome: string };
    const key = `${r.runner}\u0000${r.scenario}`;
    (outcomes.get(key) ?? outcomes.set(key, new Set()).get(key)!).add(r.outcome);
  }
  return new Map([...outcomes].map(([k, v]) => [k, [...v].sort().join(" / ")]));
}

/**
 * pinned-outcomes.json rewritten from a pins report: every differs pin the report ran gets
 * the outcome it observed (a pin that ended differently in two runs of the report gets both,
 * which the check below refuses: the suite must then submit so that the output is stable).
 */
function writeOutcomes(report: string): void {
  const outcomes: PinnedOutcomes = structuredClone(pinnedOutcomes());
  const fresh = new Map<string, Set<string>>();
  for (const line of readFileSync(report, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line) as { runner: string; scenario: string; reason: string; normalized?: string };
    if (r.normalized === undefined || UNSUPPORTED_REASONS.has(r.reason) || PINS[r.runner]?.[r.scenario] === undefined) continue;
    const key = `${r.runner}\u0000${r.scenario}`;
    (fresh.get(key) ?? fresh.set(key, new Set()).get(key)!).add(r.normalized);
  }
  for (const [key, seen] of fresh) {
    const [runner, scenario] = key.split("\u0000") as [string, string];
    (outcomes[runner] ??= {})[scenario] = [...seen].sort();
  }
  // Only pins that still exist, in a stable order.
  const sorted: PinnedOutcomes = {};
  for (const runner of Object.keys(outcomes).sort()) {
    sorted[runner] = {};
    for (const scenario of Object.keys(outcomes[runner]!).sort()) {
      if (PINS[runner]?.[scenario] !== undefined) sorted[runner][scenario] = outcomes[runner]![scenario]!;
    }
  }
  writeFileSync(PINNED_OUTCOMES_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
}

describe("test/conformance/pinned-outcomes.json", () => {
  const report = process.env["BEAM_TS_WRITE_PINS_OUTCOMES"];
  if (report !== undefined && report !== "") {
    it("is rewritten from a pins report", () => {
      writeOutcomes(report);
      expect(existsSync(PINNED_OUTCOMES_FILE)).toBe(true);
    });
    return;
  }

  it("records one outcome for each pin that asserts one (differs), and none for others", () => {
    for (const [runner, scenarios] of Object.entries(pinnedOutcomes())) {
      for (const [scenario, outcomes] of Object.entries(scenarios)) {
        const reason = PINS[runner]?.[scenario];
        expect(reason, `${runner}: "${scenario}" has a recorded outcome but no pin`).toBeDefined();
        expect(UNSUPPORTED_REASONS.has(reason!), `${runner}: "${scenario}" is refused, its outcome is the refusal`).toBe(false);
        expect(outcomes, `${runner}: "${scenario}" must record the one output the runner gives`).toHaveLength(1);
      }
    }
  });
});

describe("docs/PORTABLE_PINS.md", () => {
  const doc = readFileSync(DOC, "utf8");

  const target = process.env["BEAM_TS_WRITE_PINS_DOC"];
  if (target !== undefined && target !== "") {
    it("is rewritten from the pins (and a pins report)", () => {
      const kept = new Map(tableRows(doc).map((r) => [`${r.runner}\u0000${r.scenario}`, r.observed]));
      const fresh = target !== "1" && existsSync(target) ? reportOutcomes(target) : new Map<string, string>();
      const rows = expectedRows((runner, scenario) => fresh.get(`${runner}\u0000${scenario}`) ?? kept.get(`${runner}\u0000${scenario}`) ?? "not run");
      const table = [
        "| runner | scenario | reason | kind | last observed |",
        "|---|---|---|---|---|",
        ...rows.map((r) => `| ${r.runner} | ${cell(r.scenario)} | ${r.reason} | ${r.kind} | ${r.observed} |`),
      ].join("\n");
      writeFileSync(DOC, `${doc.slice(0, doc.indexOf(MARKER) + MARKER.length)}\n\n${table}\n`);
    });
    return;
  }

  it("lists every pin of test/conformance/portable-pins.ts, and nothing else, with its reason and kind", () => {
    const strip = (rows: Row[]) => rows.map(({ runner, scenario, reason, kind }) => ({ runner, scenario, reason, kind }));
    expect(strip(tableRows(doc))).toEqual(strip(expectedRows(() => "")));
  });

  it("explains every reason", () => {
    for (const name of Object.keys(PIN_REASONS)) expect(doc).toContain(`\`${name}\``);
  });
});
