/**
 * The core of `npm run bench:peers`: runs Nexmark queries on beam-ts's embedded runner and
 * on its peers (a hand-written Node loop, Beam Python on Prism, Beam Java on the
 * DirectRunner and on local Flink) on this machine, in one run, then writes the results as
 * JSON and as a section of bench/RESULTS.md. Every measured run is a child process (or,
 * for Java, whatever tools/peers/java-nexmark.mjs starts) with a timeout; a run that
 * exceeds it is recorded as timed out, a system that cannot run is recorded with its
 * error.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import v8 from "node:v8";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { FinalAverages } from "../nexmark/queries/final-averages.js";
import { QUERIES } from "../nexmark/queries/index.js";
import { HANDWRITTEN_QUERIES } from "./handwritten.js";
import { checkFinalAverages, query6Cell, QUERY6_COUNT_NOTE, type FinalAveragesCheck } from "./query6-check.js";
import { ensureEventsFile, parsePythonPerf, PYTHON_QUERIES, pythonArgs, writePythonDriver } from "./python-prism.js";

/** The systems one can ask for (`--systems`); "beam-ts" brings its 1-thread and multi-threaded variants. */
export const SYSTEM_GROUPS = ["beam-ts", "handwritten", "python-prism", "java-direct", "java-flink"] as const;
export type SystemGroup = (typeof SYSTEM_GROUPS)[number];

/** Threads of the multi-threaded beam-ts variant (`--parallelism`). */
export const BEAM_TS_THREADS = 2;

export const MARKER_START = "<!-- nexmark:start -->";
export const MARKER_END = "<!-- nexmark:end -->";

/** One measured (query, system, size). */
export interface PeerRun {
  readonly query: number;
  readonly system: string;
  readonly numEvents: number;
  readonly eventsPerSec: number | null;
  readonly resultCount: number | null;
  /** Query 6: the final average per seller, summarised (see bench/peers/query6-check.ts). */
  readonly finalAverages?: FinalAverages;
  /** The system's own measure of the run (see the JSON's `measurement`). */
  readonly runtimeSec: number | null;
  /** Wall time of the whole child process (start-up included), when there is one. */
  readonly wallSec?: number;
  readonly timedOut?: boolean;
  readonly error?: string;
  readonly note?: string;
  readonly command?: string;
  /** For a run kept from an earlier invocation: when it was measured. */
  readonly measuredAt?: string;
}

export interface PeersOptions {
  readonly sizes: readonly number[];
  readonly queries: readonly number[];
  readonly systems: readonly SystemGroup[];
  readonly timeoutSec: number;
  readonly numEventGenerators?: number;
  /** Repository root (children run there). */
  readonly root: string;
  readonly jsonPath: string;
  readonly markdownPath: string;
  /** Where the Python events files and driver go. */
  readonly cacheDir: string;
  /** The command line that started the run, for the record. */
  readonly invocation?: string;
  readonly log?: (line: string) => void;
}

export interface PeersResults {
  readonly generatedAt: string;
  readonly machine: Record<string, unknown>;
  readonly versions: Record<string, string | null>;
  readonly config: { sizes: readonly number[]; queries: readonly number[]; systems: readonly string[]; timeoutSec: number; numEventGenerators: number };
  readonly commands: Record<string, string>;
  readonly measurement: Record<string, string>;
  readonly systems: readonly { id: string; label: string }[];
  readonly runs: PeerRun[];
  /** Per (query, size): whether the result counts agree; for query 6 also its final averages. */
  readonly checks: { query: number; numEvents: number; agree: boolean; counts: Record<string, number>; note?: string; finalAverages?: FinalAveragesCheck }[];
  /** Earlier invocations whose cells this run did not measure again (see `keepEarlierRuns`). */
  readonly earlier?: readonly EarlierRun[];
}

/** The cells (system, size, query) kept from one earlier invocation. */
export interface EarlierRun {
  readonly generatedAt: string;
  readonly invocation: string;
  readonly sizes: readonly number[];
  readonly queries: readonly number[];
  readonly systems: readonly string[];
}

interface SystemDef {
  readonly id: string;
  readonly label: string;
  /** Queries it implements; undefined: it reports unsupported ones itself. */
  readonly queries?: readonly number[];
  run(query: number, numEvents: number): Promise<PeerRun>;
}

// ---------------------------------------------------------------------------------------
// Child processes

