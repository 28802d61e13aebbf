import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, assertThat, create, external, kv, kvCoder, map, stringUtf8Coder, varIntCoder, type KV } from "../../src/index.js";
import { BuiltinUrns, ExpansionService } from "../../src/xlang/index.js";
import { ensurePythonBeam } from "../../tools/runners/python-beam.mjs";

/** The Prism job service test/job-services-setup.ts started for this run ("" when left out). */
const prism = inject("prismEndpoint");
const PYTHON_SCRIPT = fileURLToPath(new URL("./fixtures/python_external.py", import.meta.url));

/** Runs the fixture with the venv's python; resolves with its stdout, rejects with its output. */
function python(bin: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [PYTHON_SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`python ${args.join(" ")} exited ${code}:\n${err.slice(-4000)}\n${out.slice(-2000)}`))));
  });
}

describe("beam-ts transforms served by beam-ts's expansion service", () => {
  const errors: unknown[] = [];
  const service = new ExpansionService({ onError: (e) => errors.push(e) });
  let pythonBin = "";

  beforeAll(async () => {
    // Beam Python from PyPI into a cached venv: ~1-2 min the first time, instant after.
    [pythonBin] = await Promise.all([ensurePythonBeam(), service.start()]);
  }, 600_000);
  afterAll(() => service.stop());

  it("are expanded for a Beam Python pipeline: the expansion, its coders and its beam-ts environment land in Python's proto", async () => {
    const summary = JSON.parse(await python(pythonBin, ["expand", service.endpoint])) as {
      transforms: Record<string, { subtransforms: string[]; inputs: Record<string, string>; outputs: Record<string, string> }>;
      environments: Record<string, string>;
      leaf_environments: string[];
    };
    expect(summary.transforms["AddPrefix"]).toEqual({
      subtransforms: ["AddPrefix/AddPrefix"],
      inputs: { input: "beam:coder:string_utf8:v1" },
      outputs: { output: "beam:coder:string_utf8:v1" },
    });
    expect(summary.transforms["Count"]).toEqual({
      subtransforms: ["Count/Count"],
      inputs: { input: "beam:coder:string_utf8:v1" },
      outputs: { output: "beam:coder:kv:v1(beam:coder:string_utf8:v1, beam:coder:varint:v1)" },
    });
    const beamTsEnvs = summary.leaf_environments.filter((id) => summary.environments[id] === "beam:env:external:v1");
    expect(beamTsEnvs.length).toBeGreaterThan(0);
    expect(beamTsEnvs.every((id) => /^external_\d+beam-ts$/.test(id))).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);

  it.skipIf(prism === "")(
    "run in this process's workers when Python runs the pipeline on Prism (PortableRunner, Python workers LOOPBACK)",
    async () => {
      expect(await python(pythonBin, ["run", service.endpoint, prism])).toContain("PIPELINE DONE");
      expect(errors).toEqual([]);
    },
    300_000,
  );

  it.skipIf(prism === "")("are usable from beam-ts pipelines too (external() against a beam-ts service), on Prism", async () => {
    const p = new Pipeline({ runner: "prism", jobEndpoint: prism });
    const words = p.apply(create(["a", "b", "a"])).apply("Typed", map((s: string) => s)).withCoder(stringUtf8Coder);
    const counts = words
      .apply("Prefix", external<string>({ urn: BuiltinUrns.addPrefix, config: { prefix: "ts:" }, expansionService: service.endpoint, outputCoder: stringUtf8Coder }))
      .apply("Count", external<KV<string, number>>({ urn: BuiltinUrns.countPerElement, expansionService: service.endpoint, outputCoder: kvCoder(stringUtf8Coder, varIntCoder) }));
    assertThat(counts).containsInAnyOrder([kv("ts:a", 2), kv("ts:b", 1)]);
    expect(await p.run().waitUntilFinish()).toBe("DONE");
  }, 180_000);
});
