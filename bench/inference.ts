/**
 * `npm run bench:inference`: examples/s through runInference (batches of BENCH_INF_BATCH,
 * default 64, fixed: minSize = maxSize) against calling onnxruntime-node directly in a loop
 * with the same batch size, on the same small dense network (64 -> 256 -> 10, written by
 * tools/ml/tiny_models.py at startup) and the same BENCH_INF_EXAMPLES (default 100 000)
 * inputs. The best of BENCH_INF_REPEATS (3) runs of each is reported, with their ratio
 * (target >= 0.8).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { Pipeline, create, parDo } from "../src/index.js";
import { clearSharedModels, onnxModelHandler, runInference } from "../src/ml/index.js";
import { ensurePythonOnnx, run } from "../tools/ml/python-onnx.mjs";

const EXAMPLES = Number(process.env["BENCH_INF_EXAMPLES"] ?? 100_000);
const BATCH = Number(process.env["BENCH_INF_BATCH"] ?? 64);
const REPEATS = Number(process.env["BENCH_INF_REPEATS"] ?? 3);

const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-bench-onnx-"));
await run(await ensurePythonOnnx(), [path.resolve(import.meta.dirname, "../tools/ml/tiny_models.py"), "write", dir]);
const model = path.join(dir, "mlp.onnx");
const rows = Array.from({ length: EXAMPLES }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j)));

/** onnxruntime alone: one tensor per BATCH rows, one session.run each. */
async function direct(): Promise<number> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ["cpu"] });
  const started = performance.now();
  let sink = 0;
  for (let at = 0; at < rows.length; at += BATCH) {
    const chunk = rows.slice(at, at + BATCH);
    const data = new Float32Array(chunk.length * 64);
    chunk.forEach((r, i) => data.set(r, i * 64));
    const out = await session.run({ x: new ort.Tensor("float32", data, [chunk.length, 64]) });
    sink += (out["y"]!.data as Float32Array)[0]!;
  }
  const ms = performance.now() - started;
  await session.release();
  if (Number.isNaN(sink)) throw new Error("unreachable");
  return (rows.length / ms) * 1000;
}

/** The same through a pipeline: create -> runInference -> a counting sink. */
async function beam(): Promise<number> {
  clearSharedModels();
  let seen = 0;
  const p = new Pipeline();
  p.apply(create(rows))
    .apply(runInference(onnxModelHandler({ path: model }), { batch: { minSize: BATCH, maxSize: BATCH } }))
    .apply(parDo({ process: () => void seen++ }));
  const started = performance.now();
  await p.run().waitUntilFinish();
  const ms = performance.now() - started;
  if (seen !== rows.length) throw new Error(`runInference gave ${seen} results for ${rows.length} examples`);
  return (rows.length / ms) * 1000;
}

const best = async (f: () => Promise<number>) => {
  let top = 0;
  for (let i = 0; i < REPEATS; i++) top = Math.max(top, await f());
  return top;
};
const d = await best(direct);
const b = await best(beam);
console.log(`examples: ${EXAMPLES}, batch: ${BATCH}, model: mlp 64x256x10`);
console.log(`onnxruntime-node loop: ${Math.round(d)} examples/s`);
console.log(`runInference:          ${Math.round(b)} examples/s`);
console.log(`ratio:                 ${(b / d).toFixed(2)} (target >= 0.8)`);
rmSync(dir, { recursive: true, force: true });