interface ProcessOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallSec: number;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Runs a command in its own process group; kills the group after `timeoutMs`. */
function runProcess(cmd: string, args: readonly string[], opts: { cwd: string; timeoutMs: number }): Promise<ProcessOutcome> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => liveGroups.forEach(killGroup));
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr = (stderr + s).slice(-20_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, opts.timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      if (pid !== undefined) liveGroups.delete(pid);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) {
        // Whatever the child left behind in its group (e.g. Python's Prism) goes too.
        killGroup(pid);
        liveGroups.delete(pid);
      }
      resolve({ code, signal, stdout, stderr, timedOut, wallSec: (performance.now() - t0) / 1000 });
    });
  });
}

/** The last lines of a child's output, without Beam Python's start-up warning. */
function tail(s: string, lines = 8): string {
  return s
    .trim()
    .split("\n")
    .filter((l) => !l.includes("apitools not found"))
    .slice(-lines)
    .join("\n");
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
const commandLine = (cmd: string, args: readonly string[]) => [cmd, ...args].map(quote).join(" ");

// ---------------------------------------------------------------------------------------
// Systems

const CHILD_PREFIX = "BENCH_PEERS_RESULT ";

/**
 * The Node children's heap limit: the JVM's default maximum heap (a quarter of physical
 * memory), so beam-ts and Beam Java run with the same memory, where Node's own default
 * (about 4 GiB) is lower. A batch query that holds all its state until the end (Q4, Q6, Q9
 * group every bid by merging windows) needs it at 10M events on one thread.
 */
export function nodeHeapArgs(): string[] {
  const quarterMiB = Math.floor(os.totalmem() / 4 / 2 ** 20);
  const defaultMiB = Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  return quarterMiB > defaultMiB ? [`--max-old-space-size=${quarterMiB}`] : [];
}

function nodeChildSystem(root: string, timeoutMs: number, gens: number, id: string, label: string, system: "beam-ts" | "handwritten", queries: readonly number[], extra: string[] = []): SystemDef {
  return {
    id,
    label,
    queries,
    async run(query, numEvents) {
      const args = [...nodeHeapArgs(), "--import", "tsx", "bench/peers/child.ts", `--system=${system}`, `--query=${query}`, `--numEvents=${numEvents}`, `--numEventGenerators=${gens}`, ...extra];
      const command = commandLine("node", args);
      const base = { query, system: id, numEvents, command };
      const out = await runProcess(process.execPath, args, { cwd: root, timeoutMs });
      if (out.timedOut) return { ...base, eventsPerSec: null, resultCount: null, runtimeSec: null, wallSec: out.wallSec, timedOut: true };
      const line = out.stdout.split("\n").find((l) => l.startsWith(CHILD_PREFIX));
      if (out.code !== 0 || line === undefined) {
        return { ...base, eventsPerSec: null, resultCount: null, runtimeSec: null, wallSec: out.wallSec, error: `exit ${out.code ?? out.signal}: ${tail(out.stderr || out.stdout)}` };
      }
      const r = JSON.parse(line.slice(CHILD_PREFIX.length)) as { seconds: number; eventsPerSec: number; resultCount: number; threadStartupSec?: number; finalAverages?: FinalAverages };
      const startup = r.threadStartupSec === undefined ? {} : { note: `the worker thread was ready after ${r.threadStartupSec.toFixed(1)} s (pipeline module re-imported; the main thread's executor ran meanwhile)` };
      const finalAverages = r.finalAverages === undefined ? {} : { finalAverages: r.finalAverages };
      return { ...base, eventsPerSec: r.eventsPerSec, resultCount: r.resultCount, ...finalAverages, runtimeSec: r.seconds, wallSec: out.wallSec, ...startup };
    },
  };
}

interface PythonSetup {
  python: string;
  prism: string;
  driver: string;
  version: string;
  prismVersion: string;
}

function pythonSystem(o: PeersOptions, timeoutMs: number, gens: number, versions: Record<string, string | null>): SystemDef {
  let setup: Promise<PythonSetup> | undefined;
  const prepare = async (): Promise<PythonSetup> => {
    const py = (await import("../../tools/runners/python-beam.mjs")) as typeof import("../../tools/runners/python-beam.mjs");
    const js = (await import("../../tools/runners/job-services.mjs")) as typeof import("../../tools/runners/job-services.mjs");
    const python = await py.ensurePythonBeam();
    const prism = await js.ensurePrism();
    const version = execFileSync(python, ["-c", "import apache_beam; print(apache_beam.__version__)"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return { python, prism, driver: writePythonDriver(o.cacheDir), version, prismVersion: js.PRISM_VERSION };
  };
  return {
    id: "python-prism",
    label: "Beam Python on Prism",
    queries: PYTHON_QUERIES,
    async run(query, numEvents) {
      const base = { query, system: "python-prism", numEvents };
      let s: PythonSetup;
      let input: string;
      try {
        s = await (setup ??= prepare());
        versions["beamPython"] = s.version;
        versions["prism"] = s.prismVersion;
        input = await ensureEventsFile(o.cacheDir, numEvents, gens);
      } catch (err) {
        return { ...base, eventsPerSec: null, resultCount: null, runtimeSec: null, error: `not run: ${err instanceof Error ? err.message : String(err)}` };
      }
      const args = pythonArgs(s.driver, { query, numEvents, input, prism: s.prism });
      const command = commandLine(s.python, args);
      const out = await runProcess(s.python, args, { cwd: o.root, timeoutMs });
      if (out.timedOut) return { ...base, command, eventsPerSec: null, resultCount: null, runtimeSec: null, wallSec: out.wallSec, timedOut: true };
      const perf = parsePythonPerf(out.stdout);
      if (out.code !== 0 || perf === undefined) {
        return { ...base, command, eventsPerSec: null, resultCount: null, runtimeSec: null, wallSec: out.wallSec, error: `exit ${out.code ?? out.signal}: ${tail(out.stderr || out.stdout)}` };
      }
      if (perf.eventCount !== numEvents) {
        return { ...base, command, eventsPerSec: null, resultCount: null, runtimeSec: perf.runtimeSec, wallSec: out.wallSec, error: `the launcher counted ${perf.eventCount} events, not ${numEvents}` };
      }
      // The launcher reports -1 when its result counter was never incremented: no results.
      const noResults = perf.resultCount < 0;
      return {
        ...base,
        command,
        eventsPerSec: perf.eventsPerSec,
        resultCount: noResults ? 0 : perf.resultCount,
        runtimeSec: perf.runtimeSec,
        wallSec: out.wallSec,
        ...(noResults ? { note: "result counter absent (no results): counted as 0" } : {}),
      };
    },
  };
}

/** What tools/peers/java-nexmark.mjs exports (written separately; may be missing). */
type RunJavaNexmark = (opts: {
  runner: "direct" | "flink";
  query: number;
  numEvents: number;
  numEventGenerators: number;
  timeoutMs: number;
  parallelism?: number;
}) => Promise<{
  query: number;
  system: string;
  numEvents: number;
  eventsPerSec: number;
  resultCount: number;
  runtimeSec: number;
  version?: string;
  command?: string;
  /** Flink: the job's own runtime, without the local cluster's start-up. */
  jobRuntimeSec?: number;
  /** Query 6: its final averages (FinalAverages.java). */
  finalAverages?: FinalAverages;
}>;

export const JAVA_MODULE = "tools/peers/java-nexmark.mjs";
/** The queries tools/peers/java-nexmark ports (its Queries.java; 3 in its batch form). */
export const JAVA_QUERIES: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
/** Parallelism of the local Flink cluster (java-nexmark's default, made explicit). */
export const FLINK_PARALLELISM = 2;

function javaSystem(o: PeersOptions, timeoutMs: number, gens: number, runner: "direct" | "flink", versions: Record<string, string | null>): SystemDef {
  const id = `java-${runner}`;
  return {
    id,
    label: runner === "direct" ? "Beam Java DirectRunner" : `Beam Java on local Flink (parallelism ${FLINK_PARALLELISM})`,
    queries: JAVA_QUERIES,
    async run(query, numEvents) {
      const opts = { runner, query, numEvents, numEventGenerators: gens, timeoutMs, ...(runner === "flink" ? { parallelism: FLINK_PARALLELISM } : {}) };
      const base = { query, system: id, numEvents, command: `runJavaNexmark(${JSON.stringify(opts)}) from ${JAVA_MODULE}` };
      const t0 = performance.now();
      try {
        const file = path.join(o.root, JAVA_MODULE);
        if (!existsSync(file)) throw new Error(`not run: ${JAVA_MODULE} does not exist`);
        const mod = (await import(pathToFileURL(file).href)) as { runJavaNexmark?: RunJavaNexmark };
        if (typeof mod.runJavaNexmark !== "function") throw new Error(`not run: ${JAVA_MODULE} exports no runJavaNexmark`);
        let timer: NodeJS.Timeout | undefined;
        const guard = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), timeoutMs + 120_000)));
        const r = await Promise.race([mod.runJavaNexmark(opts), guard]).finally(() => clearTimeout(timer));
        const wallSec = (performance.now() - t0) / 1000;
        if (r === "timeout") return { ...base, eventsPerSec: null, resultCount: null, runtimeSec: null, wallSec, timedOut: true };
        if (r.version !== undefined) versions["beamJava"] = r.version;
        const job = r.jobRuntimeSec;
        const note = typeof job === "number" && job > 0 ? `Flink's job alone (local cluster start-up excluded): ${job} s, ${fmtInt(numEvents / job)} events/s` : undefined;
        return {
          ...base,
          ...(r.command !== undefined ? { command: r.command } : {}),
          eventsPerSec: r.eventsPerSec,
          resultCount: r.resultCount,
          ...(r.finalAverages !== undefined ? { finalAverages: r.finalAverages } : {}),
          runtimeSec: r.runtimeSec,
          wallSec,
          ...(note !== undefined ? { note } : {}),
        };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const wallSec = (performance.now() - t0) / 1000;
        const timedOut = /timed? ?out/i.test(message);
        return { ...base, eventsPerSec: null, resultCount: null, runtimeSec: null, wallSec, ...(timedOut ? { timedOut: true } : {}), error: message.slice(0, 2000) };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// The run

function gitCommit(root: string): string | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return null;
  }
}

async function runnerVersions(): Promise<{ java: string | null; flink: string | null; prism: string | null; python: string | null }> {
  try {
    const js = (await import("../../tools/runners/job-services.mjs")) as typeof import("../../tools/runners/job-services.mjs");
    const py = (await import("../../tools/runners/python-beam.mjs")) as typeof import("../../tools/runners/python-beam.mjs");
    return { java: js.JAVA_SDK_VERSION, flink: js.FLINK_VERSION, prism: js.PRISM_VERSION, python: py.PYTHON_BEAM_VERSION };
  } catch {
    return { java: null, flink: null, prism: null, python: null };
  }
}

/** Runs the benchmark and writes `jsonPath` and the Nexmark section of `markdownPath`. */
export async function runPeers(o: PeersOptions): Promise<PeersResults> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const gens = o.numEventGenerators ?? 100;
  const timeoutMs = o.timeoutSec * 1000;
  const rv = await runnerVersions();
  // The Java peer pins its own Beam and Flink versions in its pom.
  const pom = path.join(o.root, "tools", "peers", "java-nexmark", "pom.xml");
  if (existsSync(pom)) {
    const text = readFileSync(pom, "utf8");
    rv.java = /<beam\.version>([^<]+)</.exec(text)?.[1] ?? rv.java;
    rv.flink = /<flink\.version>([^<]+)</.exec(text)?.[1] ?? rv.flink;
  }
  const versions: Record<string, string | null> = {
    beamTs: gitCommit(o.root),
    beamPython: o.systems.includes("python-prism") ? rv.python : null,
    beamJava: o.systems.some((s) => s.startsWith("java-")) ? rv.java : null,
    prism: o.systems.includes("python-prism") ? rv.prism : null,
    flink: o.systems.includes("java-flink") ? rv.flink : null,
  };
  const beamTsQueries = Object.keys(QUERIES).map(Number);
  const systems: SystemDef[] = [];
  for (const g of SYSTEM_GROUPS) {
    if (!o.systems.includes(g)) continue;
    if (g === "beam-ts") {
      systems.push(nodeChildSystem(o.root, timeoutMs, gens, "beam-ts", "beam-ts embedded, 1 thread", "beam-ts", beamTsQueries));
      systems.push(
        nodeChildSystem(o.root, timeoutMs, gens, `beam-ts-${BEAM_TS_THREADS}threads`, `beam-ts embedded, ${BEAM_TS_THREADS} threads`, "beam-ts", beamTsQueries, [
          `--parallelism=${BEAM_TS_THREADS}`,
        ]),
      );
    } else if (g === "handwritten") {
      systems.push(nodeChildSystem(o.root, timeoutMs, gens, "handwritten", "hand-written Node", "handwritten", HANDWRITTEN_QUERIES));
    } else if (g === "python-prism") {
      systems.push(pythonSystem(o, timeoutMs, gens, versions));
    } else {
      systems.push(javaSystem(o, timeoutMs, gens, g === "java-direct" ? "direct" : "flink", versions));
    }
  }

  const runs: PeerRun[] = [];
  for (const numEvents of o.sizes) {
    for (const query of o.queries) {
      for (const s of systems) {
        let run: PeerRun;
        if (s.queries !== undefined && !s.queries.includes(query)) {
          run = { query, system: s.id, numEvents, eventsPerSec: null, resultCount: null, runtimeSec: null, error: `query ${query} is not implemented by ${s.label}` };
        } else {
          log(`bench:peers: ${s.label}, query ${query}, ${numEvents.toLocaleString("en-US")} events ...`);
          run = await s.run(query, numEvents);
        }
        runs.push(run);
        log(`  ${describe(run, o.timeoutSec)}`);
      }
    }
  }

  const fresh: PeersResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      cpuCount: os.cpus().length,
      memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      loadAverage1mAtEnd: Number(os.loadavg()[0]!.toFixed(2)),
    },
    versions,
    config: { sizes: o.sizes, queries: o.queries, systems: systems.map((s) => s.id), timeoutSec: o.timeoutSec, numEventGenerators: gens },
    commands: {
      invocation: o.invocation ?? "npm run bench:peers",
      "beam-ts": "node [--max-old-space-size=<a quarter of RAM, the JVM's default max heap>] --import tsx bench/peers/child.ts --system=beam-ts --query=<q> --numEvents=<n> --numEventGenerators=<g> [--parallelism=<p>]",
      handwritten: "node [--max-old-space-size=<a quarter of RAM>] --import tsx bench/peers/child.ts --system=handwritten --query=<q> --numEvents=<n> --numEventGenerators=<g>",
      "python-prism":
        "<venv>/bin/python <cache>/nexmark_driver.py --query=<q> --num_events=<n> --input=<cache>/nexmark-events-<n>-g<g>.jsonl --runner=PrismRunner --prism_location=<prism> --environment_type=LOOPBACK",
      java: `runJavaNexmark({runner, query, numEvents, numEventGenerators, timeoutMs}) from ${JAVA_MODULE}`,
    },
    measurement: {
      "beam-ts":
        "runtimeSec: Pipeline.run() to waitUntilFinish() in a fresh Node process; includes generating the events (the Nexmark source), excludes process start-up. The process's heap limit is the JVM's default maximum heap (a quarter of RAM) when that is above Node's default",
      handwritten: "runtimeSec: the loop, including generating the events, in a fresh Node process",
      "python-prism":
        "runtimeSec: Beam Python's Nexmark launcher's own measure (first to last bundle of its event/result monitor DoFns), which includes reading and parsing the JSON events file but not Python start-up, Prism start-up or job submission; wallSec is the whole process",
      java:
        "runtimeSec as tools/peers/java-nexmark.mjs reports it: pipeline.run() to the end of waitUntilFinish() (JVM start-up and pipeline construction excluded, Flink's local cluster start-up included). The queries are tools/peers/java-nexmark, a port of bench/nexmark's queries and generator to the Beam Java SDK, not Beam's own Nexmark suite (not on the reachable Maven registry)",
      eventsPerSec: "numEvents / runtimeSec",
    },
    systems: systems.map((s) => ({ id: s.id, label: s.label })),
    runs,
    checks: crossCheck(runs, o.sizes, o.queries),
  };
  const results = keepEarlierRuns(fresh, o.jsonPath);
  mkdirSync(path.dirname(o.jsonPath), { recursive: true });
  writeFileSync(o.jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeMarkdownSection(o.markdownPath, markdown(results));
  return results;
}

