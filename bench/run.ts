/**
 * `npm run bench`: runs every workload on the embedded runner and as a hand-written Node
 * loop, in this process, alternating, and reports elements/s and the ratio to
 * hand-written. Writes bench/RESULTS.md and bench/results.json (with the commit measured);
 * `-- --compare=<an earlier results.json>` prints the change of every ratio.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pipeline, parDo, type PCollection } from "../src/index.js";
import { countWords, syntheticLines } from "./text.js";
import { workloads, type Workload } from "./workloads.js";
import { runStreamingBench, type StreamingResult } from "./streaming.js";
import { sectionNames, sectionsOf } from "./results-section.js";
import { compareRuns, type BenchRun } from "./compare.js";

interface Result {
  workload: string;
  system: string;
  elementsPerSec: number;
  ratioToHandWritten: number;
}

const REPEATS = Number(process.env["BENCH_REPEATS"] ?? 3);
const WORDCOUNT_BYTES = Number(process.env["BENCH_WORDCOUNT_MB"] ?? 50) * 1024 * 1024;
const STREAMING_EVENTS = Number(process.env["BENCH_STREAMING_EVENTS"] ?? 10_000_000);

async function timePipeline(w: Workload): Promise<{ seconds: number; checksum: number }> {
  const seen: unknown[] = [];
  const p = new Pipeline();
  w.pipeline(p, (pc: PCollection<unknown>) => {
    pc.apply("Sink", parDo<unknown, never>({ process: (x) => void seen.push(x) }));
  });
  const t0 = process.hrtime.bigint();
  await p.run().waitUntilFinish();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, checksum: w.checksum(seen) };
}

function timeHandWritten(w: Workload): { seconds: number; checksum: number } {
  const t0 = process.hrtime.bigint();
  const out = w.handWritten();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, checksum: w.checksum(out) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const lines = syntheticLines(WORDCOUNT_BYTES);
  const words = countWords(lines);
  const results: Result[] = [];
  for (const w of workloads(lines, words)) {
    const beam: number[] = [];
    const hand: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const b = await timePipeline(w);
      const h = timeHandWritten(w);
      if (b.checksum !== h.checksum) {
        throw new Error(`${w.name}: pipeline checksum ${b.checksum} != hand-written ${h.checksum}`);
      }
      beam.push(b.seconds);
      hand.push(h.seconds);
    }
    const handRate = w.elements / median(hand);
    const beamRate = w.elements / median(beam);
    results.push({ workload: w.name, system: "hand-written Node loop", elementsPerSec: Math.round(handRate), ratioToHandWritten: 1 });
    results.push({
      workload: w.name,
      system: "beam-ts embedded",
      elementsPerSec: Math.round(beamRate),
      ratioToHandWritten: Number((beamRate / handRate).toFixed(3)),
    });
    console.log(`${w.name.padEnd(30)} beam-ts ${fmt(beamRate)}/s  hand-written ${fmt(handRate)}/s  ratio ${(beamRate / handRate).toFixed(2)}`);
  }
  const streaming = await runStreamingBench(STREAMING_EVENTS);
  console.log(
    `streaming window count         beam-ts ${fmt(streaming.beamEventsPerSec)}/s  hand-written ${fmt(streaming.handEventsPerSec)}/s  ` +
      `on-time pane latency p50 ${streaming.latencyMs.p50} ms, p99 ${streaming.latencyMs.p99} ms`,
  );
  const dir = import.meta.dirname;
  const run = { commit: commitOf(dir), date: new Date().toISOString(), node: process.version, batch: results, streaming };
  const compareTo = process.argv.find((a) => a.startsWith("--compare="))?.slice("--compare=".length);
  if (compareTo !== undefined) {
    for (const line of compareRuns(JSON.parse(readFileSync(compareTo, "utf8")) as BenchRun, run)) console.log(line);
  }
  writeFileSync(path.join(dir, "results.json"), JSON.stringify(run, null, 2) + "\n");
  writeFileSync(path.join(dir, "RESULTS.md"), report(results, words, streaming) + keptSections(path.join(dir, "RESULTS.md")));
}

/**
 * The sections other benchmarks wrote into RESULTS.md (Nexmark, checkpoints, spill, file
 * formats, RunInference, …: every `<!-- name:start -->` section), kept across this rewrite.
 */
function keptSections(file: string): string {
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  return sectionsOf(old, sectionNames(old))
    .map((s) => `\n${s}\n`)
    .join("");
}

/** The commit measured, marked when the work tree had changes. */
function commitOf(dir: string): string | undefined {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "../src"], { cwd: dir, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head}+changes` : head;
  } catch {
    return undefined;
  }
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`;
}

function report(results: Result[], words: number, streaming: StreamingResult): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const rows = results.map((r) => `| ${r.workload} | ${r.system} | ${r.elementsPerSec.toLocaleString("en-US")} | ${r.ratioToHandWritten} |`);
  return [
    "# Benchmark results",
    "",
    `Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `Command: \`npm run bench\` (median of ${REPEATS} runs each, alternating systems, same process).`,
    `Wordcount: ${(WORDCOUNT_BYTES / 2 ** 20).toFixed(0)} MiB of synthetic text, ${words.toLocaleString("en-US")} words (elements = words).`,
    "",
    "| workload | system | elements/s | ratio to hand-written |",
    "|---|---|---:|---:|",
    ...rows,
    "",
    "Targets (issue #2): stateless stages ≥ 0.5 of hand-written; GroupByKey/Combine ≥ 0.3.",
    "",
    "## Streaming",
    "",
    `Fixed ${streaming.windowMs / 1000}-second windows, count per key (${streaming.keys} keys) over ` +
      `${streaming.events.toLocaleString("en-US")} events from \`generateSequence\` (10 events per ms of event time), ` +
      `firing driven by the source's watermark: ${streaming.panes.toLocaleString("en-US")} on-time panes.`,
    "",
    "| system | events/s | ratio to hand-written |",
    "|---|---:|---:|",
    `| hand-written Node loop | ${streaming.handEventsPerSec.toLocaleString("en-US")} | 1 |`,
    `| beam-ts embedded | ${streaming.beamEventsPerSec.toLocaleString("en-US")} | ${(streaming.beamEventsPerSec / streaming.handEventsPerSec).toFixed(3)} |`,
    "",
    `End-to-end latency of on-time panes (source reads the first event past a window's end → pane at the sink): ` +
      `p50 ${streaming.latencyMs.p50} ms, p99 ${streaming.latencyMs.p99} ms, max ${streaming.latencyMs.max} ms.`,
    "",
  ].join("\n");
}

await main();
