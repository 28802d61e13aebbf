#!/usr/bin/env node
/* global process, console */
// Generates TypeScript for Apache Beam's portability protos into src/proto/ (gitignored).
//
//   npm run proto            generate if anything changed (fast no-op otherwise)
//   npm run proto -- --force regenerate even if up to date
//
// Steps (see tools/proto/README.md):
//   1. fetch Beam's model jars (pipeline, fn-execution, job-management) from Maven Central with
//      `mvn` into .cache/beam-protos/<version>/jars (taken straight from the local Maven
//      repository when they are already there), and extract their .proto files;
//   2. run `buf generate` (npm @bufbuild/buf, which also supplies google/protobuf/*.proto) with
//      the ts-proto plugin into a scratch folder, then swap it in as src/proto/;
//   3. write src/proto/urns.ts, a typed table of the (beam_urn) / (beam_constant) enum value
//      options read from the compiled descriptors (`buf build`);
//   4. stamp src/proto/.stamp.json with a hash of the inputs, so the next run is a no-op.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The Beam release whose protos we generate from. Override with BEAM_PROTO_VERSION. */
export const BEAM_VERSION = process.env.BEAM_PROTO_VERSION || "2.73.0";
const BEAM_GROUP = "org.apache.beam";
const ARTIFACTS = ["beam-model-pipeline", "beam-model-fn-execution", "beam-model-job-management"];

/**
 * ts-proto options. Choices:
 * - forceLong=bigint: Beam's int64s are exact 64-bit values (e.g. MIN_TIMESTAMP_MILLIS is
 *   -9223372036854775, beyond Number.MAX_SAFE_INTEGER), so `number` would lose precision.
 * - useDate=false: google.protobuf.Timestamp stays a {seconds: bigint, nanos} message; a JS Date
 *   cannot hold Beam's min/max timestamps (|t| > 8.64e15 ms).
 * - useOptionals=messages: message-typed fields are `?:` (absent = unset), scalars keep their
 *   proto3 defaults, so `Pipeline.create({...})` / `fromPartial` read naturally.
 * - oneof=unions: oneofs are `{ $case: "name", name: value }` discriminated unions.
 * - outputServices=grpc-js (+ env=node, esModuleInterop): @grpc/grpc-js clients/service defs.
 * - importSuffix=.js: ESM imports under NodeNext resolution.
 * - outputSchema=no-file-descriptor: each module exports `protoMetadata`, whose `options` holds
 *   the decoded custom options (beam_urn, beam_constant, ...), without the bulky descriptors.
 */
export const TS_PROTO_OPTIONS = [
  "outputServices=grpc-js",
  "env=node",
  "esModuleInterop=true",
  "importSuffix=.js",
  "forceLong=bigint",
  "useDate=false",
  "useOptionals=messages",
  "oneof=unions",
  "outputSchema=no-file-descriptor",
];

const scriptFile = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(scriptFile), "..", "..");
const outDir = path.join(root, "src", "proto");
const cacheDir = path.join(root, ".cache", "beam-protos", BEAM_VERSION);
const jarsDir = path.join(cacheDir, "jars");
const protoDir = path.join(cacheDir, "proto");
const stampFile = path.join(outDir, ".stamp.json");
const require = createRequire(import.meta.url);
const force = process.argv.includes("--force");

