import { afterEach, describe, expect, it, vi } from "vitest";
import { Pipeline, create, generateSequence, map } from "../../src/index.js";
import { setProgressStream, progressLine, type ProgressStream } from "../../src/observe/index.js";
import type { JobSnapshot } from "../../src/pipeline/index.js";

/** A stream that records what is written; a terminal when `tty`. */
function fakeStream(tty: boolean): ProgressStream & { text: string } {
  const s = { text: "", isTTY: tty, columns: 100, write: (t: string) => ((s.text += t), true) };
  return s;
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  vi.unstubAllEnvs();
});

function wordsPipeline(options: Record<string, unknown>): Pipeline {
  const p = new Pipeline({ jobName: "words", ...options });
  p.apply("Lines", create(["a b", "c d e"])).apply("Split", map((l: string) => l.length));
  return p;
}

describe("terminal progress", () => {
  it("prints only a one-line summary (state, time, elements per top-level transform) when the stream is no terminal", async () => {
    vi.stubEnv("BEAM_TS_QUIET", "");
    const out = fakeStream(false);
    restore = setProgressStream(out);
    await wordsPipeline({}).run().waitUntilFinish();
    expect(out.text).toMatch(/^beam-ts: words DONE in \d+\.\d s · elements out: Lines 2, Split 2\n$/);
  });

  it("prints nothing with --quiet", async () => {
    vi.stubEnv("BEAM_TS_QUIET", "");
    const out = fakeStream(false);
    restore = setProgressStream(out);
    await wordsPipeline({ quiet: true }).run().waitUntilFinish();
    expect(out.text).toBe("");
  });

  it("redraws a progress line on a terminal while a batch job runs, then clears it for the summary", async () => {
    vi.stubEnv("BEAM_TS_QUIET", "");
    const out = fakeStream(true);
    restore = setProgressStream(out);
    const p = new Pipeline({ jobName: "slow" });
    // A bounded, splittable source (offset ranges: fraction done), slow enough to be drawn a few times.
    const spin = (n: number) => {
      const until = performance.now() + 0.5;
      while (performance.now() < until);
      return n * 2;
    };
    p.apply("Numbers", generateSequence({ from: 0, to: 2400 })).apply("Twice", map(spin));
    await p.run().waitUntilFinish();
    const frames = out.text.split("\r\x1b[2K").filter((f) => f.startsWith("slow "));
    expect(frames.length).toBeGreaterThanOrEqual(1);
    expect(frames.some((f) => /\[#*-*\] +\d+% · [\d,]+ elements\/s/.test(f))).toBe(true);
    const clear = "\r\u001b[2K";
    expect(out.text.endsWith("\n")).toBe(true);
    const last = out.text.slice(out.text.lastIndexOf(clear) + clear.length);
    expect(last).toMatch(/^beam-ts: slow DONE in [\d.]+ s · elements out: Numbers 2,400, Twice 2,400\n$/);
  });

  it("shows the fraction done and the time left from sources' progress", () => {
    const snap = {
      job: { name: "j", state: "RUNNING", runner: "embedded", startTime: 0 },
      graph: { transforms: [], pcollections: [] },
      steps: [],
      stages: [{ label: "Read", steps: ["Read"], inputWatermark: 0, outputWatermark: 0, bundles: 4, elements: 4000, bundleMillis: { count: 4, sum: 1, min: 0, max: 1, mean: 0.25 }, retries: 0, failures: 0, done: false }],
      sources: [{ label: "Read", elements: 4000, fractionDone: 0.25, backlog: 300, done: false }],
      metrics: { counters: [], distributions: [], gauges: [], stringSets: [] },
      lineage: { sources: [], sinks: [] },
      takenAt: 2000,
    } satisfies JobSnapshot;
    expect(progressLine(snap)).toBe("j [#####---------------]  25% · 2,000 elements/s · ETA 6.0 s · 2.0 s");
  });
});
