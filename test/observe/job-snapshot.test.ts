import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Pipeline, type JobSnapshot } from "../../src/index.js";
import { ELEMENTS, GATE, buildSnapshotPipeline } from "./snapshot-pipeline.js";

const MODULE = fileURLToPath(new URL("./snapshot-module.ts", import.meta.url));

const step = (snap: JobSnapshot, label: string) => snap.steps.find((s) => s.label === label);

describe("JobSnapshot of the embedded runner", () => {
  it("counts elements per step, bundles and watermarks per stage, and source progress, for a batch job", async () => {
    const p = new Pipeline({ jobName: "snap" });
    buildSnapshotPipeline(p);
    const result = p.run();
    const during: JobSnapshot[] = [];
    const timer = setInterval(() => during.push(result.snapshot!()), 50);
    await result.waitUntilFinish();
    clearInterval(timer);
    const snap = result.snapshot!();
    expect(snap.job).toMatchObject({ name: "snap", state: "DONE", runner: "embedded" });
    expect(snap.job.endTime).toBeGreaterThanOrEqual(snap.job.startTime);
    expect(step(snap, "Twice")).toEqual({ label: "Twice", elementsIn: ELEMENTS, elementsOut: ELEMENTS });
    const generate = snap.stages.find((s) => s.steps.includes("Twice"))!;
    expect(generate.bundles).toBeGreaterThan(1);
    expect(generate.bundleMillis.count).toBe(generate.bundles);
    expect(generate.done).toBe(true);
    expect(snap.graph.stages?.map((s) => s.label)).toEqual(snap.stages.map((s) => s.label));
    expect(snap.metrics.counters.find((c) => c.name === "seen")?.committed).toBe(ELEMENTS);
    // While it ran, the splittable source's restriction progress went up to done.
    const fractions = during.map((s) => s.sources.find((x) => x.label === "Numbers/Generate")?.fractionDone).filter((f) => f !== undefined);
    expect(fractions.length).toBeGreaterThan(0);
    expect(fractions.some((f) => f > 0 && f < 1)).toBe(true);
    expect(snap.workers).toEqual({ threads: 1, reporting: 1 });
    expect(JSON.parse(JSON.stringify(snap.graph))).toEqual(snap.graph);
  });

  it("adds up what worker threads report with --parallelism", async () => {
    const p = new Pipeline({ parallelism: 2, pipelineModule: MODULE, jobName: "threads" });
    buildSnapshotPipeline(p);
    let open!: () => void;
    const globals = globalThis as Record<string, unknown>;
    globals[GATE] = new Promise<void>((resolve) => (open = resolve));
    const result = p.run();
    let liveFromWorkers = false;
    const release = () => {
      delete globals[GATE];
      open();
    };
    // Past this the gate opens anyway, and the test fails below instead of hanging.
    const giveUp = setTimeout(release, 40_000);
    const timer = setInterval(() => {
      if (result.snapshot!().workers?.reporting === 2) {
        liveFromWorkers = true;
        release();
      }
    }, 50);
    try {
      await result.waitUntilFinish();
    } finally {
      clearInterval(timer);
      clearTimeout(giveUp);
      release();
    }
    const snap = result.snapshot!();
    expect(snap.workers).toEqual({ threads: 2, reporting: 2 });
    expect(liveFromWorkers).toBe(true);
    // Every element counted once, whichever thread ran it.
    expect(step(snap, "Twice")).toMatchObject({ elementsIn: ELEMENTS, elementsOut: ELEMENTS });
    expect(snap.metrics.counters.find((c) => c.name === "seen")?.committed).toBe(ELEMENTS);
  }, 60_000);
});
