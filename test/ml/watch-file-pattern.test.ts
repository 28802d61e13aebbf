/**
 * Model updates from a watched folder (issue #24): watchFilePattern's newest path as
 * runInference's modelUpdates side input, in a streaming job on the embedded runner.
 *
 * Files appear "mid-run" without sleeps, as in test/io/file-io-continuous.test.ts: the step
 * after runInference writes the next model or example when it sees a result, so each file
 * comes after the job has used the previous ones.
 */
import { readFileSync, writeFileSync, mkdirSync, utimesSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConstructionError, Pipeline, asSingleton, map, parDo, type PCollection } from "../../src/index.js";
import { Growth, matchFiles, watchFilePattern, type FileMetadata } from "../../src/io/files/index.js";
import { runInference, type ModelHandler, type PredictionResult } from "../../src/ml/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-watch-models-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A "model" file: JSON `{ factor }`; the handler multiplies each example by it. */
function scalerFile(modelPath: string): ModelHandler<number, number, { factor: number }> {
  return {
    modelId: modelPath,
    loadModel: () => JSON.parse(readFileSync(modelPath, "utf8")) as { factor: number },
    runInference: (batch, model) => batch.map((x) => x * model.factor),
    withModelId: (id) => scalerFile(id),
  };
}

/** Writes a file with the modification time `mtime` (ms), so the order of files is not left to the clock's resolution. */
function writeAt(file: string, text: string, mtime: number): void {
  writeFileSync(file, text);
  utimesSync(file, new Date(mtime), new Date(mtime));
}

describe("watchFilePattern", () => {
  it("switches runInference to a model file that appears in the folder mid-run; later results carry its modelId", async () => {
    const models = path.join(dir, "models");
    const inbox = path.join(dir, "inbox");
    mkdirSync(models);
    mkdirSync(inbox);
    const t0 = Date.now() - 60_000;
    // Two models before the start: the newer one (v1) is used, the older (v0) never.
    writeAt(path.join(models, "v0.json"), JSON.stringify({ factor: 100 }), t0 - 1_000);
    writeAt(path.join(models, "v1.json"), JSON.stringify({ factor: 2 }), t0);
    writeFileSync(path.join(inbox, "1.txt"), "");

    const seen: { example: number; inference: number; model: string }[] = [];
    const stop = Growth.afterTimeSinceNewOutput(1_500);
    const p = new Pipeline({ runner: "embedded", enforceImmutability: false });
    const latest = asSingleton(p.apply("Models", watchFilePattern(path.join(models, "*.json"), { interval: 10, stopAfter: stop })));
    p.apply("Examples", matchFiles(path.join(inbox, "*.txt")).continuously({ interval: 10, stopAfter: stop }))
      .apply(map((f: FileMetadata) => Number(path.basename(f.path, ".txt"))))
      .apply(runInference(scalerFile(path.join(models, "v1.json")), { modelUpdates: latest, batch: { maxSize: 1 } }))
      .apply(
        "React",
        parDo({
          process(r: PredictionResult<number, number>) {
            const model = path.basename(r.modelId);
            seen.push({ example: r.example, inference: r.inference, model });
            // The first result: a new model arrives (newer than v1), then the next example.
            if (r.example === 1) writeAt(path.join(models, "v2.json"), JSON.stringify({ factor: 3 }), t0 + 1_000);
            // Until the job has switched, each result asks for one more example (at most 50).
            if (model !== "v2.json" && r.example < 50) writeFileSync(path.join(inbox, `${r.example + 1}.txt`), "");
            // Once switched, an older file must change nothing: it is not the newest.
            if (model === "v2.json" && r.example === seen.find((s) => s.model === "v2.json")!.example) {
              writeAt(path.join(models, "v-old.json"), JSON.stringify({ factor: 1_000 }), t0 - 5_000);
              writeFileSync(path.join(inbox, `${r.example + 1}.txt`), "");
            }
          },
        }),
      );
    expect(await p.run().waitUntilFinish()).toBe("DONE");

    seen.sort((a, b) => a.example - b.example);
    expect(seen[0]).toEqual({ example: 1, inference: 2, model: "v1.json" });
    const switched = seen.findIndex((s) => s.model === "v2.json");
    expect(switched).toBeGreaterThan(0);
    // Before the switch every result came from v1, from it on every one from v2 (the older file changed nothing); each with its model's factor.
    expect(seen.slice(0, switched).every((s) => s.model === "v1.json" && s.inference === s.example * 2)).toBe(true);
    expect(seen.slice(switched).every((s) => s.model === "v2.json" && s.inference === s.example * 3)).toBe(true);
    expect(seen.length).toBe(switched + 2);
  }, 60_000);

  it("emits the newest file's path, ignores older ones, and names it again in the pane that ends the watch", async () => {
    // Listed in name order, newest first: whatever panes the first poll's files fall into, b and c are older than a.
    writeAt(path.join(dir, "a.bin"), "a", 3_000_000);
    writeAt(path.join(dir, "b.bin"), "b", 2_000_000);
    writeAt(path.join(dir, "c.bin"), "c", 1_000_000);
    const p = new Pipeline({ runner: "embedded", enforceImmutability: false });
    const paths: PCollection<string | undefined> = p.apply(watchFilePattern(path.join(dir, "*.bin"), { interval: 10, stopAfter: Growth.afterIterations(3) }));
    const emitted: { name: string; last: boolean }[] = [];
    paths.apply(parDo({ process: (f: string | undefined, ctx) => void emitted.push({ name: path.basename(f ?? "none"), last: ctx.pane.isLast }) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(emitted.map((e) => e.name)).toEqual(["a.bin", "a.bin"]);
    expect(emitted.map((e) => e.last)).toEqual([false, true]);
  }, 60_000);

  it("refuses a missing pattern or a bad interval when the pipeline is built", () => {
    expect(() => watchFilePattern("")).toThrow(ConstructionError);
    expect(() => watchFilePattern(path.join(dir, "*.onnx"), { interval: -1 })).toThrow(/interval/);
  });
});
