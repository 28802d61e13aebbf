#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, Buffer */
// Builds (once, cached) and runs beam-ts's Java port of Nexmark on Beam Java's DirectRunner
// or FlinkRunner (embedded local Flink), as a peer of beam-ts's own Nexmark.
//
//   node tools/peers/java-nexmark.mjs --runner=direct|flink --query=N --numEvents=M [--numEventGenerators=K]
//   node tools/peers/java-nexmark.mjs --dump=N [--numEventGenerators=K]    (the first N events, JSON lines)
//   node tools/peers/java-nexmark.mjs --build                              (just build; prints the build dir)
//
// The build (mvn dependency:build-classpath + javac) lives under <repo>/.cache/peers/java-nexmark/<hash>/,
// keyed by a hash of the pom and the Java sources, so an edit rebuilds. See tools/peers/README.md.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { JAVA_17_OPENS } from "../runners/job-services.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "..", "..");
export const PROJECT_DIR = join(HERE, "java-nexmark");
const MAIN_CLASS = "beamts.peers.nexmark.Main";


/** <repo>/.cache/peers/java-nexmark (or $BEAM_TS_PEERS_CACHE/java-nexmark). */
export function cacheDir() {
  const base = process.env.BEAM_TS_PEERS_CACHE ? resolve(process.env.BEAM_TS_PEERS_CACHE) : join(REPO_ROOT, ".cache", "peers");
  const dir = join(base, "java-nexmark");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The Java sources of the project, sorted. */
function javaSources() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".java")) out.push(path);
    }
  };
  walk(join(PROJECT_DIR, "src", "main", "java"));
  return out;
}

/** Hash of the pom and the sources (paths and contents), and the Java version. */
function buildKey(sources) {
  const h = createHash("sha256");
  h.update(`node-wrapper-v1\0${process.env.JAVA_HOME ?? ""}\0`);
  for (const file of [join(PROJECT_DIR, "pom.xml"), ...sources]) {
    h.update(relative(PROJECT_DIR, file));
    h.update("\0");
    h.update(readFileSync(file));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/** Runs a command; resolves with its stdout, rejects with the tail of its output. */
function run(cmd, args, { cwd, timeoutMs = 0, maxBuffer = 512 * 1024 * 1024 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    const err = [];
    let outBytes = 0;
    let timedOut = false;
    child.stdout.on("data", (b) => {
      outBytes += b.length;
      if (outBytes <= maxBuffer) out.push(b);
    });
    child.stderr.on("data", (b) => {
      err.push(b);
      // Keep only the recent stderr.
      while (err.length > 200) err.shift();
    });
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, timeoutMs)
        : undefined;
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      if (code === 0 && !timedOut) return resolvePromise(stdout);
      const stderr = Buffer.concat(err).toString("utf8");
      const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
      reject(new Error(`${cmd} ${why}\n${(stderr + stdout).slice(-4000)}`));
    });
  });
}

let building;

/**
 * Builds the project once per source hash: resolves the classpath with Maven and compiles
 * the sources with javac into <cache>/<hash>/classes. Returns { dir, classpath, built, buildSec }.
 */
export function ensureBuilt() {
  building ??= build().finally(() => {
    building = undefined;
  });
  return building;
}