function describe(r: PeerRun, timeoutSec: number): string {
  if (r.timedOut === true) return `${r.system}: timed out (> ${timeoutSec} s)`;
  if (r.error !== undefined) return `${r.system}: ${r.error.split("\n")[0]}`;
  return `${r.system}: ${Math.round(r.eventsPerSec ?? 0).toLocaleString("en-US")} events/s, ${r.resultCount} results, ${r.runtimeSec?.toFixed(2)} s`;
}

/**
 * Adds the runs of the results file at `jsonPath` for the cells (system, size, query) that
 * `fresh` did not measure, so slow peers need not run again when beam-ts does, and 1M and
 * 10M can be measured in separate invocations (10M with every peer takes hours). Each kept
 * run remembers when it was measured; `earlier` lists the invocations the table still uses.
 */
function keepEarlierRuns(fresh: PeersResults, jsonPath: string): PeersResults {
  let old: PeersResults;
  try {
    old = JSON.parse(readFileSync(jsonPath, "utf8")) as PeersResults;
  } catch {
    return fresh;
  }
  if (!Array.isArray(old.runs)) return fresh;
  const cell = (r: PeerRun) => `${r.system}|${r.numEvents}|${r.query}`;
  const measured = new Set(fresh.runs.map(cell));
  const invocationOf = new Map<string, string>((old.earlier ?? []).map((e) => [e.generatedAt, e.invocation]));
  invocationOf.set(old.generatedAt, old.commands["invocation"] ?? "npm run bench:peers");
  // Files written before runs carried `measuredAt` name the invocation of each earlier size.
  const legacyMeasuredAt = (r: PeerRun) => (old.earlier ?? []).find((e) => e.sizes.includes(r.numEvents) && e.queries === undefined)?.generatedAt;
  const kept = old.runs.filter((r) => !measured.has(cell(r))).map((r) => ({ ...r, measuredAt: r.measuredAt ?? legacyMeasuredAt(r) ?? old.generatedAt }));
  if (kept.length === 0) return fresh;
  const runs = [...kept, ...fresh.runs];
  const sizes = [...new Set(runs.map((r) => r.numEvents))].sort((a, b) => a - b);
  const queries = [...new Set([...old.config.queries, ...fresh.config.queries])].sort((a, b) => a - b);
  // Columns in the usual order, whichever invocation measured them.
  const rank = (id: string) => SYSTEM_GROUPS.findIndex((g) => id === g || id.startsWith(`${g}-`));
  const systems = [...fresh.systems, ...old.systems.filter((s) => !fresh.systems.some((f) => f.id === s.id) && kept.some((r) => r.system === s.id))].sort(
    (a, b) => rank(a.id) - rank(b.id),
  );
  const uniq = <T,>(xs: readonly T[]) => [...new Set(xs)];
  const earlier: EarlierRun[] = uniq(kept.map((r) => r.measuredAt)).map((at) => {
    const mine = kept.filter((r) => r.measuredAt === at);
    return {
      generatedAt: at,
      invocation: invocationOf.get(at) ?? "npm run bench:peers",
      sizes: uniq(mine.map((r) => r.numEvents)).sort((a, b) => a - b),
      queries: uniq(mine.map((r) => r.query)).sort((a, b) => a - b),
      systems: uniq(mine.map((r) => r.system)),
    };
  });
  // Versions of systems that ran only in the earlier run (null in this one) stay known.
  const versions = { ...old.versions, ...Object.fromEntries(Object.entries(fresh.versions).filter(([, v]) => v !== null)) };
  return {
    ...fresh,
    versions,
    config: { ...fresh.config, sizes, queries, systems: systems.map((s) => s.id) },
    systems,
    runs,
    checks: crossCheck(runs, sizes, queries),
    earlier,
  };
}