function log(msg) {
  console.log(`[proto] ${msg}`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
  return r;
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
}

function jarName(artifact) {
  return `${artifact}-${BEAM_VERSION}.jar`;
}

/** Puts the three jars into jarsDir: from ~/.m2 when present, else via `mvn`. */
function fetchJars() {
  fs.mkdirSync(jarsDir, { recursive: true });
  const m2 = path.join(os.homedir(), ".m2", "repository", ...BEAM_GROUP.split("."));
  let missing = ARTIFACTS.filter((a) => !fs.existsSync(path.join(jarsDir, jarName(a))));
  for (const a of missing) {
    const local = path.join(m2, a, BEAM_VERSION, jarName(a));
    if (fs.existsSync(local)) fs.copyFileSync(local, path.join(jarsDir, jarName(a)));
  }
  missing = ARTIFACTS.filter((a) => !fs.existsSync(path.join(jarsDir, jarName(a))));
  if (missing.length === 0) return;
  log(`fetching ${missing.join(", ")} ${BEAM_VERSION} with mvn`);
  // One mvn run for all jars: a throwaway pom that depends on them, copy-dependencies.
  const deps = missing
    .map((a) => `<dependency><groupId>${BEAM_GROUP}</groupId><artifactId>${a}</artifactId><version>${BEAM_VERSION}</version></dependency>`)
    .join("\n    ");
  const pom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.beam-ts</groupId><artifactId>beam-protos-fetch</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    ${deps}
  </dependencies>
</project>
`;
  const pomFile = path.join(cacheDir, "fetch-pom.xml");
  fs.writeFileSync(pomFile, pom);
  const mvn = process.platform === "win32" ? "mvn.cmd" : "mvn";
  try {
    run(mvn, [
      "-B", "-q", "-Dstyle.color=never", "--strict-checksums", "-f", pomFile,
      "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
      "-DexcludeTransitive=true", `-DoutputDirectory=${jarsDir}`,
    ]);
  } catch (e) {
    throw new Error(`${e.message}\nCould not fetch Beam's model jars; is Maven (mvn) on PATH and Maven Central reachable?`);
  }
  for (const a of missing) {
    if (!fs.existsSync(path.join(jarsDir, jarName(a)))) throw new Error(`mvn did not produce ${jarName(a)}`);
  }
}

/** Minimal zip reader: yields {name, data} for entries matching `keep`. */
function* readZip(file, keep) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (!keep(name)) continue;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    if (method === 0) yield { name, data: raw };
    else if (method === 8) yield { name, data: inflateRawSync(raw) };
    else throw new Error(`${file}: ${name}: unsupported zip method ${method}`);
  }
}

/** Extracts org/apache/beam/model/**.proto from the jars into protoDir (once per version). */
function extractProtos() {
  const done = path.join(protoDir, ".complete");
  if (fs.existsSync(done)) return;
  fetchJars();
  fs.rmSync(protoDir, { recursive: true, force: true });
  let n = 0;
  for (const a of ARTIFACTS) {
    for (const { name, data } of readZip(path.join(jarsDir, jarName(a)), (e) => e.startsWith("org/apache/beam/model/") && e.endsWith(".proto"))) {
      const dest = path.join(protoDir, ...name.split("/"));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, data);
      n++;
    }
  }
  if (n === 0) throw new Error(`no .proto files found in ${jarsDir}`);
  fs.writeFileSync(done, "");
  log(`extracted ${n} .proto files into ${path.relative(root, protoDir)}`);
}

function listFiles(dir, base = dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]))
    .sort();
}

/** Hash of everything that determines the output. */
function inputsHash() {
  const h = createHash("sha256");
  h.update(JSON.stringify({ BEAM_VERSION, ARTIFACTS, TS_PROTO_OPTIONS, tsProto: pkgVersion("ts-proto"), buf: pkgVersion("@bufbuild/buf") }));
  h.update(fs.readFileSync(scriptFile));
  for (const f of listFiles(protoDir).filter((f) => f.endsWith(".proto"))) {
    h.update(f.split(path.sep).join("/"));
    h.update(fs.readFileSync(path.join(protoDir, f)));
  }
  return h.digest("hex");
}

function bufBin() {
  return require.resolve("@bufbuild/buf/bin/buf");
}

/** Builds src/proto/urns.ts from the descriptor set's (beam_urn) / (beam_constant) options. */
function urnsModule(descriptorSetJson) {
  const URN = "[org.apache.beam.model.pipeline.v1.beam_urn]";
  const CONST = "[org.apache.beam.model.pipeline.v1.beam_constant]";
  const urns = {};
  const constants = {};
  const visitEnum = (prefix, e) => {
    const full = `${prefix}.${e.name}`;
    for (const v of e.value ?? []) {
      const o = v.options ?? {};
      if (o[URN] !== undefined) (urns[full] ??= {})[v.name] = o[URN];
      if (o[CONST] !== undefined) (constants[full] ??= {})[v.name] = o[CONST];
    }
  };
  const visitMessage = (prefix, m) => {
    const full = `${prefix}.${m.name}`;
    for (const e of m.enumType ?? []) visitEnum(full, e);
    for (const n of m.nestedType ?? []) visitMessage(full, n);
  };
  for (const f of descriptorSetJson.file) {
    if (!f.package?.startsWith("org.apache.beam.")) continue;
    for (const e of f.enumType ?? []) visitEnum(f.package, e);
    for (const m of f.messageType ?? []) visitMessage(f.package, m);
  }
  const sortObj = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return `// Generated by tools/proto/generate.mjs from Beam ${BEAM_VERSION}'s protos. Do not edit.
// The standard URNs and constants that Beam attaches to enum values with the
// (beam_urn) and (beam_constant) options, keyed by the enum's full proto name
// and then by the enum value's name.

/** (beam_urn) of each enum value that has one, e.g. BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Primitives"].IMPULSE. */
export const BEAM_URNS = ${JSON.stringify(sortObj(urns), null, 2)} as const;

/** (beam_constant) of each enum value that has one (strings, as in the protos). */
export const BEAM_CONSTANTS = ${JSON.stringify(sortObj(constants), null, 2)} as const;
`;
}

