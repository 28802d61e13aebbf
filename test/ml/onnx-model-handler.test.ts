import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePythonOnnx, run } from "../../tools/ml/python-onnx.mjs";
import { Pipeline, create, map } from "../../src/index.js";
import { type PredictionResult } from "../../src/ml/index.js";
import { loadOnnxRuntime, onnxModelHandler, type OnnxExample, type OnnxInference } from "../../src/ml/onnx-model-handler.js";
import { runInference } from "../../src/ml/run-inference.js";
import { clearSharedModels } from "../../src/ml/shared-models.js";

const SCRIPT = path.resolve(import.meta.dirname, "../../tools/ml/tiny_models.py");
let python = "";
let dir = "";

/** What onnxruntime in Python answers for `rows` on the model. */
async function pythonOutputs(model: string, rows: number[][]): Promise<Record<string, number[][] | number[]>> {
  const out = await run(python, [SCRIPT, "run", path.join(dir, model)], JSON.stringify({ input: "x", rows }));
  return JSON.parse(out) as Record<string, number[][] | number[]>;
}

/** Rows of float32 values, so that both sides see the same inputs. */
const rowsOf = (width: number) =>
  fc.array(fc.array(fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }).map(Math.fround), { minLength: width, maxLength: width }), {
    minLength: 1,
    maxLength: 60,
  });

/** Runs the model over `rows` through runInference, results in input order. */
async function beamOutputs(model: string, rows: number[][], maxSize: number): Promise<OnnxInference[]> {
  const got = new Map<number, OnnxInference>();
  const p = new Pipeline();
  const indexed = rows.map((row, i) => ({ i, row }));
  p.apply(create(indexed))
    .apply(map(({ i, row }: { i: number; row: number[] }): OnnxExample => ({ x: row, i: [i] })))
    .apply(runInference(onnxInputX(path.join(dir, model)), { batch: { maxSize } }))
    .apply(
      map((r: PredictionResult<OnnxExample, OnnxInference>) => {
        got.set((r.example as Record<string, ArrayLike<number>>)["i"]![0]!, r.inference);
        return null;
      }),
    );
  await p.run().waitUntilFinish();
  return rows.map((_, i) => got.get(i)!);
}

/** The handler over examples that carry their index beside the model's input `x`. */
function onnxInputX(model: string) {
  const handler = onnxModelHandler({ path: model });
  return { ...handler, runInference: (batch: readonly OnnxExample[], session: Parameters<typeof handler.runInference>[1]) => handler.runInference(batch.map((e) => ({ x: (e as Record<string, ArrayLike<number>>)["x"]! })), session) };
}

beforeAll(async () => {
  python = await ensurePythonOnnx();
  dir = mkdtempSync(path.join(tmpdir(), "beam-ts-onnx-"));
  await run(python, [SCRIPT, "write", dir]);
}, 600_000);

afterAll(() => {
  clearSharedModels();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("onnxModelHandler", () => {
  it("gives a linear model's outputs equal to onnxruntime's in Python, for any rows and batch sizes", async () => {
    await fc.assert(
      fc.asyncProperty(rowsOf(4), fc.integer({ min: 1, max: 16 }), async (rows, maxSize) => {
        const [beam, reference] = await Promise.all([beamOutputs("linear.onnx", rows, maxSize), pythonOutputs("linear.onnx", rows)]);
        const y = reference["y"] as number[][];
        beam.forEach((inference, i) => {
          const row = inference["y"] as number[];
          row.forEach((v, j) => expect(v).toBeCloseTo(y[i]![j]!, 3));
        });
      }),
      { numRuns: 5 },
    );
  }, 120_000);

  it("gives a classifier's probabilities and int64 labels equal to onnxruntime's in Python", async () => {
    const rows = fc.sample(rowsOf(3), { numRuns: 1, seed: 7 })[0]!;
    const [beam, reference] = await Promise.all([beamOutputs("classifier.onnx", rows, 8), pythonOutputs("classifier.onnx", rows)]);
    beam.forEach((inference, i) => {
      expect(inference["label"]).toBe((reference["label"] as number[])[i]);
      (inference["probs"] as number[]).forEach((v, j) => expect(v).toBeCloseTo((reference["probs"] as number[][])[i]![j]!, 5));
    });
  }, 120_000);

  it("maps plain arrays and typed arrays of one batch into one tensor", async () => {
    const handler = onnxModelHandler({ path: path.join(dir, "linear.onnx") });
    const session = await handler.loadModel();
    const out = await handler.runInference([[1, 0, 0, 0], Float32Array.of(0, 1, 0, 0)], session);
    expect(out.map((o) => (o["y"] as number[]).map((v) => Math.round(v * 100) / 100))).toEqual([
      [0.6, -1.2],
      [2.1, 0.05],
    ]);
    await expect(Promise.resolve(handler.runInference([[1, 2, 3, 4], [1, 2]], session))).rejects.toThrow(/same length/);
  });

  it("says how to install onnxruntime-node when it is missing", async () => {
    const err = await loadOnnxRuntime(() => Promise.reject(new Error("Cannot find package 'onnxruntime-node'"))).catch((e: unknown) => e);
    expect((err as Error).message).toContain("npm install onnxruntime-node");
  });
});
