import { describe, expect, it } from "vitest";
import { Pipeline, ptransform, type PCollection } from "../../pipeline/index.js";
import { create, map } from "../../transforms/index.js";
import { MetricsContainer } from "../../metrics/index.js";
import { bundleMonitoring } from "../../harness/index.js";
import { runnerMetrics, stepNames } from "./job-metrics.js";

function graph() {
  const p = new Pipeline({});
  p.apply("Words", create(["a"])).apply(
    "Outer",
    ptransform("Outer", (pc: PCollection<string>) => pc.apply("Measure", map((w: string) => w))),
  );
  return p.graph();
}

describe("job metrics from the runner", () => {
  const g = graph();
  const measureId = [...g.transforms].find(([, t]) => t.fullLabel === "Outer/Measure" && t.primitive !== undefined)![0];

  it("names steps by the full label of the transform with the runner's id, or the id it starts with", () => {
    const stepOf = stepNames(g);
    expect(stepOf(measureId)).toBe("Outer/Measure");
    expect(stepOf(`${measureId}/PairWithRestriction`)).toBe("Outer/Measure");
    expect(stepOf("unknown-id")).toBe("unknown-id");
  });

  it("takes committed values as attempted where the runner's attempted values fall short or are missing", () => {
    const committed = new MetricsContainer("x");
    committed.counter("ns", "n").inc(5);
    committed.distribution("ns", "d").update(2);
    const partial = new MetricsContainer("x");
    partial.counter("ns", "n").inc(2);
    const results = {
      committed: bundleMonitoring([committed], () => measureId).monitoringInfos,
      attempted: bundleMonitoring([partial], () => measureId).monitoringInfos,
    };
    const { attempted, committed: c } = runnerMetrics(results, g);
    expect(c.map((x) => [x.step, x.counter("ns", "n").value])).toEqual([["Outer/Measure", 5]]);
    expect(attempted.map((x) => [x.step, x.counter("ns", "n").value, x.distribution("ns", "d").count])).toEqual([["Outer/Measure", 5, 1]]);
  });
});
