/**
 * beam-ts as a user gets it: `npm pack`, then the tarball installed into an empty project
 * outside the repository (offline: the tarball and the npm cache `npm ci` filled), and used
 * from plain Node, from TypeScript with the strictest settings, and through its CLI, on
 * this machine's Node and on Node 22 and 24 (tools/node-versions.mjs).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNode, NODE_VERSIONS } from "../../tools/node-versions.mjs";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };

let work = "";
let project = "";
let packed: string[] = [];

/** Runs a command in the consumer project, with `node` (and so npx and bin scripts) from `nodeBin` when given. */
async function inProject(cmd: string, args: string[], nodeBin?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: nodeBin ? `${path.dirname(nodeBin)}${path.delimiter}${process.env["PATH"]}` : process.env["PATH"], ...extraEnv };
  delete env["NODE_OPTIONS"];
  return exec(cmd, args, { cwd: project, env, maxBuffer: 16 << 20 });
}

beforeAll(async () => {
  if (!existsSync(path.join(root, "dist", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first (`npm test` does).");
  work = await mkdtemp(path.join(os.tmpdir(), "beam-ts-package-"));
  // --ignore-scripts: `npm test` built dist/ just before (pretest); building again here would
  // replace dist/ while other test files run the CLI from it.
  const { stdout } = await exec("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root });
  const info = (JSON.parse(stdout) as { filename: string; files: { path: string }[] }[])[0]!;
  packed = info.files.map((f) => f.path);
  project = path.join(work, "consumer");
  await mkdir(project);
  const tarball = await readFile(path.join(work, info.filename));
  await copyFile(path.join(work, info.filename), path.join(project, info.filename));
  const { manifest, lock } = consumerProject(info.filename, tarball);
  await writeFile(path.join(project, "package.json"), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(project, "package-lock.json"), JSON.stringify(lock, null, 2));
  await inProject("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"]);
  await writeFile(path.join(project, "data.txt"), "b a\nc b a\n");
  await writeFile(path.join(project, "pipeline.ts"), PIPELINE_TS);
  await writeFile(path.join(project, "run.mjs"), RUN_MJS);
}, 300_000);

/**
 * The consumer's package.json and a lockfile for `npm ci --offline`: beam-ts from the tarball,
 * its dependencies at the versions (and integrities) of the repository's lockfile, whose
 * tarballs `npm ci` left in the npm cache. Without a lockfile npm would ask the registry for
 * each package's metadata, which the cache of an `npm ci` does not hold.
 */
function consumerProject(filename: string, tarball: Buffer): { manifest: object; lock: object } {
  const repoLock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean } & Record<string, unknown>> };
  const self = repoLock.packages[""]!;
  const dependencies = { "beam-ts": `file:${filename}`, "@types/node": pkg.devDependencies["@types/node"]! };
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies },
    "node_modules/beam-ts": {
      version: pkg.version,
      resolved: `file:${filename}`,
      integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
      dependencies: self["dependencies"],
      bin: self["bin"],
      engines: self["engines"],
    },
  };
  // Every package the repository's own runtime needs (not dev-only), @types/node among them.
  for (const [at, entry] of Object.entries(repoLock.packages)) {
    if (at !== "" && entry.dev !== true) packages[at] = entry;
  }
  if (packages["node_modules/@types/node"] === undefined) throw new Error("package-lock.json has no runtime @types/node entry to reuse");
  return {
    manifest: { name: "consumer", private: true, type: "module", dependencies },
    lock: { name: "consumer", lockfileVersion: 3, requires: true, packages },
  };
}

