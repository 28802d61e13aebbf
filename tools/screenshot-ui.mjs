#!/usr/bin/env node
/* global process, console, setTimeout */
// Saves docs/images/ui.png, the screenshot of the monitoring page in docs/MONITORING.md:
// runs the streaming example (examples/sessions) with --ui, opens its page in Debian's
// chromium through playwright-core (no browser download), waits for a few seconds of live
// counts, and takes the picture. The example drains itself after --seconds.
//
//   node tools/screenshot-ui.mjs [out.png]
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(import.meta.dirname, "..");
const out = path.resolve(process.argv[2] ?? path.join(root, "docs", "images", "ui.png"));
const browserPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));
if (browserPath === undefined) {
  console.error("screenshot-ui: no chromium found; install it (apt-get install chromium)");
  process.exit(1);
}

const job = spawn(process.execPath, ["--import", "tsx", "examples/sessions/main.ts", "--ui", "--jobName=sessions", "--seconds=30", "--rate=80"], {
  cwd: root,
  stdio: ["ignore", "ignore", "pipe"],
});
const url = await new Promise((resolve, reject) => {
  let text = "";
  job.stderr.on("data", (chunk) => {
    text += chunk;
    const m = /web page of \S+ at (http:\/\/\S+)/.exec(text);
    if (m) resolve(m[1]);
  });
  job.once("exit", (code) => reject(new Error(`the example exited (${code}) before printing its page:\n${text}`)));
});

const browser = await chromium.launch({ executablePath: browserPath, headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.waitForSelector("#graph-svg g.node");
  // Long enough for the windows to fire and the watermarks and throughput to show.
  await new Promise((r) => setTimeout(r, 9000));
  mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`screenshot-ui: wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await browser.close();
  job.kill("SIGTERM");
}
