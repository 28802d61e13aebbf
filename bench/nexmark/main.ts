/**
 * The Nexmark benchmark on the embedded runner:
 *
 *   npm run nexmark -- --query=N --numEvents=100000 [--streaming] [--check] [--parallelism=2]
 *
 * `--query` takes a number, a list (`0,1,2`) or `all`. Query 10 writes its log files under
 * `--outputPath` (default: a new temp dir). Prints Beam-style results (the
 * table of Beam's NexmarkLauncher): runtime, events per second and result count per query;
 * `--check` also compares each query's results with its model.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineOptions, option } from "../../src/index.js";
import { DEFAULT_CONFIGURATION, nexmarkConfiguration, type RateShape } from "./config.js";
import { standardEvents, splitEventsInTimeOrder } from "./generator.js";
import { MODELS } from "./models/index.js";
import { QUERIES } from "./queries/index.js";
import { runQuery, type QueryRun } from "./run-query.js";

const d = DEFAULT_CONFIGURATION;
const Options = defineOptions({
  query: option.string({ description: "Query number, list (0,1,2) or all", default: "0" }),
  numEvents: option.integer({ description: "Events to generate", default: d.numEvents, min: 1 }),
  numEventGenerators: option.integer({ description: "Event generators (source splits)", default: d.numEventGenerators, min: 1 }),
  streaming: option.boolean({ description: "Unbounded source with a watermark (Beam's --streaming)" }),
  isRateLimited: option.boolean({ description: "Streaming: emit events when due by their event time" }),
  firstEventRate: option.integer({ description: "Events per second at first", default: d.firstEventRate, min: 1 }),
  nextEventRate: option.integer({ description: "Events per second next", default: d.nextEventRate, min: 1 }),
  rateShape: option.choice(["SINE", "SQUARE"], { description: "Shape of the rate between the two", default: d.rateShape }),
  windowSizeSec: option.integer({ description: "Window size (queries 3, 5, 7)", default: d.windowSizeSec, min: 1 }),
  windowPeriodSec: option.integer({ description: "Sliding period (queries 4, 5)", default: d.windowPeriodSec, min: 1 }),
  outOfOrderGroupSize: option.integer({ description: "Events shuffled together per generator", default: d.outOfOrderGroupSize, min: 1 }),
  auctionSkip: option.integer({ description: "Query 2 auction modulus", default: d.auctionSkip, min: 1 }),
  fanout: option.integer({ description: "Combine fanout (queries 4, 5, 7)", default: d.fanout, min: 1 }),
  probDelayedEvent: option.number({ description: "Rate-limited streaming: probability an event is held back (late)", default: d.probDelayedEvent, min: 0, max: 1 }),
  occasionalDelaySec: option.integer({ description: "Rate-limited streaming: longest hold-back, in seconds", default: d.occasionalDelaySec, min: 0 }),
  maxLogEvents: option.integer({ description: "Events per pane before an early one (queries 10, 11)", default: d.maxLogEvents, min: 1 }),
  maxNumWorkers: option.integer({ description: "Query 10 writes 5 log shards per worker", default: d.maxNumWorkers, min: 1 }),
  outputPath: option.string({ description: "Query 10 writes its files under <outputPath>/logs (default: a new temp dir)" }),
  check: option.boolean({ description: "Compare the results with the query's model" }),
});

const options = Options.parseOrExit(process.argv.slice(2), "nexmark");
const queries = options.query === "all" ? Object.keys(QUERIES).map(Number) : options.query.split(",").map((s) => Number(s.trim()));
for (const q of queries) {
  if (QUERIES[q] === undefined) {
    process.stderr.write(`nexmark: query ${q} is not implemented; queries: ${Object.keys(QUERIES).join(", ")}, or all.\n`);
    process.exit(2);
  }
}
if ((options.parallelism ?? 1) > 1 && (queries.length > 1 || options.check)) {
  // Worker threads rebuild the program's first pipeline; --check collects results in this thread.
  process.stderr.write("nexmark: --parallelism runs one query per program, without --check.\n");
  process.exit(2);
}
const config = nexmarkConfiguration({
  numEvents: options.numEvents,
  numEventGenerators: options.numEventGenerators,
  isRateLimited: options.isRateLimited,
  firstEventRate: options.firstEventRate,
  nextEventRate: options.nextEventRate,
  rateShape: options.rateShape as RateShape,
  windowSizeSec: options.windowSizeSec,
  windowPeriodSec: options.windowPeriodSec,
  outOfOrderGroupSize: options.outOfOrderGroupSize,
  auctionSkip: options.auctionSkip,
  fanout: options.fanout,
  probDelayedEvent: options.probDelayedEvent,
  occasionalDelaySec: options.occasionalDelaySec,
  maxLogEvents: options.maxLogEvents,
  maxNumWorkers: options.maxNumWorkers,
  // Beam's logs directory under --outputPath; query 10 is the only query that writes files.
  outputPath: queries.includes(10) ? join(options.outputPath ?? mkdtempSync(join(tmpdir(), "nexmark-")), "logs") : "",
});
if (queries.includes(10)) process.stdout.write(`Query 10 writes its log files to ${config.outputPath}\n`);

const started = new Date();
const runs: { run: QueryRun; check: string }[] = [];
for (const q of queries) {
  if (options.streaming && QUERIES[q]!(config, { streaming: true }).batchOnly === true) {
    process.stdout.write(`Query ${q} is batch only: skipped in streaming.\n`);
    continue;
  }
  const run = await runQuery(config, q, { streaming: options.streaming, collect: options.check, pipelineOptions: options });
  let check = "";
  if (options.check) {
    const model = MODELS[q]!;
    const events = config.numEventGenerators === 1 ? standardEvents(config) : splitEventsInTimeOrder(config);
    const expected = model.expected(events, config);
    const actual = model.actual(run.results as never);
    const same = expected.length === actual.length && expected.every((e, i) => e === actual[i]);
    check = same ? "model OK" : `MODEL MISMATCH (expected ${expected.length}, got ${actual.length})`;
  }
  runs.push({ run, check });
  process.stdout.write(`${run.name} (${run.streaming ? "streaming" : "batch"}): ${run.seconds.toFixed(2)} s, ${run.resultCount} results ${check}\n`);
}

const rule = "=".repeat(90);
const lines = [
  rule,
  `Run started ${started.toISOString()} and ran for ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`,
  "",
  "Configurations:",
  "  Conf  Description",
  ...runs.map(
    ({ run }, i) =>
      `  ${String(i).padStart(4, "0")}  query:${run.name}; numEvents:${config.numEvents}; numEventGenerators:${config.numEventGenerators}` +
      `${run.streaming ? "; streaming:true" : ""}${config.isRateLimited ? "; isRateLimited:true" : ""}`,
  ),
  "Performance:",
  "  Conf  Runtime(sec)  Events(/sec)       Results  Check",
  ...runs.map(
    ({ run, check }, i) =>
      `  ${String(i).padStart(4, "0")}  ${run.seconds.toFixed(1).padStart(12)}  ${run.eventsPerSec.toFixed(1).padStart(12)}  ${String(run.resultCount).padStart(12)}  ${check}`,
  ),
  rule,
];
process.stdout.write(`${lines.join("\n")}\n`);
if (runs.some((r) => r.check.startsWith("MODEL MISMATCH"))) process.exitCode = 1;
