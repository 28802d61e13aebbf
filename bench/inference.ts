/**
 * `npm run bench:inference`: examples/s through runInference (batches of BENCH_INF_BATCH,
 * default 64, fixed: minSize = maxSize) against calling onnxruntime-node directly in a loop
 * with the same batch size, on the same small dense network (64 -> 256 -> 10, written by
 * tools/ml/tiny_models.py at startup) and the same BENCH_INF_EXAMPLES (default 1 000 000)
 * inputs. Each of BENCH_INF_REPEATS (default 7) rounds runs both, alternating which goes
 * first; the medians are reported with their ratio (target >= 0.8) and written to the
 * `inference` section of bench/RESULTS.md. The machine is shared: only runs of one process
 * are compared, and the per-run CPU time (process.cpuUsage) is reported next to the wall
 * time, since other processes' load stretches the wall time of both alike.
 *
 * What is measured: runInference's time includes the job's start and the model's load
 * (about 10-15 ms a run here), the loop's does not include its session's load. Until
 * 2026-12-07 the default was 100 000 examples, a run of about 0.1-0.25 s, of which those
 * fixed costs were up to a tenth; with 1 000 000 they are about 1% and the ratio is that of
 * the throughputs. Both systems still process the same examples in the same batches.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { Pipeline, create, parDo } from "../src/index.js";
import { clearSharedModels, onnxModelHandler, runInference } from "../src/ml/index.js";
import { ensurePythonOnnx, run } from "../tools/ml/python-onnx.mjs";
import { writeSection } from "./results-section.js";

const EXAMPLES = Number(process.env["BENCH_INF_EXAMPLES"] ?? 1_000_000);
const BATCH = Number(process.env["BENCH_INF_BATCH"] ?? 64);
const REPEATS = Number(process.env["BENCH_INF_REPEATS"] ?? 7);

const dir = mkdtempSync(path.join(os.tmpdir(), "beam-ts-bench-onnx-"));
await run(await ensurePythonOnnx(), [path.resolve(import.meta.dirname, "../tools/ml/tiny_models.py"), "write", dir]);
const model = path.join(dir, "mlp.onnx");
const rows = Array.from({ length: EXAMPLES }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j)));

interface Run {
  readonly ms: number;
  readonly cpuMs: number;
}

async function timed(body: () => Promise<void>): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await body();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/** onnxruntime alone: one tensor per BATCH rows, one session.run each (the session's load is not timed). */
async function direct(): Promise<Run> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ["cpu"] });
  let sink = 0;
  const measured = await timed(async () => {
    for (let at = 0; at < rows.length; at += BATCH) {
      const chunk = rows.slice(at, at + BATCH);
      const data = new Float32Array(chunk.length * 64);
      chunk.forEach((r, i) => data.set(r, i * 64));
      const out = await session.run({ x: new ort.Tensor("float32", data, [chunk.length, 64]) });
      sink += (out["y"]!.data as Float32Array)[0]!;
    }
  });
  await session.release();
  if (Number.isNaN(sink)) throw new Error("unreachable");
  return measured;
}

/** The same through a pipeline: create -> runInference -> a counting sink; job start and the model's load included. */
async function beam(): Promise<Run> {
  clearSharedModels();
  let seen = 0;
  const p = new Pipeline({ quiet: true });
  p.apply(create(rows))
    .apply(runInference(onnxModelHandler({ path: model }), { batch: { minSize: BATCH, maxSize: BATCH } }))
    .apply(parDo({ process: () => void seen++ }));
  const measured = await timed(() => p.run().waitUntilFinish().then(() => undefined));
  if (seen !== rows.length) throw new Error(`runInference gave ${seen} results for ${rows.length} examples`);
  return measured;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const rate = (ms: number) => (rows.length / ms) * 1000;

const runs = { direct: [] as Run[], beam: [] as Run[] };
for (let i = 0; i < REPEATS; i++) {
  // Alternate which goes first, so that neither always meets the other's garbage or a warmer cache.
  for (const system of i % 2 === 0 ? (["direct", "beam"] as const) : (["beam", "direct"] as const)) {
    runs[system].push(await (system === "direct" ? direct() : beam()));
  }
}
rmSync(dir, { recursive: true, force: true });

const d = rate(median(runs.direct.map((r) => r.ms)));
const b = rate(median(runs.beam.map((r) => r.ms)));
const dCpu = median(runs.direct.map((r) => r.cpuMs));
const bCpu = median(runs.beam.map((r) => r.cpuMs));
const span = (rs: readonly Run[]) => `${Math.round(rate(Math.max(...rs.map((r) => r.ms)))).toLocaleString("en-US")}–${Math.round(rate(Math.min(...rs.map((r) => r.ms)))).toLocaleString("en-US")}`;
console.log(`examples: ${EXAMPLES}, batch: ${BATCH}, model: mlp 64x256x10, median of ${REPEATS}`);
console.log(`onnxruntime-node loop: ${Math.round(d)} examples/s (runs ${span(runs.direct)}), CPU ${dCpu.toFixed(0)} ms per run`);
console.log(`runInference:          ${Math.round(b)} examples/s (runs ${span(runs.beam)}), CPU ${bCpu.toFixed(0)} ms per run`);
console.log(`ratio:                 ${(b / d).toFixed(2)} (target >= 0.8); CPU ratio ${(dCpu / bCpu).toFixed(2)}`);

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
writeSection(
  path.join(import.meta.dirname, "RESULTS.md"),
  "inference",
  [
    "## RunInference (`npm run bench:inference`)",
    "",
    `Written by \`npm run bench:inference\` (bench/inference.ts) on ${new Date().toISOString().slice(0, 10)}. ` +
      `Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)} at the end. ` +
      `Median of ${REPEATS} runs each, systems alternating in one process.`,
    `${EXAMPLES.toLocaleString("en-US")} examples (rows of 64 float32) through a dense ONNX network (64 → 256 → 10, tools/ml/tiny_models.py) in batches of ${BATCH}: ` +
      "`runInference(onnxModelHandler(...))` on the embedded runner (job start and the model's load included) against a loop calling onnxruntime-node's `session.run` on the same batches (the session's load not timed). " +
      "CPU is the process's CPU time per run (onnxruntime's own threads included). " +
      "Until 2026-12-07 runs had 100,000 examples, where the fixed costs only runInference's time includes (job start, model load: about 10–15 ms) were up to a tenth of a run; they are about 1% of a run of 1,000,000.",
    "",
    "| system | examples/s | runs (slowest–fastest) | ratio to the loop | CPU ms per run |",
    "|---|---:|---:|---:|---:|",
    `| onnxruntime-node loop | ${Math.round(d).toLocaleString("en-US")} | ${span(runs.direct)} | 1 | ${dCpu.toFixed(0)} |`,
    `| beam-ts runInference | ${Math.round(b).toLocaleString("en-US")} | ${span(runs.beam)} | ${(b / d).toFixed(2)} | ${bCpu.toFixed(0)} |`,
    "",
    "Target (issue #24): ≥ 0.8 of the loop's examples/s. Where the rest of the time goes: docs/ML.md, \"Performance\".",
  ].join("\n"),
);
