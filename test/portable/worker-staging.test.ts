import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Pipeline, create, map } from "../../src/index.js";
import { captureRuns, structuralFingerprint, graphFingerprint } from "../../src/pipeline/index.js";
import { checkFingerprint, fingerprintFileFor, parseBootFlags, submittedArgv, ARGV_OPTION } from "../../src/harness/index.js";
import { stagePipeline } from "../../src/runners/portable/staging.js";
import { artifactKey } from "../../src/runners/portable/job-client.js";
import { ArtifactStagingToRolePayload, DockerPayload, ProcessPayload } from "../../src/proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { pipelineToProto } from "../../src/runners/portable/pipeline-proto.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const tmp = mkdtempSync(path.join(os.tmpdir(), "beam-ts-staging-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function build(label: string): Pipeline {
  const p = new Pipeline();
  p.apply(create([1, 2])).apply("Double", map((x: number) => x * 2)).apply(label, map((x: number) => x + 1));
  return p;
}

describe("captureRuns (worker mode)", () => {
  it("hands the frozen pipeline to the handler and returns a result that never finishes", async () => {
    const captured: Pipeline[] = [];
    const uninstall = captureRuns((p) => captured.push(p));
    let result;
    const p = build("Inc");
    try {
      result = p.run();
    } finally {
      uninstall();
    }
    expect(captured).toEqual([p]);
    expect(result.state).toBe("RUNNING");
    const settled = await Promise.race([result.waitUntilFinish().then(() => "settled"), new Promise((r) => setTimeout(() => r("pending"), 50))]);
    expect(settled).toBe("pending");
    expect(() => p.apply(create([3]))).toThrow(/frozen/);
  });

  it("runs pipelines normally again once uninstalled", async () => {
    const uninstall = captureRuns(() => {});
    uninstall();
    expect(await build("Inc").run().waitUntilFinish()).toBe("DONE");
  });
});

describe("the structural fingerprint", () => {
  it("ignores function source but not labels, structure or DoFn classes", () => {
    const a = build("Inc").graph();
    const b = new Pipeline();
    b.apply(create([1, 2])).apply("Double", map((x: number) => x + x)).apply("Inc", map((x: number) => 1 + x));
    expect(structuralFingerprint(b.graph()).hash).toBe(structuralFingerprint(a).hash);
    expect(graphFingerprint(b.graph()).hash).not.toBe(graphFingerprint(a).hash);
    expect(structuralFingerprint(build("Other").graph()).hash).not.toBe(structuralFingerprint(a).hash);
  });

  it("passes the worker's check for the same construction and names the first differing transform otherwise", () => {
    const submitted = fingerprintFileFor(build("Scale-a").graph());
    expect(() => checkFingerprint(build("Scale-a").graph(), submitted)).not.toThrow();
    expect(() => checkFingerprint(build("Scale-b").graph(), submitted)).toThrow(
      /first transform that differs is "Scale-a"[\s\S]*worker: {4}"Scale-b"[\s\S]*must be deterministic/,
    );
  });
});

describe("beam-ts boot's flags and options", () => {
  it("accepts Beam's spellings, Go's single dash and Prism's quoted id", () => {
    expect(parseBootFlags(["--id='job-1_env'", "--provision_endpoint=localhost:1", "-control_endpoint", "localhost:2", "--artifact-endpoint=localhost:3", "--loggingEndpoint=localhost:4", "--unknown=1"])).toEqual({
      id: "job-1_env",
      provisionEndpoint: "localhost:1",
      controlEndpoint: "localhost:2",
      artifactEndpoint: "localhost:3",
      loggingEndpoint: "localhost:4",
    });
    expect(() => parseBootFlags(["--control_endpoint=x:1"])).toThrow(/--id=<worker id> is required; --provision_endpoint/);
  });

  it("reads the submitter's argv however the runner returns the option", () => {
    expect(submittedArgv({ [ARGV_OPTION]: ["--a=1", "--b"] })).toEqual(["--a=1", "--b"]);
    expect(submittedArgv({ beamTsArgv: '["--a=1"]' })).toEqual(["--a=1"]);
    expect(submittedArgv({ options: { beamTsArgv: ["--x"] } })).toEqual(["--x"]);
    expect(submittedArgv({})).toEqual([]);
  });
});

describe("staging the pipeline module", () => {
  it("stages one ESM bundle and the fingerprint, and the bundle runs as the program when not booted as a worker", async () => {
    const module = path.join(FIXTURES, "word-pids.ts");
    const staged = await stagePipeline({ entry: module, graph: build("Inc").graph() });
    try {
      const names = staged.dependencies.map((a) => ArtifactStagingToRolePayload.decode(a.rolePayload).stagedName);
      expect(names).toEqual(["pipeline.mjs", "fingerprint.json"]);
      const [bundle, fingerprint] = staged.dependencies.map((a) => staged.contents.get(artifactKey(a))!);
      expect(JSON.parse(Buffer.from(fingerprint!).toString("utf8"))).toMatchObject({ format: "beam-ts-fingerprint/1" });
      const file = path.join(tmp, "pipeline.mjs");
      writeFileSync(file, bundle!);
      const output = path.join(tmp, "direct.txt");
      const { stdout } = await promisify(execFile)(process.execPath, ["--enable-source-maps", file, `--output=${output}`], { cwd: tmp });
      expect(stdout).toMatch(/state=DONE/);
      expect(readFileSync(output, "utf8").trim().split("\n").length).toBe(4);
    } finally {
      await staged.dispose();
    }
  }, 60_000);

  it("leaves --stagingExternals packages out and loads them from BEAM_TS_PACKAGES_FROM on the worker", async () => {
    const dir = mkdtempSync(path.join(tmp, "ext-"));
    const module = path.join(dir, "uses-yaml.ts");
    writeFileSync(module, `import YAML from "yaml";\nconsole.log(YAML.stringify({ loaded: "from node_modules" }).trim());\n`);
    const staged = await stagePipeline({ entry: module, graph: build("Inc").graph(), externals: ["yaml"] });
    try {
      const bundle = Buffer.from(staged.contents.get(artifactKey(staged.dependencies[0]!))!).toString("utf8");
      expect(bundle).not.toContain("class YAMLMap");
      const file = path.join(dir, "pipeline.mjs");
      writeFileSync(file, bundle);
      const root = path.resolve(import.meta.dirname, "../..");
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, env: { ...process.env, BEAM_TS_PACKAGES_FROM: root } });
      expect(stdout.trim()).toBe("loaded: from node_modules");
    } finally {
      await staged.dispose();
    }
  }, 60_000);

  it("declares the staged files as the environment's dependencies, with the boot command or image", () => {
    const dependencies = [{ typeUrn: "beam:artifact:type:file:v1", typePayload: Buffer.from("x"), roleUrn: "beam:artifact:role:staging_to:v1", rolePayload: Buffer.from("y") }];
    const graph = build("Inc").graph();
    const processEnv = pipelineToProto(graph, { type: "process", command: "/bin/boot", env: { A: "1" }, dependencies }).components!.environments["beam-ts"]!;
    expect(processEnv.urn).toBe("beam:env:process:v1");
    expect(ProcessPayload.decode(processEnv.payload)).toMatchObject({ command: "/bin/boot", env: { A: "1" } });
    expect(processEnv.dependencies).toEqual(dependencies);
    const dockerEnv = pipelineToProto(graph, { type: "docker", image: "img:1", dependencies }).components!.environments["beam-ts"]!;
    expect(dockerEnv.urn).toBe("beam:env:docker:v1");
    expect(DockerPayload.decode(dockerEnv.payload).containerImage).toBe("img:1");
  });

  it("explains a module that cannot be bundled", async () => {
    const broken = path.join(tmp, "broken.ts");
    writeFileSync(broken, `import "./does-not-exist.js";\n`);
    await expect(stagePipeline({ entry: broken, graph: build("Inc").graph() })).rejects.toThrow(/Cannot bundle the pipeline module[\s\S]*does-not-exist/);
  }, 60_000);
});
