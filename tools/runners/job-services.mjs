#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout */
// Obtains (once, cached) and starts Beam Job Services on loopback for development and CI.
//
//   node tools/runners/job-services.mjs prism|flink|spark|expansion-service
//
// Cache: <repo>/.cache/runners/, ~/.cache/beam-ts/runners/ when installed as a package
// (override with BEAM_TS_CACHE). See tools/runners/README.md.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "..", "..");

/** Prism (Go, from the Go module proxy). Newest Beam v2 tag that builds with the installed Go. */
export const PRISM_VERSION = process.env.BEAM_TS_PRISM_VERSION ?? "v2.77.0";
/** Beam Java release for the Flink / Spark job-server jars (Maven Central). */
export const BEAM_JAVA_VERSION = process.env.BEAM_TS_BEAM_JAVA_VERSION ?? "2.73.0";
/**
 * Beam Java SDK release of the classpath-resolved services: the Flink and Spark runners, the
 * Java SDK harness on Flink's classpath and the Java expansion service. They must agree: the
 * expansion service serializes Java DoFns that the runner's embedded harness deserializes.
 */
export const JAVA_SDK_VERSION = process.env.BEAM_TS_JAVA_SDK_VERSION ?? "2.70.0";
/** Flink minor version of the job-server artifact: beam-runners-flink-<FLINK>-job-server. */
export const FLINK_VERSION = process.env.BEAM_TS_FLINK_VERSION ?? "1.19";

const HOST = "127.0.0.1";

/**
 * The cache directory: $BEAM_TS_CACHE, else <repo>/.cache/runners in a checkout, else (this
 * file shipped in an installed package, where `--runner=prism|flink|spark` starts a job
 * service) the user's cache, $XDG_CACHE_HOME/beam-ts/runners or ~/.cache/beam-ts/runners:
 * a package folder under node_modules is replaced by every install.
 */
