import { afterEach, describe, expect, it, vi } from "vitest";
import { Metrics, Pipeline, countPerElement, fixedWindows, generateSequence, map, parDo, windowInto } from "../../src/index.js";

/** Polls `check` until it passes (the job runs on the wall clock); fails after `ms`. */
async function eventually<T>(check: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A sample's value in Prometheus text: `name{labels} value`, labels matched as given. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

afterEach(() => vi.restoreAllMocks());

describe("--metricsPort", () => {
  it("serves user and system metrics of a running streaming job, labelled by job and step, on 127.0.0.1", async () => {
    const stderr: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const p = new Pipeline({ metricsPort: 0, jobName: "scraped" });
    const seen = Metrics.counter("test", "seen");
    const sizes = Metrics.distribution("test", "size");
    p.apply("Ticks", generateSequence({ rate: { elements: 200, period: 100 } }))
      .apply("Count", parDo<number, number>({
        process(n, ctx) {
          seen.inc();
          sizes.update(n % 10);
          ctx.output(n % 3);
        },
      }))
      .apply("Window", windowInto(fixedWindows(200)))
      .apply("PerKey", countPerElement())
      .apply("Drop", map(() => 0));
    const result = p.run();
    try {
      const url = await eventually(async () => {
        const m = /metrics of scraped at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr.join(""));
        if (m === null) throw new Error("no endpoint printed yet");
        return m[1]!;
      });
      const scrape = async () => (await fetch(url)).text();
      const first = await eventually(async () => {
        const text = await scrape();
        if (!((sample(text, "beam_user_counter_total", { job: "scraped", step: "Count", name: "seen" }) ?? 0) > 0)) throw new Error("no counts yet");
        return text;
      });
      expect(first).toContain("# TYPE beam_user_counter_total counter");
      expect(first).toContain("# TYPE beam_user_distribution summary");
      expect(sample(first, "beam_user_distribution_count", { step: "Count", name: "size" })).toBeGreaterThan(0);
      expect(sample(first, "beam_job_state", { job: "scraped", state: "RUNNING" })).toBe(1);
      expect(sample(first, "beam_step_input_elements_total", { job: "scraped", step: "Count" })).toBeGreaterThan(0);
      expect(sample(first, "beam_stage_bundles_total", { job: "scraped", stage: "Ticks/Generate" })).toBeGreaterThan(0);
      expect(first).toMatch(/beam_stage_bundle_duration_seconds_count\{job="scraped",stage="Ticks\/Generate"\} \d+/);
      expect(first).toContain("process_cpu_user_seconds_total");
      // Counts grow while the job runs: a second scrape sees more.
      const before = sample(first, "beam_step_input_elements_total", { step: "Count" })!;
      await eventually(async () => {
        const later = sample(await scrape(), "beam_step_input_elements_total", { step: "Count" })!;
        if (!(later > before)) throw new Error("no growth yet");
      });
      // The watermark of the windowed count moves: its lag is measured against processing time.
      const lagged = await eventually(async () => {
        const line = (await scrape()).split("\n").find((l) => l.startsWith('beam_stage_watermark_lag_seconds{job="scraped",stage="PerKey/'));
        if (line === undefined) throw new Error("no lag yet");
        return Number(line.slice(line.lastIndexOf(" ") + 1));
      });
      expect(lagged).toBeGreaterThanOrEqual(0);
      expect((await fetch(url.replace("/metrics", "/nothing"))).status).toBe(404);
    } finally {
      await result.cancel();
    }
    // The endpoint closes with the job.
    const url = /at (http:\/\/[^ ]+\/metrics)/.exec(stderr.join(""))![1]!;
    await expect(fetch(url)).rejects.toThrow();
  });
});
