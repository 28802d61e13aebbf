import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Pipeline } from "../../../src/index.js";
import { NAMESPACE, SECRET, carrySecretOptions } from "./secret-pipeline.js";

const MODULE = fileURLToPath(new URL("./secret-pipeline-module.ts", import.meta.url));

describe("--parallelism=2 with secret options inside elements", () => {
  it("keeps a secret opaque in the other thread: usable through reveal(), **** in the metrics it was dumped into", async () => {
    const p = new Pipeline({ parallelism: 2, pipelineModule: MODULE, maxBundleRetries: 0 });
    carrySecretOptions(p);
    const result = p.run();
    await result.waitUntilFinish();
    const metrics = result.metrics().queryMetrics({});
    const sets = metrics.stringSets.filter((s) => s.namespace === NAMESPACE);
    // Both threads used the elements, and each found the secret's value through reveal().
    expect(new Set(sets.filter((s) => s.name === "threads").flatMap((s) => [...s.committed])).size).toBe(2);
    expect(metrics.counters.find((c) => c.namespace === NAMESPACE && c.name === "revealed")?.committed).toBe(40);
    const dump = sets.filter((s) => s.name === "dump").flatMap((s) => [...s.committed, ...s.attempted]);
    expect(dump).toContain("key=****");
    expect(inspect(metrics, { depth: 10 })).not.toContain(SECRET);
    expect(JSON.stringify(metrics)).not.toContain(SECRET);
  }, 60_000);
});
