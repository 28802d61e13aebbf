import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Pipeline, create, fixedWindows, groupByKey, kv, map, windowInto } from "../../src/index.js";
import { graphView, toDot, toMermaid, type GraphView } from "../../src/pipeline/index.js";
import { fusedStages } from "../../src/runners/index.js";

/** Numbers → fixed windows → key by parity → group → sum: one fused stage before the GroupByKey, one after. */
function smallPipeline(): Pipeline {
  const p = new Pipeline();
  p.apply("Numbers", create([1, 2, 3]))
    .apply("Window", windowInto(fixedWindows(60_000)))
    .apply("KeyByParity", map((n: number) => kv(n % 2, n)))
    .apply("Group", groupByKey())
    .apply("Sum", map((g: { key: number; value: Iterable<number> }) => [...g.value].reduce((a, b) => a + b, 0)));
  return p;
}

const MERMAID = `flowchart TD
  subgraph t1["Numbers"]
    t2["Numbers/Impulse<br/><small>impulse · stage Numbers/Impulse</small>"]
    t4["Numbers/Values<br/><small>parDo · stage Numbers/Impulse</small>"]
  end
  t6["Window<br/><small>assignWindows · stage Numbers/Impulse</small>"]
  t8["KeyByParity<br/><small>parDo · stage Numbers/Impulse</small>"]
  t10["Group<br/><small>groupByKey · stage Group</small>"]
  t12["Sum<br/><small>parDo · stage Group</small>"]
  t2 -->|"bytes"| t4
  t4 -->|"varint"| t6
  t6 -->|"varint · FixedWindows(60000ms)"| t8
  t8 -->|"js_value · FixedWindows(60000ms)"| t10
  t10 -->|"kv<js_value(deterministic), iterable<js_value>> · FixedWindows(60000ms)"| t12
`;

const DOT = `digraph pipeline {
  rankdir=TB;
  node [shape=box, style="rounded", fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  subgraph "cluster_t1" {
    label="Numbers";
    "t2" [label="Numbers/Impulse\\nimpulse · stage Numbers/Impulse"];
    "t4" [label="Numbers/Values\\nparDo · stage Numbers/Impulse"];
  }
  "t6" [label="Window\\nassignWindows · stage Numbers/Impulse"];
  "t8" [label="KeyByParity\\nparDo · stage Numbers/Impulse"];
  "t10" [label="Group\\ngroupByKey · stage Group"];
  "t12" [label="Sum\\nparDo · stage Group"];
  "t2" -> "t4" [label="bytes"];
  "t4" -> "t6" [label="varint"];
  "t6" -> "t8" [label="varint · FixedWindows(60000ms)"];
  "t8" -> "t10" [label="js_value · FixedWindows(60000ms)"];
  "t10" -> "t12" [label="kv<js_value(deterministic), iterable<js_value>> · FixedWindows(60000ms)"];
}
`;

describe("graph export", () => {
  it("draws steps with full labels, composites as subgraphs, and PCollections with coder and windows, in Mermaid", () => {
    const p = smallPipeline();
    expect(toMermaid(graphView(p.graph(), fusedStages(p.graph())))).toBe(MERMAID);
  });

  it("draws the same graph in Graphviz DOT", () => {
    const p = smallPipeline();
    expect(toDot(graphView(p.graph(), fusedStages(p.graph())))).toBe(DOT);
  });

  it("pipeline.toMermaid() and toDot() draw the construction graph without stages", () => {
    const p = smallPipeline();
    const strip = (s: string) => s.replace(/ · stage [^<\\"]+/g, "");
    expect(p.toMermaid()).toBe(strip(MERMAID));
    expect(p.toDot()).toBe(strip(DOT));
  });

  it("fuses the embedded runner's stages at GroupByKeys: two stages for the small pipeline", () => {
    const p = smallPipeline();
    expect(fusedStages(p.graph())).toEqual([
      { label: "Numbers/Impulse", steps: ["Numbers/Impulse", "Numbers/Values", "Window", "KeyByParity"] },
      { label: "Group", steps: ["Group", "Sum"] },
    ]);
  });

  it("beam-ts graph prints examples/wordcount as JSON with its transforms, coders and stages, without running it", async () => {
    const { stdout } = await promisify(execFile)("npx", ["tsx", "src/cli/main.ts", "graph", "examples/wordcount/main.ts", "--format=json", "--output=/nonexistent/never-written"], {
      env: { ...process.env, BEAM_TS_QUIET: "1" },
    });
    const view = JSON.parse(stdout) as GraphView;
    expect(view.transforms.map((t) => t.label)).toContain("CountWords/ExtractWords");
    expect(view.pcollections.find((pc) => pc.name === "CountWords/ExtractWords.main")?.coder).toBeTypeOf("string");
    expect(view.stages?.map((s) => s.label)).toContain("Read/ReadLines");
    expect(view.stages?.find((s) => s.label === "Read/ReadLines")?.steps).toContain("CountWords/ExtractWords");
  });

  it("beam-ts graph prints Mermaid by default and DOT when asked", async () => {
    const run = (args: string[]) => promisify(execFile)("npx", ["tsx", "src/cli/main.ts", "graph", "examples/wordcount/main.ts", ...args], { env: { ...process.env, BEAM_TS_QUIET: "1" } });
    expect((await run([])).stdout).toMatch(/^flowchart TD\n/);
    expect((await run(["--format=dot"])).stdout).toMatch(/^digraph pipeline \{\n/);
  });
});
