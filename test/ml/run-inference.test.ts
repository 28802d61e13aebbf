import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConstructionError, Pipeline, asSingleton, combineGlobally, count, create, fixedWindows, kv, map, parDo, windowInto, withTimestamps, type KV } from "../../src/index.js";
import { type PredictionResult } from "../../src/ml/index.js";
import { keyedModelHandler } from "../../src/ml/keyed-model-handler.js";
import { assertThat } from "../../src/testing/index.js";
import type { ModelHandler } from "../../src/ml/model-handler.js";
import { runInference } from "../../src/ml/run-inference.js";
import { clearSharedModels } from "../../src/ml/shared-models.js";

/** A model y = factor * x, recording the batches it ran and how often it was loaded. */
function scaler(modelId: string, factor: number, log: { loads: number; batches: number[] }): ModelHandler<number, number, { factor: number }> {
  return {
    modelId,
    loadModel: () => {
      log.loads++;
      return { factor };
    },
    runInference: async (batch, model) => {
      log.batches.push(batch.length);
      await new Promise((r) => setTimeout(r, 1));
      return batch.map((x) => x * model.factor);
    },
    withModelId: (id) => scaler(id, Number(id.split("x")[1]), log),
  };
}

afterEach(() => clearSharedModels());

describe("runInference", () => {
  it("outputs one PredictionResult per example, in batches within the bounds, with the model loaded once per process", async () => {
    const log = { loads: 0, batches: [] as number[] };
    const p = new Pipeline();
    const xs = Array.from({ length: 500 }, (_, i) => i);
    const out = p.apply(create(xs)).apply(runInference(scaler("x3", 3, log), { batch: { minSize: 2, maxSize: 50 } }));
    assertThat(out.apply(map((r: PredictionResult<number, number>) => `${r.example}:${r.inference}:${r.modelId}`))).containsInAnyOrder(
      xs.map((x) => `${x}:${3 * x}:x3`),
    );
    const result = p.run();
    await result.waitUntilFinish();
    expect(log.loads).toBe(1);
    expect(Math.max(...log.batches)).toBeLessThanOrEqual(50);
    // Batches gather many concurrent elements: far fewer batches than elements.
    expect(log.batches.length).toBeLessThan(xs.length / 4);
    const sizes = result.metrics().queryMetrics({ name: "batch_size" }).distributions;
    expect(sizes.reduce((s, d) => s + d.attempted.count, 0)).toBe(log.batches.length);
    const loads = result.metrics().queryMetrics({ name: "model_loads" }).counters;
    expect(loads.reduce((s, c) => s + c.attempted, 0)).toBe(1);
  });

  it("keeps every example's result whatever the batch bounds (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 80 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 20 }), async (xs, minSize, extra) => {
        clearSharedModels();
        const log = { loads: 0, batches: [] as number[] };
        const p = new Pipeline();
        const out = p.apply(create(xs)).apply(runInference(scaler("x2", 2, log), { batch: { minSize, maxSize: minSize + extra } }));
        assertThat(out.apply(map((r: PredictionResult<number, number>) => r.inference))).containsInAnyOrder(xs.map((x) => 2 * x));
        await p.run().waitUntilFinish();
        expect(log.batches.every((b) => b <= minSize + extra)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it("runs every example as a batch of its own with maxWaitMs 0, even when the runner hands them over in one go", async () => {
    const log = { loads: 0, batches: [] as number[] };
    const p = new Pipeline();
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const out = p.apply(create(xs)).apply(runInference(scaler("x2", 2, log), { batch: { minSize: 1, maxSize: 64, maxWaitMs: 0 } }));
    assertThat(out.apply(map((r: PredictionResult<number, number>) => r.inference))).containsInAnyOrder(xs.map((x) => 2 * x));
    await p.run().waitUntilFinish();
    expect(log.batches).toEqual(xs.map(() => 1));
  });

  it("cuts a batch that waited maxWaitMs when its next example comes in a later turn of the event loop", async () => {
    const log = { loads: 0, batches: [] as number[] };
    // A clock that moves 1 s per reading: every example that comes in a turn of its own finds its batch too old.
    let now = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => (now += 1000));
    try {
      const p = new Pipeline();
      const xs = Array.from({ length: 6 }, (_, i) => i);
      const out = p
        .apply(create(xs))
        // Each example leaves this step in a turn of the event loop of its own.
        .apply(parDo<number, number>({ process: async (x, ctx) => ctx.output(await new Promise<number>((r) => setImmediate(() => r(x)))) }))
        .apply(runInference(scaler("x1", 1, log), { batch: { minSize: 100, maxSize: 100, maxWaitMs: 100 } }));
      assertThat(out.apply(map((r: PredictionResult<number, number>) => r.inference))).containsInAnyOrder(xs);
      await p.run().waitUntilFinish();
    } finally {
      clock.mockRestore();
    }
    expect(log.batches).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("sends the examples of a failing batch to the failures output with the error", async () => {
    const handler: ModelHandler<number, number, null> = {
      modelId: "picky",
      loadModel: () => null,
      runInference: (batch) => {
        if (batch.includes(13)) throw new RangeError("13 is unlucky");
        return batch.map((x) => x);
      },
      batchSizeHints: { maxSize: 1 },
    };
    const p = new Pipeline();
    const { output, failures } = p.apply(create([1, 13, 2])).apply(runInference(handler).withExceptionHandling());
    assertThat(output.apply(map((r: PredictionResult<number, number>) => r.inference))).containsInAnyOrder([1, 2]);
    assertThat(failures.apply(map((f) => `${f.example} ${f.error.type}: ${f.error.message}`))).containsInAnyOrder(["13 RangeError: 13 is unlucky"]);
    const result = p.run();
    await result.waitUntilFinish();
    expect(result.metrics().queryMetrics({ name: "failed_examples" }).counters.reduce((s, c) => s + c.attempted, 0)).toBe(1);
  });

  it("switches to the model a model-update side input names, and says which model produced each result", async () => {
    const log = { loads: 0, batches: [] as number[] };
    const p = new Pipeline();
    const updates = asSingleton(p.apply("Updates", create(["x10"])));
    const out = p.apply(create([1, 2])).apply(runInference(scaler("x3", 3, log), { modelUpdates: updates }));
    assertThat(out.apply(map((r: PredictionResult<number, number>) => `${r.inference}@${r.modelId}`))).containsInAnyOrder(["10@x10", "20@x10"]);
    await p.run().waitUntilFinish();
  });

  it("runs each key's examples on the key's model, loading models lazily and keeping at most maxLoadedModels", async () => {
    const log = { loads: 0, batches: [] as number[] };
    const released: string[] = [];
    const handlerFor = (key: number) => ({ ...scaler(`x${key}`, key, log), releaseModel: () => void released.push(`x${key}`) });
    const p = new Pipeline();
    const input = Array.from({ length: 200 }, (_, i) => kv(1 + (i % 5), i));
    const out = p.apply(create(input)).apply(runInference(keyedModelHandler(handlerFor, { maxLoadedModels: 2 }), { batch: { maxSize: 10 } }));
    assertThat(out.apply(map((r: PredictionResult<KV<number, number>, KV<number, number>>) => `${r.inference.key}:${r.inference.value}@${r.modelId}`))).containsInAnyOrder(
      input.map(({ key, value }) => `${key}:${key * value}@x${key}`),
    );
    await p.run().waitUntilFinish();
    // Five models through a cache of two: some were released and loaded again.
    expect(released.length).toBeGreaterThan(0);
    expect(log.loads).toBeGreaterThanOrEqual(5);
  });

  it("keeps each result in its example's window and at its timestamp: batches never mix windows", async () => {
    const log = { loads: 0, batches: [] as number[] };
    const p = new Pipeline();
    // 30 examples at t = 0..29 in windows of 10: three windows of ten.
    const results = p
      .apply(create(Array.from({ length: 30 }, (_, i) => i)))
      .apply(withTimestamps((i: number) => i))
      .apply(windowInto(fixedWindows(10)))
      .apply(runInference(scaler("x1", 1, log), { batch: { minSize: 8, maxSize: 8 } }));
    const stamped = results.apply(parDo<PredictionResult<number, number>, string>({ process: (r, ctx) => ctx.output(`${r.example}@${ctx.timestamp}`) }));
    assertThat(stamped).containsInAnyOrder(Array.from({ length: 30 }, (_, i) => `${i}@${i}`));
    assertThat(results.apply(combineGlobally(count(), { withoutDefaults: true }))).containsInAnyOrder([10, 10, 10]);
    await p.run().waitUntilFinish();
  });

  it("refuses batch bounds that cannot hold, when the pipeline is built", () => {
    const log = { loads: 0, batches: [] as number[] };
    expect(() => runInference(scaler("x1", 1, log), { batch: { minSize: 5, maxSize: 2 } })).toThrow(ConstructionError);
    const { withModelId: _dropped, ...fixed } = scaler("x1", 1, log);
    const p = new Pipeline();
    const updates = asSingleton(p.apply(create(["x2"])));
    expect(() => runInference(fixed, { modelUpdates: updates })).toThrow(/cannot switch models/);
  });
});
