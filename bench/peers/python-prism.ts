/**
 * Beam Python's Nexmark (apache_beam.testing.benchmarks.nexmark) on Prism, for
 * `npm run bench:peers`.
 *
 * Beam Python's launcher has no event generator: in batch it reads the events from a file
 * of JSON lines (`--input`, parsed by its ParseJsonEventFn). We write that file once per
 * (numEvents, numEventGenerators) with our generator (the same events as Beam Java's
 * generator, in the source's split order) and cache it. The launcher runs with
 * `--runner=PrismRunner --prism_location=<our cached Prism binary>` (so that it downloads
 * nothing) and LOOPBACK workers; a small driver replaces its log_performance to print the
 * launcher's own measurement (events and results counted by its monitor DoFns, runtime
 * from the first to the last bundle of the monitors) as one JSON line.
 */
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { nexmarkConfiguration } from "../nexmark/config.js";
import { standardGeneratorConfig } from "../nexmark/generator-config.js";
import { Generator } from "../nexmark/generator.js";

/** Beam Python's launcher accepts queries 0–12. */
export const PYTHON_QUERIES: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

export const PERF_PREFIX = "NEXMARK_PERF ";

const DRIVER = `# Written by bench/peers/python-prism.ts: runs Beam Python's Nexmark launcher and prints
# its performance measurement as one JSON line.
import json
from apache_beam.testing.benchmarks.nexmark.nexmark_launcher import NexmarkLauncher

def log_performance(perf):
  print(${JSON.stringify(PERF_PREFIX)} + json.dumps({
      "eventCount": perf.event_count, "resultCount": perf.result_count,
      "runtimeSec": perf.runtime_sec, "eventsPerSec": perf.event_per_sec}), flush=True)

NexmarkLauncher.log_performance = staticmethod(log_performance)
launcher = NexmarkLauncher()
launcher.run()
launcher.cleanup()
`;

/** Writes the driver script into `dir`; returns its path. */
export function writePythonDriver(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "nexmark_driver.py");
  writeFileSync(file, DRIVER);
  return file;
}

/**
 * The events of a run as JSON lines (Beam's Person / Auction / Bid JSON, as Beam Java's
 * Nexmark writes them), cached under `dir`; returns the file's path.
 */
export async function ensureEventsFile(dir: string, numEvents: number, numEventGenerators: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `nexmark-events-${numEvents}-g${numEventGenerators}.jsonl`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const config = nexmarkConfiguration({ numEvents, numEventGenerators });
  let chunk: string[] = [];
  const flush = async () => {
    if (!out.write(chunk.join(""))) await once(out, "drain");
    chunk = [];
  };
  for (const split of standardGeneratorConfig(config).split(config.numEventGenerators)) {
    const g = new Generator(split);
    while (g.hasNext()) {
      const e = g.nextEvent().event;
      chunk.push(JSON.stringify(e.kind === "person" ? e.newPerson : e.kind === "auction" ? e.newAuction : e.bid), "\n");
      if (chunk.length >= 20_000) await flush();
    }
  }
  await flush();
  out.end();
  await once(out, "close");
  renameSync(tmp, file);
  return file;
}

/** The launcher's command line for one query. */
export function pythonArgs(driver: string, opts: { query: number; numEvents: number; input: string; prism: string }): string[] {
  return [
    driver,
    `--query=${opts.query}`,
    `--num_events=${opts.numEvents}`,
    `--input=${opts.input}`,
    "--runner=PrismRunner",
    `--prism_location=${opts.prism}`,
    "--environment_type=LOOPBACK",
  ];
}

/** The launcher's measurement, from its output; undefined when it printed none. */
export function parsePythonPerf(stdout: string): { eventCount: number; resultCount: number; runtimeSec: number; eventsPerSec: number } | undefined {
  const line = stdout.split("\n").find((l) => l.startsWith(PERF_PREFIX));
  return line === undefined ? undefined : JSON.parse(line.slice(PERF_PREFIX.length));
}