export function cacheDir() {
  const installed = REPO_ROOT.split(/[\\/]/).includes("node_modules");
  const userCache = () => join(process.env.XDG_CACHE_HOME ? resolve(process.env.XDG_CACHE_HOME) : join(homedir(), ".cache"), "beam-ts", "runners");
  const dir = process.env.BEAM_TS_CACHE ? resolve(process.env.BEAM_TS_CACHE) : installed ? userCache() : join(REPO_ROOT, ".cache", "runners");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function logsDir() {
  const dir = join(cacheDir(), "logs");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function newLogFile(name) {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return join(logsDir(), `${name}-${stamp}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.log`);
}

/**
 * The log of a long-running server process. Output can arrive after stop() ended the log: a
 * process the server started (a PROCESS worker, a forked JVM) may hold its stdout open, and a
 * pipe can still hold unread output when the exit is seen. Such output is dropped rather than
 * written after end, which once crashed a test run's global teardown ("write after end").
 */
export function openLog(name) {
  const file = newLogFile(name);
  const out = createWriteStream(file);
  out.on("error", () => {});
  return {
    file,
    write(chunk) {
      if (!out.writableEnded) out.write(chunk);
    },
    end: () => new Promise((res) => (out.writableEnded ? res() : out.end(res))),
  };
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Runs a command to completion; rejects with its output tail on failure. Output goes to `logFile`. */
async function run(cmd, args, { env, logFile, cwd } = {}) {
  const out = createWriteStream(logFile, { flags: "a" });
  await once(out, "open");
  out.write(`$ ${cmd} ${args.join(" ")}\n`);
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const [code, signal] = await new Promise((res, rej) => {
    child.once("error", rej);
    child.once("close", (c, s) => res([c, s]));
  }).catch((err) => {
    out.end();
    throw new Error(`cannot run ${cmd}: ${err.message}`);
  });
  out.end();
  await once(out, "close");
  if (code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`}); log ${logFile}:\n${tail(logFile)}`);
  }
}

// ---------------------------------------------------------------------------
// Obtaining the binaries

/**
 * Path to a cached Go binary `name` built from the Go module proxy: `go install
 * <pkg>@<version>` into `<cache>/<name>/<version>/` on first use (Prism, nats-server).
 */
export async function ensureGoBinary({ name, pkg, version }) {
  const dir = join(cacheDir(), name, version);
  const bin = join(dir, name);
  if (existsSync(bin)) return bin;
  // Install into a private GOBIN, then rename: concurrent callers never see a half-written binary.
  const tmp = join(dir, `.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await run("go", ["install", `${pkg}@${version}`], {
      env: { GOBIN: tmp, CGO_ENABLED: "0" },
      logFile: newLogFile(`${name}-install-${version}`),
    });
    renameSync(join(tmp, name), bin);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/**
 * Path to a cached Go binary `name` built with `go build` from the Go module in `dir` (its
 * go.mod and go.sum pin the dependencies, fetched from the Go module proxy), into
 * `<cache>/<name>/<hash of the module's files>/` on first use.
 */
export async function ensureGoBuild({ name, dir }) {
  const sources = readdirSync(dir)
    .filter((f) => f === "go.mod" || f === "go.sum" || f.endsWith(".go"))
    .sort()
    .map((f) => `${f}\n${readFileSync(join(dir, f), "utf8")}`)
    .join("\n");
  const out = join(cacheDir(), name, hashOf(sources));
  const bin = join(out, name);
  if (existsSync(bin)) return bin;
  mkdirSync(out, { recursive: true });
  const tmp = join(out, `.tmp-${process.pid}-${Date.now()}`);
  try {
    await run("go", ["build", "-o", tmp, "."], { cwd: dir, env: { CGO_ENABLED: "0" }, logFile: newLogFile(`${name}-build`) });
    renameSync(tmp, bin);
  } finally {
    rmSync(tmp, { force: true });
  }
  return bin;
}

/** Path to a cached Prism binary, running `go install …/cmd/prism@<version>` on first use. */
export function ensurePrism({ version = PRISM_VERSION } = {}) {
  return ensureGoBinary({ name: "prism", pkg: "github.com/apache/beam/sdks/v2/go/cmd/prism", version });
}

/**
 * Maven coordinates of each Java job server's classpath. Beam's shaded `-job-server` jars
 * are not served by every registry (the one reachable here has none), but the runner
 * artifacts they shade are: the job server's main class lives in the runner artifact, so
 * we resolve the runner with its dependencies and start the driver class on that
 * classpath. The registry serves the runners at 2.70.0 and the job-service module only at
 * 2.65.0 (its API is unchanged between them); override with BEAM_TS_FLINK_RUNNER etc.
 */
/**
 * Spark 3.5 and Flink 1.19 (its Kryo serializer, in streaming mode) reflect into JDK
 * internals; on Java 17 that needs these flags (Spark's own launcher adds the same set).
 */
export const JAVA_17_OPENS = [
  "java.lang",
  "java.lang.invoke",
  "java.lang.reflect",
  "java.io",
  "java.net",
  "java.nio",
  "java.text",
  "java.time",
  "java.util",
  "java.util.concurrent",
  "java.util.concurrent.atomic",
  "sun.nio.ch",
  "sun.nio.cs",
  "sun.security.action",
  "sun.util.calendar",
].map((pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`);

export const JAVA_JOB_SERVERS = {
  flink: {
    mainClass: "org.apache.beam.runners.flink.FlinkJobServerDriver",
    artifacts: [
      process.env.BEAM_TS_FLINK_RUNNER ?? `org.apache.beam:beam-runners-flink-${FLINK_VERSION}:${JAVA_SDK_VERSION}`,
      process.env.BEAM_TS_JOB_SERVICE ?? "org.apache.beam:beam-runners-java-job-service:2.65.0",
      // Beam's EMBEDDED environment (Java transforms of cross-language pipelines, run inside
      // the job server): the SDK harness must match the runner's beam-sdks-java-core, which
      // the job-service module would otherwise pull in at 2.65.0.
      process.env.BEAM_TS_JAVA_HARNESS ?? `org.apache.beam:beam-sdks-java-harness:${JAVA_SDK_VERSION}`,
      // The harness measures cache sizes with jamm, a "provided" dependency (Beam's container has it).
      "com.github.jbellis:jamm:0.4.0",
      "org.slf4j:slf4j-simple:2.0.16",
    ],
    jvmArgs: JAVA_17_OPENS,
  },
  spark: {
    mainClass: "org.apache.beam.runners.spark.SparkJobServerDriver",
    artifacts: [
      process.env.BEAM_TS_SPARK_RUNNER ?? `org.apache.beam:beam-runners-spark-3:${JAVA_SDK_VERSION}`,
      process.env.BEAM_TS_JOB_SERVICE ?? "org.apache.beam:beam-runners-java-job-service:2.65.0",
      // Beam's Spark runner leaves Spark itself to the user ("provided").
      "org.apache.spark:spark-core_2.12:3.5.0",
      "org.apache.spark:spark-streaming_2.12:3.5.0",
      "org.apache.spark:spark-sql_2.12:3.5.0",
      "org.slf4j:slf4j-simple:2.0.16",
    ],
    jvmArgs: JAVA_17_OPENS,
  },
};

/**
 * Resolves Maven artifacts with their runtime dependencies (mvn dependency:build-classpath
 * on a generated POM) and caches the classpath under <cache>/classpaths/<name>.txt. The
 * jars stay in Maven's local repository (~/.m2).
 */
export async function ensureClasspath(name, artifacts) {
  const dir = join(cacheDir(), "classpaths");
  mkdirSync(dir, { recursive: true });
  const key = artifacts.join(" ");
  const file = join(dir, `${name}.txt`);
  const keyFile = join(dir, `${name}.key`);
  if (existsSync(file) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key) {
    const cp = readFileSync(file, "utf8").trim();
    if (cp.split(":").every((jar) => existsSync(jar))) return cp;
  }
  const tmp = join(dir, `.tmp-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  const deps = artifacts
    .map((a) => {
      const [groupId, artifactId, version] = a.split(":");
      return `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
    })
    .join("");
  writeFileSync(
    join(tmp, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>` +
      `<groupId>beam-ts.tools</groupId><artifactId>${name}</artifactId><version>0</version><packaging>pom</packaging>` +
      `<dependencies>${deps}</dependencies></project>\n`,
  );
  const logFile = newLogFile(`mvn-${name}`);
  try {
    await run("mvn", ["-B", "-q", "dependency:build-classpath", `-Dmdep.outputFile=${join(tmp, "cp.txt")}`], { logFile, cwd: tmp }).catch((err) => {
      const missing = /Could not find artifact \S+|\S+ was not found in \S+/.exec(tail(logFile, 200));
      if (missing) {
        throw new Error(
          `Maven could not provide the ${name} classpath (${missing[0]}). The registry reachable here may not serve it; ` +
            `choose other versions with BEAM_TS_FLINK_RUNNER / BEAM_TS_SPARK_RUNNER / BEAM_TS_JOB_SERVICE. Log: ${logFile}`,
        );
      }
      throw err;
    });
    renameSync(join(tmp, "cp.txt"), file);
    writeFileSync(keyFile, key);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return readFileSync(file, "utf8").trim();
}

/**
 * Beam's Java expansion service (cross-language transforms): beam-sdks-java-expansion-service
 * with its dependencies, which include beam-sdks-java-core and so the transforms it registers
 * (GenerateSequence as `beam:external:java:generate_sequence:v1`, ...). Add artifacts (IOs)
 * with `startExpansionService({ artifacts: [...] })`. It is started through
 * LoopbackExpansionService.java, which binds 127.0.0.1 (ExpansionService.main binds every
 * interface).
 */
export const JAVA_EXPANSION_SERVICE = {
  mainClass: "org.apache.beam.sdk.expansion.service.ExpansionService",
  launcher: join(HERE, "LoopbackExpansionService.java"),
  artifacts: [
    process.env.BEAM_TS_EXPANSION_SERVICE ?? `org.apache.beam:beam-sdks-java-expansion-service:${JAVA_SDK_VERSION}`,
    // The Java SDK harness (LOOPBACK's worker pool) needs jamm, a "provided" dependency.
    "com.github.jbellis:jamm:0.4.0",
    "org.slf4j:slf4j-simple:2.0.16",
  ],
};

/** Classpath of Beam's Java expansion service (plus `extra` artifacts), resolved with mvn on first use. */
export function ensureExpansionService(extra = []) {
  const artifacts = [...JAVA_EXPANSION_SERVICE.artifacts, ...extra];
  const name = extra.length === 0 ? "java-expansion-service" : `java-expansion-service-${hashOf(artifacts.join(" "))}`;
  return ensureClasspath(name, artifacts);
}

function hashOf(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h.toString(16);
}

/** Classpath of Beam's Flink job server with an embedded local Flink, resolved with mvn on first use. */
export function ensureFlinkJobServer() {
  return ensureClasspath(`flink-job-server-${FLINK_VERSION}`, JAVA_JOB_SERVERS.flink.artifacts);
}

/** Classpath of Beam's Spark 3 job server with a local Spark, resolved with mvn on first use. */
export function ensureSparkJobServer() {
  return ensureClasspath("spark-job-server", JAVA_JOB_SERVERS.spark.artifacts);
}

// ---------------------------------------------------------------------------
// Process management

const live = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL whatever is still running.
  process.on("exit", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** A free TCP port on 127.0.0.1, chosen by the OS (bind to port 0, read it, release it). */
export async function freePort() {
  const srv = createServer();
  srv.unref();
  await new Promise((res, rej) => {
    srv.once("error", rej);
    srv.listen(0, HOST, res);
  });
  const { port } = srv.address();
  await new Promise((res) => srv.close(res));
  return port;
}

/** Resolves true once a TCP connection to host:port succeeds. */
export function canConnect(port, host = HOST, timeoutMs = 1000) {
  return new Promise((res) => {
    const sock = connect({ port, host });
    const done = (ok) => {
      sock.destroy();
      res(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/**
 * Spawns `cmd`, teeing stdout/stderr to a log file; returns helpers to wait for readiness and stop.
 * `onLine` sees each output line (used to read the port Prism picked).
 */
function launch(name, cmd, args, { env, onLine } = {}) {
  const log = openLog(name);
  const logFile = log.file;
  log.write(`$ ${cmd} ${args.join(" ")}\n`);
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  installExitHook();
  live.add(child);
  let exited = null;
  const exitPromise = new Promise((res) => {
    child.once("error", (err) => {
      exited = { error: err };
      live.delete(child);
      res();
    });
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      res();
    });
  });
  let pending = "";
  const feed = (chunk) => {
    log.write(chunk);
    if (!onLine) return;
    pending += chunk.toString("utf8");
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  };
  child.stdout.on("data", feed);
  child.stderr.on("data", feed);

  const describeExit = () =>
    exited.error
      ? `could not start ${cmd}: ${exited.error.message}`
      : `${name} exited (${exited.signal ?? `code ${exited.code}`}) before it was ready`;

  /** Polls until `ready()` is truthy; rejects with the log tail if the process dies or time runs out. */
  async function waitFor(ready, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw new Error(`${describeExit()}; log ${logFile}:\n${tail(logFile)}`);
      const value = await ready();
      if (value) return value;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${name} not ready after ${timeoutMs} ms; log ${logFile}:\n${tail(logFile)}`);
      }
      await sleep(100);
    }
  }

  let stopping = null;
  function stop({ graceMs = 5000 } = {}) {
    stopping ??= (async () => {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      await log.end();
    })();
    return stopping;
  }

  return { child, logFile, waitFor, stop, exited: () => exited };
}

/**
 * Starts Prism's Job Service. Its job port is chosen by the OS (`-job_port=0`) unless `port` is given;
 * the web UI is off unless `webPort` is given. Resolves once 127.0.0.1:<port> accepts connections.
 *
 * Note: Prism (through v2.77.0) listens on all interfaces (":<port>"); it has no bind-address flag.
 */
export async function startPrism({ port = 0, webPort, idleShutdown, logLevel = "info", timeoutMs = 30_000, binary } = {}) {
  const bin = binary ?? (await ensurePrism());
  let announced = null;
  const args = [`-job_port=${port}`, "-log_kind=json", `-log_level=${logLevel}`];
  args.push(webPort ? `-web_port=${webPort}` : "-serve_http=false");
  if (idleShutdown) args.push(`-idle_shutdown_timeout=${idleShutdown}`);
  const proc = launch("prism", bin, args, {
    onLine: (line) => {
      if (announced || !line.includes("Serving JobManagement")) return;
      const m = /"endpoint":"[^"]*:(\d+)"/.exec(line) ?? /:(\d+)\b/.exec(line);
      if (m) announced = Number(m[1]);
    },
  });
  const actualPort = await proc.waitFor(async () => {
    const p = port || announced;
    return p && (await canConnect(p)) ? p : null;
  }, timeoutMs);
  return {
    endpoint: `${HOST}:${actualPort}`,
    port: actualPort,
    pid: proc.child.pid,
    logFile: proc.logFile,
    stop: () => proc.stop(),
  };
}

/**
 * LoopbackJobServer.java runs Beam's Flink or Spark job server driver with its job and
 * artifact services bound to 127.0.0.1: the drivers' own main binds them to every interface
 * whatever --job-host says (Beam's ServerFactory listens with NettyServerBuilder.forPort).
 */
const JOB_SERVER_LAUNCHER = join(HERE, "LoopbackJobServer.java");

async function startJavaJobServer(name, classpath, runner, extraArgs, { port, artifactPort, expansionPort, javaOpts = [], java, env, timeoutMs }) {
  port ||= await freePort();
  artifactPort ||= await freePort();
  expansionPort ||= await freePort();
  const javaBin = java ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java");
  const args = [
    ...javaOpts,
    "-cp",
    classpath,
    JOB_SERVER_LAUNCHER,
    runner,
    `--job-host=${HOST}`,
    `--job-port=${port}`,
    `--artifact-port=${artifactPort}`,
    `--expansion-port=${expansionPort}`,
    ...extraArgs,
  ];
  const proc = launch(name, javaBin, args, { env });
  await proc.waitFor(() => canConnect(port), timeoutMs);
  return {
    endpoint: `${HOST}:${port}`,
    port,
    artifactEndpoint: `${HOST}:${artifactPort}`,
    expansionEndpoint: `${HOST}:${expansionPort}`,
    pid: proc.child.pid,
    logFile: proc.logFile,
    stop: () => proc.stop(),
  };
}

/**
 * The Flink configuration the local cluster gets (`--flink-conf-dir`): its job manager
 * (RPC, blob server), task manager and REST endpoint bind 127.0.0.1 instead of every
 * interface. Written to <cache>/flink-conf/flink-conf.yaml.
 */
function loopbackFlinkConfDir() {
  const dir = join(cacheDir(), "flink-conf");
  mkdirSync(dir, { recursive: true });
  const lines = ["jobmanager.bind-host", "jobmanager.rpc.address", "taskmanager.bind-host", "taskmanager.host", "rest.bind-address", "rest.address"];
  writeFileSync(join(dir, "flink-conf.yaml"), `${lines.map((key) => `${key}: ${HOST}`).join("\n")}\n`);
  return dir;
}

/**
 * Starts Beam's Flink job server with an embedded local Flink (`--flink-master=[local]`),
 * its services and the local cluster on 127.0.0.1 (`flinkConfDir` replaces the loopback
 * configuration).
 */
export async function startFlink({ classpath, flinkMaster = "[local]", flinkConfDir, timeoutMs = 120_000, ...opts } = {}) {
  const cp = classpath ?? (await ensureFlinkJobServer());
  const javaOpts = [...JAVA_JOB_SERVERS.flink.jvmArgs, ...(opts.javaOpts ?? [])];
  const confDir = flinkConfDir ?? loopbackFlinkConfDir();
  return startJavaJobServer("flink-job-server", cp, "flink", [`--flink-master=${flinkMaster}`, `--flink-conf-dir=${confDir}`], {
    timeoutMs,
    ...opts,
    javaOpts,
  });
}

const SPARK_LOOPBACK = [`-Dspark.driver.host=${HOST}`, `-Dspark.driver.bindAddress=${HOST}`];

/** Starts Beam's Spark 3 job server with a local Spark master, every port on 127.0.0.1. */
export async function startSpark({ classpath, sparkMaster = "local[2]", timeoutMs = 120_000, ...opts } = {}) {
  const cp = classpath ?? (await ensureSparkJobServer());
  // Spark's driver (RPC, block manager) binds spark.driver.bindAddress and announces
  // spark.driver.host, by default the host's external address; its web UI (:4040) binds
  // SPARK_LOCAL_IP, by default every interface. All three go to loopback (SparkConf reads
  // spark.* system properties).
  const javaOpts = [...JAVA_JOB_SERVERS.spark.jvmArgs, ...SPARK_LOOPBACK, ...(opts.javaOpts ?? [])];
  return startJavaJobServer("spark-job-server", cp, "spark", [`--spark-master-url=${sparkMaster}`], {
    timeoutMs,
    ...opts,
    javaOpts,
    env: { SPARK_LOCAL_IP: HOST, ...opts.env },
  });
}

/**
 * Starts Beam's Java expansion service on 127.0.0.1 (port 0: the OS picks one). Its Java
 * transforms get the environment `environmentType` names (Beam's --defaultEnvironmentType):
 * - EMBEDDED (default) runs them inside a Java runner's own process, which needs no Docker
 *   (Beam's Flink job server then needs beam-sdks-java-harness on its classpath, which
 *   JAVA_JOB_SERVERS.flink has). Prism cannot run it.
 * - LOOPBACK: the service also serves Beam's Java worker pool (ExternalWorkerService) on
 *   another loopback port and gives the transforms that EXTERNAL environment, so any runner
 *   (Prism too) starts their Java SDK harnesses in the expansion service's JVM.
 * - PROCESS / EXTERNAL / DOCKER take `environmentConfig`, as in Beam.
 * `options` are further pipeline options, e.g. ["--experiments=use_deprecated_read"].
 */
export async function startExpansionService({
  classpath,
  artifacts = [],
  port = 0,
  environmentType = "EMBEDDED",
  environmentConfig,
  options = [],
  javaOpts = [],
  java,
  timeoutMs = 120_000,
} = {}) {
  const cp = classpath ?? (await ensureExpansionService(artifacts));
  const javaBin = java ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java");
  const args = [...javaOpts, "-cp", cp, JAVA_EXPANSION_SERVICE.launcher, String(port)];
  if (environmentType === "LOOPBACK") {
    args.push("--serveWorkerPool", "--defaultEnvironmentType=EXTERNAL", `--defaultEnvironmentConfig=${HOST}:${await freePort()}`);
  } else {
    args.push(`--defaultEnvironmentType=${environmentType}`);
    if (environmentConfig !== undefined) args.push(`--defaultEnvironmentConfig=${environmentConfig}`);
  }
  args.push(...options);
  let announced = null;
  const proc = launch("java-expansion-service", javaBin, args, {
    onLine: (line) => {
      const m = /Serving expansion service on [^\s:]+:(\d+)/.exec(line);
      if (m) announced = Number(m[1]);
    },
  });
  const actualPort = await proc.waitFor(async () => (announced && (await canConnect(announced)) ? announced : null), timeoutMs);
  return { endpoint: `${HOST}:${actualPort}`, port: actualPort, pid: proc.child.pid, logFile: proc.logFile, stop: () => proc.stop() };
}

// ---------------------------------------------------------------------------
// CLI

async function main(argv) {
  const which = argv[0];
  const starters = { prism: startPrism, flink: startFlink, spark: startSpark, "expansion-service": startExpansionService };
  if (!starters[which]) {
    console.error("usage: node tools/runners/job-services.mjs prism|flink|spark|expansion-service [--port=N] [--environmentType=EMBEDDED|LOOPBACK|...]");
    process.exit(2);
  }
  // `--name=value` flags become the starter's options (numbers stay numbers).
  const opts = {};
  for (const arg of argv.slice(1)) {
    const m = /^--([A-Za-z]+)=(.*)$/.exec(arg);
    if (!m) {
      console.error(`unknown argument ${arg}; flags are --name=value`);
      process.exit(2);
    }
    opts[m[1]] = /^\d+$/.test(m[2]) ? Number(m[2]) : m[2];
  }
  const t0 = Date.now();
  console.error(`starting ${which} (cache ${cacheDir()}) ...`);
  const svc = await starters[which](opts);
  console.error(`${which} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; log ${svc.logFile}; Ctrl-C to stop`);
  console.log(svc.endpoint);
  const shutdown = async () => {
    await svc.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

// Sizes for the README: node -e 'import("./tools/runners/job-services.mjs").then(m=>m.cacheReport())'
export function cacheReport() {
  const dir = cacheDir();
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const f of walk(dir).filter((f) => !f.includes(`${join(dir, "logs")}`))) {
    console.log(`${(statSync(f).size / 1e6).toFixed(1)} MB\t${f}`);
  }
}
