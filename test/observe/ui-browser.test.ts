import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { Metrics, Pipeline, countPerElement, fixedWindows, generateSequence, parDo, windowInto } from "../../src/index.js";

/**
 * The monitoring page (--ui) in a real headless browser: Debian's chromium, driven by
 * playwright-core (which never downloads a browser of its own). CI installs chromium
 * (.ci/run); a machine without it skips these tests and says so.
 */
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));
if (CHROMIUM === undefined) console.warn("ui-browser.test.ts: skipped, no chromium found (apt-get install chromium)");

/** Polls `check` until it passes (the job runs on the wall clock); fails after `ms`. */
async function eventually<T>(check: () => Promise<T>, ms = 10_000): Promise<T> {
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

/** A streaming job with a composite (the count per key) and a user counter, run with --ui; resolves its page's URL. */
async function streamingJobWithUi(jobName: string, options: Record<string, unknown> = {}) {
  const stderr: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  const p = new Pipeline({ ui: true, jobName, ...options });
  const seen = Metrics.counter("test", "seen");
  p.apply("Ticks", generateSequence({ rate: { elements: 200, period: 100 } }))
    .apply("Keys", parDo<number, number>({
      process(n, ctx) {
        seen.inc();
        ctx.output(n % 3);
      },
    }))
    .apply("Window", windowInto(fixedWindows(200)))
    .apply("PerKey", countPerElement());
  const result = p.run();
  const url = await eventually(async () => {
    const m = new RegExp(`web page of ${jobName} at (http://127\\.0\\.0\\.1:\\d+/)`).exec(stderr.join(""));
    if (m === null) throw new Error("no page URL printed yet");
    return m[1]!;
  });
  spy.mockRestore();
  return { result, url };
}

describe.skipIf(CHROMIUM === undefined)("the monitoring web page in chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true });
  }, 20_000);
  afterAll(async () => browser?.close());

  it("draws a box per step, counts up while the job runs, collapses composites, and drains the job", async () => {
    const { result, url } = await streamingJobWithUi("watched");
    const page = await browser.newPage();
    try {
      await page.goto(url);
      // The graph: one box per primitive step, inside the composite's cluster.
      await page.waitForSelector('#graph-svg g.node[data-step="Keys"]');
      await page.waitForSelector('#graph-svg g.cluster[data-composite="PerKey"]');
      const boxes = await page.$$eval("#graph-svg g.node", (gs) => gs.map((g) => g.getAttribute("data-step")));
      expect(boxes).toEqual(expect.arrayContaining(["Ticks/Generate", "Keys", "Window"]));
      expect(boxes.some((b) => b?.startsWith("PerKey/"))).toBe(true);
      expect(await page.locator("#graph-svg path.edge").count()).toBeGreaterThan(2);

      // Counts grow between updates of the event stream.
      const outOfKeys = async () => Number((await page.locator('#steps tr[data-step="Keys"] td.out').textContent())!.replace(/,/g, ""));
      const first = await eventually(async () => {
        const n = await outOfKeys();
        if (!(n > 0)) throw new Error("no counts yet");
        return n;
      });
      await eventually(async () => {
        if (!((await outOfKeys()) > first)) throw new Error("no growth yet");
      });
      expect(await page.locator('#steps tr[data-step="Keys"]').textContent()).toContain("test/seen");
      expect(await page.locator("#state").textContent()).toBe("RUNNING");
      // Without --checkpointDir there is no savepoint to take, and the button says why.
      expect(await page.locator("#savepoint").isDisabled()).toBe(true);
      expect(await page.locator("#savepoint").getAttribute("title")).toMatch(/takes no checkpoints.*--checkpointDir/);

      // A composite folds into one box and opens again.
      await page.locator('#graph-svg g.cluster[data-composite="PerKey"] text').click();
      await page.waitForSelector('#graph-svg g.node.collapsed[data-step="PerKey"]');
      expect(await page.locator('#graph-svg g.node[data-step^="PerKey/"]').count()).toBe(0);
      await page.locator('#graph-svg g.node.collapsed[data-step="PerKey"]').click();
      await page.waitForSelector('#graph-svg g.cluster[data-composite="PerKey"]');

      // Drain asks first: declining does nothing, accepting drains the job.
      page.once("dialog", (d) => void d.dismiss());
      await page.locator("#drain").click();
      await new Promise((r) => setTimeout(r, 700));
      expect(result.state).toBe("RUNNING");
      page.once("dialog", (d) => void d.accept());
      await page.locator("#drain").click();
      expect(await result.waitUntilFinish()).toBe("DRAINED");
    } finally {
      await page.close();
      await result.cancel();
    }
  }, 30_000);

  it("writes a savepoint of a checkpointed job when asked and confirmed, and shows its path", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-ui-savepoint-"));
    const { result, url } = await streamingJobWithUi("saved", { checkpointDir: dir, checkpointInterval: 60_000 });
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector("#savepoint:not([disabled])");
      page.once("dialog", (d) => void d.accept());
      await page.locator("#savepoint").click();
      const shown = await eventually(async () => {
        const m = /savepoint written to (\S+)/.exec((await page.locator("#action-result").textContent()) ?? "");
        if (m === null) throw new Error("no savepoint path shown yet");
        return m[1]!;
      });
      expect(path.dirname(shown)).toBe(dir);
      expect(readdirSync(dir)).toContain(path.basename(shown));
    } finally {
      await page.close();
      await result.cancel();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