function crossCheck(runs: readonly PeerRun[], sizes: readonly number[], queries: readonly number[]): PeersResults["checks"] {
  const checks: PeersResults["checks"] = [];
  for (const numEvents of sizes) {
    for (const query of queries) {
      const counts: Record<string, number> = {};
      const cellRuns = runs.filter((r) => r.query === query && r.numEvents === numEvents);
      for (const r of cellRuns) {
        if (r.resultCount !== null && r.timedOut !== true && r.error === undefined) counts[r.system] = r.resultCount;
      }
      const agree = new Set(Object.values(counts)).size <= 1;
      const finalAverages = query === 6 ? checkFinalAverages(cellRuns, Object.keys(counts)) : undefined;
      const note = agree
        ? undefined
        : query === 6
          ? QUERY6_COUNT_NOTE
          : counts["python-prism"] !== undefined && query >= 3
            ? "Beam Python's Nexmark queries beyond 2 are not Beam Java's (e.g. windowing and join details differ): a different count is expected"
            : undefined;
      checks.push({ query, numEvents, agree, counts, ...(note !== undefined ? { note } : {}), ...(finalAverages !== undefined ? { finalAverages } : {}) });
    }
  }
  return checks;
}

// ---------------------------------------------------------------------------------------
// Markdown

const RATIO_PEERS = ["java-direct", "java-flink", "python-prism", "handwritten"] as const;

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

