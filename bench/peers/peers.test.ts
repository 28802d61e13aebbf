import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nexmarkConfiguration } from "../nexmark/config.js";
import { runHandwritten } from "./handwritten.js";
import { MARKER_END, MARKER_START, markdown, runPeers, writeMarkdownSection, type PeerRun, type PeersResults } from "./orchestrator.js";
import { checkFinalAverages, QUERY6_COUNT_NOTE } from "./query6-check.js";

const root = path.resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(path.join(os.tmpdir(), "bench-peers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench:peers", () => {
  it("runs beam-ts and the hand-written loops on tiny sizes and reports them", async () => {
    const jsonPath = path.join(dir, "nexmark-results.json");
    const markdownPath = path.join(dir, "RESULTS.md");
    writeFileSync(markdownPath, "# Benchmark results\n\nkept\n");
    await runPeers({
      sizes: [5_000],
      queries: [0, 1, 2],
      systems: ["beam-ts", "handwritten"],
      timeoutSec: 60,
      root,
      jsonPath,
      markdownPath,
      cacheDir: path.join(dir, "cache"),
      log: () => {},
    });

    const json = JSON.parse(readFileSync(jsonPath, "utf8")) as PeersResults;
    expect(json.machine).toMatchObject({ cpuCount: expect.any(Number), cpuModel: expect.any(String), memoryGiB: expect.any(Number), node: process.version });
    expect(Object.keys(json.versions)).toEqual(expect.arrayContaining(["beamTs", "beamPython", "beamJava", "prism", "flink"]));
    expect(json.commands["beam-ts"]).toContain("bench/peers/child.ts");
    expect(json.runs).toHaveLength(json.systems.length * 3);
    for (const r of json.runs) {
      expect(r).toMatchObject({ query: expect.any(Number), system: expect.any(String), numEvents: 5_000 });
      expect(r.error).toBeUndefined();
      expect(r.timedOut).toBeUndefined();
      expect(r.eventsPerSec).toBeGreaterThan(0);
      expect(r.runtimeSec).toBeGreaterThan(0);
    }
    for (const q of [0, 1, 2]) {
      const count = (system: string) => json.runs.find((r) => r.query === q && r.system === system)!.resultCount;
      expect(count("beam-ts")).toBe(count("handwritten"));
    }
    expect(json.runs.find((r) => r.query === 0 && r.system === "beam-ts")!.resultCount).toBe(5_000);
    expect(json.checks.every((c) => c.agree)).toBe(true);

    const md = readFileSync(markdownPath, "utf8");
    expect(md.startsWith("# Benchmark results\n\nkept\n")).toBe(true);
    expect(md).toContain(MARKER_START);
    expect(md).toContain(MARKER_END);
    expect(md).toContain("### 5,000 events");
    expect(md).toMatch(/\| query \| beam-ts embedded, 1 thread \|.*hand-written Node \|.*beam-ts \/ handwritten \| result counts \|/);
    expect(md).toMatch(/\| Q2 \| [\d,]+ \|/);
    // Six child processes: ~10 s on an idle machine, ~20 s on a loaded one.
  }, 60_000);

  it("keeps the earlier run's cells when a later run measures other sizes", async () => {
    const jsonPath = path.join(dir, "nexmark-results.json");
    const markdownPath = path.join(dir, "RESULTS.md");
    const first = JSON.parse(readFileSync(jsonPath, "utf8")) as PeersResults;
    await runPeers({ sizes: [3_000], queries: [0], systems: ["handwritten"], timeoutSec: 60, root, jsonPath, markdownPath, cacheDir: path.join(dir, "cache"), log: () => {} });

    const json = JSON.parse(readFileSync(jsonPath, "utf8")) as PeersResults;
    expect(json.config.sizes).toEqual([3_000, 5_000]);
    expect(json.runs.filter((r) => r.numEvents === 5_000)).toEqual(first.runs.map((r) => ({ ...r, measuredAt: first.generatedAt })));
    expect(json.runs.filter((r) => r.numEvents === 3_000).map((r) => r.system)).toEqual(["handwritten"]);
    expect(json.earlier).toEqual([
      { generatedAt: first.generatedAt, invocation: first.commands["invocation"], sizes: [5_000], queries: [0, 1, 2], systems: ["beam-ts", "beam-ts-2threads", "handwritten"] },
    ]);
    expect(json.systems.map((s) => s.id)).toEqual(expect.arrayContaining(first.systems.map((s) => s.id)));
    const md = readFileSync(markdownPath, "utf8");
    expect(md).toContain("### 3,000 events");
    expect(md).toContain("### 5,000 events");
    expect(md).toContain("beam-ts, beam-ts-2threads, handwritten at 5,000 events, queries 0, 1, 2.");
  }, 60_000);

  it("measures one system again without dropping the others' cells at that size", async () => {
    const jsonPath = path.join(dir, "nexmark-results.json");
    const markdownPath = path.join(dir, "RESULTS.md");
    const before = JSON.parse(readFileSync(jsonPath, "utf8")) as PeersResults;
    await runPeers({ sizes: [5_000], queries: [1], systems: ["handwritten"], timeoutSec: 60, root, jsonPath, markdownPath, cacheDir: path.join(dir, "cache"), log: () => {} });

    const json = JSON.parse(readFileSync(jsonPath, "utf8")) as PeersResults;
    const at5k = json.runs.filter((r) => r.numEvents === 5_000);
    // The fresh cell replaced the old one; every other 5,000-event cell is still there.
    expect(at5k.filter((r) => r.system === "handwritten" && r.query === 1)).toHaveLength(1);
    expect(at5k.find((r) => r.system === "handwritten" && r.query === 1)!.measuredAt).toBeUndefined();
    expect(at5k.filter((r) => r.system !== "handwritten" || r.query !== 1)).toEqual(
      before.runs.filter((r) => r.numEvents === 5_000 && (r.system !== "handwritten" || r.query !== 1)),
    );
    expect(json.runs.filter((r) => r.numEvents === 3_000)).toHaveLength(1);
    expect(json.config.queries).toEqual([0, 1, 2]);
    expect(json.checks.every((c) => c.agree)).toBe(true);
  }, 60_000);

  it("replaces only its own section of RESULTS.md", () => {
    const file = path.join(dir, "section.md");
    writeFileSync(file, `before\n\n${MARKER_START}\nold\n${MARKER_END}\nafter\n`);
    writeMarkdownSection(file, `${MARKER_START}\nnew\n${MARKER_END}`);
    expect(readFileSync(file, "utf8")).toBe(`before\n\n${MARKER_START}\nnew\n${MARKER_END}\nafter\n`);
  });

  it("compares beam-ts on 2 threads with Flink at parallelism 2 in a column of its own", () => {
    const run = (system: string, eventsPerSec: number): PeerRun => ({ query: 1, system, numEvents: 1_000, eventsPerSec, resultCount: 920, runtimeSec: 1_000 / eventsPerSec });
    const systems = [
      { id: "beam-ts", label: "beam-ts embedded, 1 thread" },
      { id: "beam-ts-2threads", label: "beam-ts embedded, 2 threads" },
      { id: "java-flink", label: "Beam Java on local Flink (parallelism 2)" },
    ];
    const md = markdown({
      generatedAt: "2026-11-26T21:00:00.000Z",
      machine: {},
      versions: {},
      config: { sizes: [1_000], queries: [1], systems: systems.map((s) => s.id), timeoutSec: 60, numEventGenerators: 100 },
      commands: { invocation: "npm run bench:peers" },
      measurement: {},
      systems,
      runs: [run("beam-ts", 600), run("beam-ts-2threads", 1_000), run("java-flink", 400)],
      checks: [{ query: 1, numEvents: 1_000, agree: true, counts: { "beam-ts": 920, "beam-ts-2threads": 920, "java-flink": 920 } }],
    });
    expect(md).toMatch(/\| beam-ts 2 threads \/ 1 thread \| beam-ts \/ java-flink \| beam-ts 2 threads \/ java-flink \| result counts \|/);
    expect(md).toContain("| Q1 | 600 | 1,000 | 400 | 1.67 | 1.50 | 2.50 | 920 (all agree) |");
  });

  it("compares query 6 by its final averages per seller, with the differing pane counts in a footnote", () => {
    const systems = [
      { id: "beam-ts", label: "beam-ts embedded, 1 thread" },
      { id: "java-direct", label: "Beam Java DirectRunner" },
      { id: "java-flink", label: "Beam Java on local Flink (parallelism 2)" },
    ];
    const averages = { sellers: 802, sum: 38_731_602_754, digest: 855_963_485_686 };
    const run = (system: string, resultCount: number, finalAverages = averages): PeerRun => ({ query: 6, system, numEvents: 1_000, eventsPerSec: 100, resultCount, finalAverages, runtimeSec: 10 });
    const table = (runs: PeerRun[]) => {
      const counts = Object.fromEntries(runs.map((r) => [r.system, r.resultCount!]));
      const finalAverages = checkFinalAverages(runs, Object.keys(counts))!;
      return markdown({
        generatedAt: "2026-12-08T01:00:00.000Z",
        machine: {},
        versions: {},
        config: { sizes: [1_000], queries: [6], systems: systems.map((s) => s.id), timeoutSec: 60, numEventGenerators: 100 },
        commands: { invocation: "npm run bench:peers" },
        measurement: {},
        systems,
        runs,
        checks: [{ query: 6, numEvents: 1_000, agree: false, counts, note: QUERY6_COUNT_NOTE, finalAverages }],
      });
    };
    const agreeing = table([run("beam-ts", 1_885), run("java-direct", 4_295), run("java-flink", 802)]);
    expect(agreeing).toContain(
      "| final averages of 802 sellers (all agree; sum 38,731,602,754, digest 855963485686); pane counts beam-ts 1,885, java-direct 4,295, java-flink 802 [1] |",
    );
    expect(agreeing).not.toContain("MISMATCH");
    expect(agreeing).toContain("1. Query 6's result count is its number of panes.");
    expect(agreeing).toContain(
      "Results: every system that finished a query produced the same results as the others; Q6 at 1,000 compared by the final average per seller (all agree), since their pane counts differ by design (see the footnote).",
    );

    const differing = table([run("beam-ts", 1_885), run("java-direct", 4_295, { ...averages, digest: 1 }), run("java-flink", 802)]);
    expect(differing).toContain("**MISMATCH** in final averages: beam-ts 802 sellers, sum 38,731,602,754, digest 855963485686; java-direct 802 sellers, sum 38,731,602,754, digest 1;");
    expect(differing).toContain("Results differ for Q6 at 1,000 (see the table).");
  });

  it("hand-written query 2 selects every auctionSkip-th auction's bids", () => {
    const config = nexmarkConfiguration({ numEvents: 5_000, numEventGenerators: 3 });
    const q1 = runHandwritten(config, 1);
    const q2 = runHandwritten(config, 2);
    expect(q1.resultCount).toBe(4_600); // 46 of every 50 events are bids
    expect(q2.resultCount).toBeLessThan(q1.resultCount);
    expect(() => runHandwritten(config, 5)).toThrow(RangeError);
  });
});