afterAll(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

/** A pipeline module as a user writes it: TypeScript, subpath imports, options, run at top level. */
const PIPELINE_TS = `
import { Pipeline, countPerElement, defineOptions, flatMap, map, option, type KV } from "beam-ts";
import { readText, writeText } from "beam-ts/io/text";

const Options = defineOptions({
  input: option.string({ description: "files", default: "data.txt" }),
  output: option.string({ description: "prefix", required: true }),
  mode: option.choice(["fast", "exact"], { description: "a choice", default: "fast" }),
});
const options = Options.parseOrExit(process.argv.slice(2));
const mode: "fast" | "exact" = options.mode;
const p = new Pipeline(options);
p.apply(readText(options.input))
  .apply(flatMap((line: string) => line.split(" ")))
  .apply(countPerElement())
  .apply(map((kv: KV<string, number>) => \`\${kv.key}=\${kv.value} \${mode}\`))
  .apply(writeText(options.output, { numShards: 1 }));
const result = p.run();
await result.waitUntilFinish();
const startup = result.metrics().queryMetrics({ name: "threadStartupMillis" }).gauges[0];
console.log(JSON.stringify({ threadStartupMillis: startup?.committed.value ?? null }));
`;

/** Plain JavaScript: the package's main entry and a subpath, a pipeline with an assertion. */
const RUN_MJS = `
import { Pipeline, create, groupByKey, kv, map } from "beam-ts";
import { assertThat } from "beam-ts/testing";
const p = new Pipeline();
const grouped = p.apply(create([1, 2, 3, 4])).apply(map((n) => kv(n % 2, n))).apply(groupByKey())
  .apply(map((g) => \`\${g.key}:\${[...g.value].sort().join(",")}\`));
assertThat(grouped).containsInAnyOrder(["0:2,4", "1:1,3"]);
await p.run().waitUntilFinish();
console.log("pipeline ok");
`;

/** A TypeScript consumer, compiled against the published declarations only. */
const CONSUMER_TS = `
import { Pipeline, combinePerKey, create, defineOptions, groupByKey, kv, map, option, sum, type KV, type PCollection } from "beam-ts";
import { readText, writeText } from "beam-ts/io/text";
import { assertThat, testStream } from "beam-ts/testing";

const Options = defineOptions({
  mode: option.choice(["fast", "exact"], { description: "a choice", default: "fast" }),
  limit: option.integer({ description: "a limit" }),
});
const options = Options.parse(["--mode=exact"]);
const mode: "fast" | "exact" = options.mode;
const limit: number | undefined = options.limit;
const p = new Pipeline(options);
const sums: PCollection<KV<string, number>> = p
  .apply(create([kv("a", 1), kv("b", 2)]))
  .apply(combinePerKey(sum()));
const grouped: PCollection<KV<string, Iterable<number>>> = p.apply(create([kv("a", 1)])).apply(groupByKey<string, number>());
assertThat(sums).containsInAnyOrder([kv("a", 1), kv("b", 2)]);
p.apply(readText("in.txt")).apply(map((s: string) => s.length)).apply(map(String)).apply(writeText("out"));
const stream = testStream<string>("a@1s | wm 10s");
void [mode, limit, grouped, stream];
`;

describe("the package: npm pack, installed into an empty project", () => {
  it("ships the compiled JavaScript, declarations, generated protos and bin; no sources, tests or benchmarks", () => {
    expect(packed).toContain("dist/index.js");
    expect(packed).toContain("dist/index.d.ts");
    expect(packed).toContain("dist/io/text/index.d.ts");
    expect(packed).toContain("dist/io/redis/index.d.ts");
    expect(packed).toContain("dist/io/parquet/index.d.ts");
    expect(packed).toContain("dist/io/csv/index.d.ts");
    expect(packed).toContain("dist/io/avro/index.d.ts");
    expect(packed).toContain("dist/proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js");
    // The monitoring page's files, served as they are by dist/observe/ui-server.js (--ui).
    expect(packed).toEqual(expect.arrayContaining(["ui/index.html", "ui/monitor.js", "ui/monitor.css"]));
    expect(packed).toContain("dist/runners/embedded/parallel/thread-entry.js");
    expect(packed).toContain("bin/beam-ts.js");
    expect(packed).toContain("package.json");
    // The local job services --runner=prism|flink|spark start without --jobEndpoint; no other tool.
    expect(packed).toContain("tools/runners/job-services.mjs");
    expect(packed.filter((f) => f !== "tools/runners/job-services.mjs" && (/^(src|test|bench|examples|tools|docs)\//.test(f) || /\.test\.|\.ts$/.test(f.replace(/\.d\.ts$/, ""))))).toEqual([]);
  });

  it("runs a pipeline module on --runner=prism without --jobEndpoint: the job service it starts comes with the package", async () => {
    // The Prism binary the test setup built (tools/runners cache): an installed package keeps its own in ~/.cache/beam-ts.
    const cache = process.env["BEAM_TS_CACHE"] ?? path.join(root, ".cache", "runners");
    const outDir = path.join(work, "out-prism");
    const { stderr } = await inProject("npx", ["beam-ts", "run", "pipeline.ts", "--runner=prism", "--mode=exact", `--output=${outDir}/counts`], undefined, { BEAM_TS_CACHE: cache });
    expect(stderr).toMatch(/started a prism job service at 127\.0\.0\.1:\d+ \(pid \d+\)/);
    const files = (await readdir(outDir)).filter((f) => !f.startsWith("_") && !f.startsWith("."));
    const text = (await Promise.all(files.map((f) => readFile(path.join(outDir, f), "utf8")))).join("");
    expect(text.split("\n").filter((l) => l !== "").sort()).toEqual(["a=2 exact", "b=2 exact", "c=1 exact"]);
  }, 300_000);

  it("says what --runner=prism needs when it cannot start Prism (no Go on PATH, nothing cached)", async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), "beam-ts-empty-cache-"));
    const withoutGo = (process.env["PATH"] ?? "").split(path.delimiter).filter((d) => !existsSync(path.join(d, "go"))).join(path.delimiter);
    const failed = await inProject("npx", ["beam-ts", "run", "pipeline.ts", "--runner=prism", `--output=${work}/never/counts`], undefined, { BEAM_TS_CACHE: cache, PATH: withoutGo }).then(
      () => undefined,
      (err: { stderr: string; code: number }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain("--runner=prism without --jobEndpoint starts a local prism job service, which failed: cannot run go");
    expect(failed?.stderr).toContain("the Go toolchain must be on PATH");
    expect(failed?.stderr).toContain("--jobEndpoint=host:port");
  }, 120_000);

  it("runs a pipeline when imported from plain node (ESM), subpath imports included", async () => {
    const { stdout } = await inProject("node", ["run.mjs"]);
    expect(stdout).toContain("pipeline ok");
  });

  it("can be required from CommonJS (Node's require of an ES module)", async () => {
    const { stdout } = await inProject("node", ["-e", "const b = require('beam-ts'); const t = require('beam-ts/io/text'); console.log(typeof b.Pipeline, typeof t.readText)"]);
    expect(stdout.trim()).toBe("function function");
  });

  it("has a CLI: npx beam-ts --help and --version", async () => {
    expect((await inProject("npx", ["beam-ts", "--help"])).stdout).toContain("Usage: beam-ts");
    expect((await inProject("npx", ["beam-ts", "--version"])).stdout.trim()).toBe(pkg.version);
  });

  it("compiles a TypeScript consumer with strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess, checking the declarations", async () => {
    await writeFile(path.join(project, "consumer.ts"), CONSUMER_TS);
    const tsconfig = {
      compilerOptions: {
        target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true, skipLibCheck: false, noEmit: true, types: ["node"],
      },
      files: ["consumer.ts", "pipeline.ts"],
    };
    await writeFile(path.join(project, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const result = await inProject(process.execPath, [tsc, "-p", "."]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err), stderr: "" }));
    expect(result.stdout).toBe("");
  }, 120_000);

  it("runs a TypeScript pipeline module with `npx beam-ts run` on two threads", async () => {
    const out = await runPipelineModule();
    expect(out.lines).toEqual(["a=2 exact", "b=2 exact", "c=1 exact"]);
    expect(out.threadStartupMillis).toBeGreaterThan(0);
  }, 120_000);

  for (const version of NODE_VERSIONS) {
    it(`works on Node ${version}: import, CLI, a TypeScript pipeline on two threads`, async () => {
      const node = await ensureNode(version);
      expect((await inProject(node, ["--version"])).stdout.trim()).toBe(`v${version}`);
      expect((await inProject(node, ["run.mjs"], node)).stdout).toContain("pipeline ok");
      expect((await inProject("npx", ["beam-ts", "--version"], node)).stdout.trim()).toBe(pkg.version);
      const out = await runPipelineModule(node);
      expect(out.lines).toEqual(["a=2 exact", "b=2 exact", "c=1 exact"]);
    }, 300_000);
  }
});

let runs = 0;

/** `npx beam-ts run pipeline.ts --parallelism=2`; the output's lines, sorted, and the thread start-up gauge. */
async function runPipelineModule(node?: string): Promise<{ lines: string[]; threadStartupMillis: number }> {
  const outDir = path.join(work, `out-${runs++}`);
  const { stdout } = await inProject("npx", ["beam-ts", "run", "pipeline.ts", "--mode=exact", "--parallelism=2", `--output=${outDir}/counts`], node);
  // The shards the write's success marker lists (docs: "How output files become visible").
  const marker = JSON.parse(await readFile(path.join(outDir, "_counts_SUCCESS"), "utf8")) as { files: string[] };
  expect((await readdir(outDir)).sort()).toEqual(["_counts_SUCCESS", ...marker.files].sort());
  const text = (await Promise.all(marker.files.map((f) => readFile(path.join(outDir, f), "utf8")))).join("");
  const figures = JSON.parse(stdout.trim().split("\n").pop()!) as { threadStartupMillis: number };
  return { lines: text.split("\n").filter((l) => l !== "").sort(), threadStartupMillis: figures.threadStartupMillis };
}