/** The Nexmark section of RESULTS.md (with its markers). */
export function markdown(r: PeersResults): string {
  const m = r.machine;
  const ids = r.systems.map((s) => s.id);
  const ratioPeers = RATIO_PEERS.filter((p) => ids.includes(p) && ids.includes("beam-ts"));
  const footnotes: string[] = [];
  const footnote = (text: string) => {
    let i = footnotes.indexOf(text);
    if (i < 0) i = footnotes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const cell = (run: PeerRun | undefined): string => {
    if (run === undefined) return "—";
    if (run.timedOut === true) return `> ${r.config.timeoutSec} s`;
    if (run.error !== undefined) {
      if (run.error.startsWith(`query ${run.query} is not implemented`)) return "n/a";
      const lines = run.error.split("\n").filter((l) => l.trim() !== "");
      // The line that says why: a gRPC error's details, else the last line that is not a log line.
      const details = lines.findIndex((l) => /details = "/.test(l));
      const why =
        details >= 0
          ? lines.slice(details, details + 2).join(" ") // gRPC details often continue on the next line
          : ([...lines].reverse().find((l) => !/^\s*(WARNING|INFO|DEBUG)\b/.test(l)) ?? "");
      const summary = lines.length > 1 ? `${lines[0]!.split(":")[0]}: … ${why.trim()}` : (lines[0] ?? "");
      return `${run.error.startsWith("not run") ? "not run" : "failed"} ${footnote(`${run.system}: ${summary.slice(0, 300)}`)}`;
    }
    const value = fmtInt(run.eventsPerSec ?? 0);
    return run.note !== undefined ? `${value} ${footnote(`${run.system}, Q${run.query}, ${fmtInt(run.numEvents)} events: ${run.note}`)}` : value;
  };
  const lines: string[] = [
    MARKER_START,
    "## Nexmark: beam-ts and its peers",
    "",
    `Written by \`npm run bench:peers\` (bench/peers/) on ${r.generatedAt.slice(0, 10)}; the data is in bench/nexmark-results.json.`,
    `Machine: ${m["cpuCount"]} × ${m["cpuModel"]}, ${m["memoryGiB"]} GiB, ${m["os"]}, Node ${m["node"]} (1-minute load at the end: ${m["loadAverage1mAtEnd"]}).`,
    `Versions: beam-ts ${r.versions["beamTs"] ?? "?"}` +
      (r.versions["beamPython"] ? `; Beam Python ${r.versions["beamPython"]}` : "") +
      (r.versions["prism"] ? `; Prism ${r.versions["prism"]}` : "") +
      (r.versions["beamJava"] ? `; Beam Java ${r.versions["beamJava"]}` : "") +
      (r.versions["flink"] ? `; Flink ${r.versions["flink"]}` : "") +
      ".",
    ...(r.earlier ?? []).map(
      (e) =>
        `From the run of ${e.generatedAt.slice(0, 16).replace("T", " ")} UTC (\`${e.invocation}\`): ` +
        // Files written before cells were kept one by one list sizes only.
        (e.systems === undefined ? `sizes ${e.sizes.map(fmtInt).join(", ")} events.` : `${e.systems.join(", ")} at ${e.sizes.map(fmtInt).join(", ")} events, queries ${e.queries.join(", ")}.`),
    ),
    `Command: \`${r.commands["invocation"]}\`. Batch, ${r.config.numEventGenerators} event generators, one run per cell, each in a fresh process; timeout ${r.config.timeoutSec} s per run.`,
    "",
    "Events/s = events / the system's own runtime: beam-ts and the hand-written loop from run start to finish, event generation included; " +
      "Beam Python from the first to the last bundle of its monitor DoFns (reading and parsing its JSON events file included; Python and Prism start-up excluded — see `wallSec` in the JSON); " +
      "Beam Java from pipeline.run() to the end of waitUntilFinish() (JVM start-up excluded, Flink's local cluster start-up included). " +
      `Ratios are beam-ts (1 thread) events/s over the peer's, except the last: beam-ts on ${BEAM_TS_THREADS} threads over Beam on Flink with parallelism 2 (both use two cores).`,
    ...(r.systems.some((s) => s.id.startsWith("java-"))
      ? [
          "",
          "The Beam Java columns run tools/peers/java-nexmark: our port of these Nexmark queries and of the generator to the Beam Java SDK (the same events), " +
            "not Beam's own Nexmark suite, which the Maven registry reachable here does not serve.",
        ]
      : []),
    "",
  ];
  for (const numEvents of r.config.sizes) {
    lines.push(`### ${fmtInt(numEvents)} events`, "");
    const threads = `beam-ts-${BEAM_TS_THREADS}threads`;
    const threadRatio = ids.includes(threads) && ids.includes("beam-ts");
    // Flink runs with parallelism 2: beam-ts on as many threads is the like-for-like ratio.
    const threadsVsFlink = ids.includes(threads) && ids.includes("java-flink");
    const header = [
      "query",
      ...r.systems.map((s) => s.label),
      ...(threadRatio ? [`beam-ts ${BEAM_TS_THREADS} threads / 1 thread`] : []),
      ...ratioPeers.map((p) => `beam-ts / ${p}`),
      ...(threadsVsFlink ? [`beam-ts ${BEAM_TS_THREADS} threads / java-flink`] : []),
      "result counts",
    ];
    lines.push(`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 || i === header.length - 1 ? "---" : "---:")).join("|")}|`);
    // Only the queries measured at this size (sizes may come from runs of other queries).
    for (const query of r.config.queries.filter((q) => r.runs.some((x) => x.query === q && x.numEvents === numEvents))) {
      const find = (id: string) => r.runs.find((x) => x.query === query && x.numEvents === numEvents && x.system === id);
      const beam = find("beam-ts");
      const ratios = ratioPeers.map((p) => {
        const peer = find(p);
        const b = beam?.eventsPerSec ?? null;
        if (b === null || peer === undefined) return "—";
        if (peer.timedOut === true) return `> ${(b / (numEvents / r.config.timeoutSec)).toFixed(2)}`;
        return peer.eventsPerSec ? (b / peer.eventsPerSec).toFixed(2) : "—";
      });
      const check = r.checks.find((c) => c.query === query && c.numEvents === numEvents);
      let counts = "—";
      if (check?.finalAverages !== undefined) {
        // Query 6: its pane count depends on the runner; its final averages do not.
        counts = query6Cell(check.finalAverages, check.counts, fmtInt, footnote);
      } else if (check !== undefined && Object.keys(check.counts).length > 0) {
        const values = Object.values(check.counts);
        counts = check.agree
          ? `${fmtInt(values[0]!)} (${values.length === 1 ? "one system" : "all agree"})`
          : `**MISMATCH**: ${Object.entries(check.counts)
              .map(([s, c]) => `${s} ${fmtInt(c)}`)
              .join(", ")}${check.note !== undefined ? ` ${footnote(check.note)}` : ""}`;
      }
      const b1 = beam?.eventsPerSec;
      const bN = find(threads)?.eventsPerSec;
      const scaling = threadRatio ? [b1 && bN ? (bN / b1).toFixed(2) : "—"] : [];
      const flink = find("java-flink")?.eventsPerSec;
      const vsFlink = threadsVsFlink ? [bN && flink ? (bN / flink).toFixed(2) : "—"] : [];
      lines.push(`| ${[`Q${query}`, ...r.systems.map((s) => cell(find(s.id))), ...scaling, ...ratios, ...vsFlink, counts].join(" | ")} |`);
    }
    lines.push("");
  }
  // Query 6 is compared by its final averages where they were recorded (its counts differ by design).
  const compared = (c: PeersResults["checks"][number]) => (c.finalAverages !== undefined ? c.finalAverages.agree : c.agree);
  const cells = (cs: readonly PeersResults["checks"][number][]) => cs.map((c) => `Q${c.query} at ${fmtInt(c.numEvents)}`).join(", ");
  const mismatches = r.checks.filter((c) => !compared(c));
  const byAverages = r.checks.filter((c) => c.finalAverages !== undefined && c.finalAverages.agree && !c.agree);
  lines.push(
    (mismatches.length === 0
      ? "Results: every system that finished a query produced the same results as the others"
      : `Results differ for ${cells(mismatches)} (see the table)`) +
      (byAverages.length === 0 ? "." : `; ${cells(byAverages)} compared by the final average per seller (all agree), since their pane counts differ by design (see the footnote).`),
  );
  if (footnotes.length > 0) lines.push("", ...footnotes.map((f, i) => `${i + 1}. ${f.replace(/\|/g, "\\|")}`));
  lines.push(MARKER_END);
  return lines.join("\n");
}

/** Replaces the section between the markers in `file` (or appends it); the rest of the file stays. */
export function writeMarkdownSection(file: string, section: string): void {
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  const start = old.indexOf(MARKER_START);
  const end = old.indexOf(MARKER_END);
  let next: string;
  if (start >= 0 && end > start) next = old.slice(0, start) + section + old.slice(end + MARKER_END.length);
  else next = `${old}${old === "" || old.endsWith("\n\n") ? "" : old.endsWith("\n") ? "\n" : "\n\n"}${section}\n`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, next);
}
