import { describe, expect, it } from "vitest";
import { compareRuns, ratios, type BenchRun } from "./compare.js";

const run = (commit: string, mapFilter: number, streaming: number): BenchRun => ({
  commit,
  batch: [
    { workload: "map→filter", system: "hand-written Node loop", ratioToHandWritten: 1 },
    { workload: "map→filter", system: "beam-ts embedded", ratioToHandWritten: mapFilter },
  ],
  streaming: { beamEventsPerSec: streaming, handEventsPerSec: 10 },
});

describe("npm run bench -- --compare", () => {
  it("reads beam-ts's ratios per workload, the streaming count as its rate over the hand-written one", () => {
    expect([...ratios(run("a", 0.25, 1))]).toEqual([
      ["map→filter", 0.25],
      ["streaming window count", 0.1],
    ]);
  });

  it("prints each workload's ratio before and after with the change in percent, and workloads only one run has", () => {
    const before: BenchRun = { commit: "abc", batch: [...run("abc", 0.2, 1).batch, { workload: "gone", system: "beam-ts embedded", ratioToHandWritten: 0.5 }] };
    expect(compareRuns(before, run("def", 0.3, 2))).toEqual([
      "ratio to hand-written: abc → def",
      `${"map→filter".padEnd(30)} 0.200 → 0.300  +50%`,
      `${"streaming window count".padEnd(30)}     - → 0.200  new`,
      `${"gone".padEnd(30)} 0.500 → not run`,
    ]);
  });
});