async function build() {
  const sources = javaSources();
  const key = buildKey(sources);
  const dir = join(cacheDir(), key);
  const cpFile = join(dir, "classpath.txt");
  const readClasspath = () => `${join(dir, "classes")}:${readFileSync(cpFile, "utf8").trim()}`;
  if (existsSync(join(dir, "ok"))) {
    const classpath = readClasspath();
    if (classpath.split(":").every((p) => existsSync(p))) return { dir, classpath, built: false, buildSec: 0 };
    rmSync(dir, { recursive: true, force: true });
  }
  const started = Date.now();
  const tmp = join(cacheDir(), `.tmp-${key}-${process.pid}-${Date.now()}`);
  mkdirSync(join(tmp, "classes"), { recursive: true });
  try {
    await run("mvn", ["-B", "-q", "-f", join(PROJECT_DIR, "pom.xml"), "dependency:build-classpath", `-Dmdep.outputFile=${join(tmp, "classpath.txt")}`], {
      cwd: tmp,
      timeoutMs: 20 * 60_000,
    });
    const deps = readFileSync(join(tmp, "classpath.txt"), "utf8").trim();
    writeFileSync(join(tmp, "sources.txt"), sources.join("\n") + "\n");
    await run("javac", ["--release", "17", "-encoding", "UTF-8", "-nowarn", "-d", join(tmp, "classes"), "-cp", deps, `@${join(tmp, "sources.txt")}`], {
      cwd: tmp,
      timeoutMs: 10 * 60_000,
    });
    writeFileSync(join(tmp, "ok"), `${new Date().toISOString()}\n`);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another process built the same key meanwhile: keep theirs.
      if (!existsSync(join(dir, "ok"))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir, classpath: readClasspath(), built: true, buildSec: (Date.now() - started) / 1000 };
}

/** Runs the launcher with `args`; resolves with its stdout. */
async function runMain(args, { timeoutMs = 0, jvmArgs = [] } = {}) {
  const { classpath } = await ensureBuilt();
  return run("java", [...JAVA_17_OPENS, ...jvmArgs, "-cp", classpath, MAIN_CLASS, ...args], { cwd: REPO_ROOT, timeoutMs });
}

/**
 * Runs one Nexmark query on Beam Java and returns the launcher's JSON result:
 * { query, system: "beam-java-direct" | "beam-java-flink", numEvents, eventsPerSec, resultCount, runtimeSec, version },
 * plus `jobRuntimeSec` on Flink (Flink's net job runtime, local cluster start-up excluded) and
 * `command` (the java command line, classpath abbreviated).
 * `runtimeSec` is the wall time from pipeline.run() to the end of waitUntilFinish() (JVM start
 * and pipeline construction excluded).
 */
export async function runJavaNexmark({ runner = "direct", query, numEvents, numEventGenerators, parallelism, timeoutMs = 30 * 60_000, extraArgs = [], jvmArgs = [] }) {
  if (runner !== "direct" && runner !== "flink") throw new Error(`runJavaNexmark: runner must be "direct" or "flink", got ${runner}`);
  const args = [`--runner=${runner}`, `--query=${query}`, `--numEvents=${numEvents}`];
  if (numEventGenerators !== undefined) args.push(`--numEventGenerators=${numEventGenerators}`);
  if (parallelism !== undefined) args.push(`--parallelism=${parallelism}`);
  const { dir } = await ensureBuilt();
  const stdout = await runMain([...args, ...extraArgs], { timeoutMs, jvmArgs });
  const command = [
    "java",
    `[${JAVA_17_OPENS.length} --add-opens]`,
    ...jvmArgs,
    "-cp",
    `${relative(REPO_ROOT, join(dir, "classes"))}:<maven classpath>`,
    MAIN_CLASS,
    ...args,
    ...extraArgs,
  ].join(" ");
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{") && l.includes('"system"'));
  if (line === undefined) throw new Error(`java-nexmark printed no result line:\n${stdout.slice(-2000)}`);
  return { ...JSON.parse(line), command };
}

/**
 * The first `n` events of the default configuration with `numEvents` = n, read from the Java
 * source generator by generator (so in event id order), as { timestamp, event } objects whose
 * `event` has beam-ts's shape ({ kind: "person", newPerson } | { kind: "auction", newAuction } | { kind: "bid", bid }).
 */
export async function javaGeneratorEvents(n, { numEventGenerators, timeoutMs = 10 * 60_000 } = {}) {
  const args = [`--dump=${n}`];
  if (numEventGenerators !== undefined) args.push(`--numEventGenerators=${numEventGenerators}`);
  const stdout = await runMain(args, { timeoutMs });
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

function parseArgs(argv) {
  const out = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`expected --name=value, got ${a}`);
    out[m[1]] = m[2] ?? "true";
  }
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build !== undefined) {
    const b = await ensureBuilt();
    console.log(JSON.stringify({ dir: b.dir, built: b.built, buildSec: b.buildSec }));
    return;
  }
  if (opts.dump !== undefined) {
    const args = [`--dump=${opts.dump}`];
    if (opts.numEventGenerators !== undefined) args.push(`--numEventGenerators=${opts.numEventGenerators}`);
    process.stdout.write(await runMain(args));
    return;
  }
  if (opts.query === undefined) throw new Error("usage: --runner=direct|flink --query=N --numEvents=M [--numEventGenerators=K] | --dump=N | --build");
  const { runner = "direct", query, numEvents = "100000", numEventGenerators, parallelism, timeoutMs, ...rest } = opts;
  const result = await runJavaNexmark({
    runner,
    query: Number(query),
    numEvents: Number(numEvents),
    numEventGenerators: numEventGenerators === undefined ? undefined : Number(numEventGenerators),
    parallelism: parallelism === undefined ? undefined : Number(parallelism),
    timeoutMs: timeoutMs === undefined ? undefined : Number(timeoutMs),
    // Anything else is a Beam pipeline option (e.g. --enforceImmutability=false).
    extraArgs: Object.entries(rest).map(([k, v]) => `--${k}=${v}`),
  });
  console.log(JSON.stringify(result));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