/**
 * Builds src/proto/index.ts: one namespace per generated module, named after the .proto file
 * (beam_runner_api.proto -> runnerApi... see below), plus the URN tables.
 */
function indexModule(modules) {
  const seen = new Map();
  const lines = modules.sort().map((m) => {
    const base = path.basename(m, ".ts").replace(/^beam_/, "");
    const ns = base.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
    if (seen.has(ns)) throw new Error(`index.ts: ${m} and ${seen.get(ns)} would share the namespace ${ns}`);
    seen.set(ns, m);
    return `export * as ${ns} from "./${m.split(path.sep).join("/").replace(/\.ts$/, ".js")}";`;
  });
  return `// Generated by tools/proto/generate.mjs from Beam ${BEAM_VERSION}'s protos. Do not edit.
// One namespace per .proto file (beam_ prefix dropped, camelCase): e.g. runnerApi.Pipeline,
// fnApi.InstructionRequest, jobApi.JobServiceClient, timestamp.Timestamp.
${lines.join("\n")}
export { BEAM_CONSTANTS, BEAM_URNS } from "./urns.js";
`;
}

function generate(hash) {
  const scratch = path.join(cacheDir, "out.tmp");
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  const template = {
    version: "v2",
    plugins: [
      {
        local: [process.execPath, require.resolve("ts-proto/protoc-gen-ts_proto")],
        out: ".",
        opt: TS_PROTO_OPTIONS,
      },
    ],
  };
  const templateFile = path.join(cacheDir, "buf.gen.json");
  fs.writeFileSync(templateFile, JSON.stringify(template, null, 2));
  log(`generating TypeScript (ts-proto ${pkgVersion("ts-proto")}, buf ${pkgVersion("@bufbuild/buf")})`);
  run(process.execPath, [bufBin(), "generate", protoDir, "--template", templateFile, "--output", scratch]);

  const image = path.join(cacheDir, "descriptors.json");
  run(process.execPath, [bufBin(), "build", protoDir, "--as-file-descriptor-set", "--output", image]);
  fs.writeFileSync(path.join(scratch, "urns.ts"), urnsModule(JSON.parse(fs.readFileSync(image, "utf8"))));
  fs.writeFileSync(path.join(scratch, "index.ts"), indexModule(listFiles(scratch).filter((f) => f.endsWith(".ts") && f !== "urns.ts")));
  fs.writeFileSync(
    path.join(scratch, ".stamp.json"),
    JSON.stringify({ hash, beam: BEAM_VERSION, tsProto: pkgVersion("ts-proto"), buf: pkgVersion("@bufbuild/buf") }, null, 2) + "\n",
  );

  // Swap in the new tree (same filesystem, so the rename is cheap).
  const old = path.join(cacheDir, "out.old");
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(outDir)) fs.renameSync(outDir, old);
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  fs.renameSync(scratch, outDir);
  fs.rmSync(old, { recursive: true, force: true });
  log(`wrote ${listFiles(outDir).filter((f) => f.endsWith(".ts")).length} modules into ${path.relative(root, outDir)}`);
}

function main() {
  extractProtos();
  const hash = inputsHash();
  if (!force && fs.existsSync(stampFile)) {
    try {
      if (JSON.parse(fs.readFileSync(stampFile, "utf8")).hash === hash) {
        log(`src/proto is up to date (Beam ${BEAM_VERSION})`);
        return;
      }
    } catch {
      // unreadable stamp: regenerate
    }
  }
  generate(hash);
}

try {
  main();
} catch (e) {
  console.error(`[proto] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
