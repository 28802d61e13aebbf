import { format } from "node:util";
import { MetricsEnvironment } from "./environment.js";
import { stepMatches } from "./results.js";

/**
 * The logger of user code: each record names the job, the step whose code is running, the
 * bundle and the worker, so a line from a DoFn says where it came from without the DoFn
 * passing anything. The step and bundle come from the metrics scope the runner enters
 * around every call into a DoFn (MetricsEnvironment): the logger adds no bookkeeping per
 * element, and a level that is off costs one comparison.
 *
 * Records go to stderr, as JSON lines when stderr is no terminal (a log collector reads
 * them) and as readable text when it is; a portable worker sends them to the runner's
 * logging service instead (`setLogOutput`, src/harness).
 *
 * Why not pino: the record has a fixed shape and two destinations, both in-process; pino's
 * strengths (transports on worker threads, very high throughput) would add a dozen packages
 * for what these ~150 lines do.
 */

/** Levels, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One record. `fields` are the caller's own (`logger.info("skipped", { reason })`). */
export interface LogRecord {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly level: LogLevel;
  readonly msg: string;
  readonly job?: string;
  /** The full label of the step whose code logged. */
  readonly step?: string;
  /** The bundle, as the runner numbers it. */
  readonly bundle?: string;
  /** The executor: 0 for the job's own thread, then worker threads by index. */
  readonly worker?: number;
  readonly fields?: Readonly<Record<string, unknown>>;
  /** An error's stack, when the record carries one. */
  readonly error?: string;
}

/** Where records go. */
export type LogOutput = (record: LogRecord) => void;

/** What a job sets for its records: names and levels (`--logLevel`, `--logLevels`). */
export interface LogSettings {
  readonly job?: string;
  readonly worker?: number;
  /** The level of steps `levels` does not name; `info` by default. */
  readonly level?: LogLevel;
  /** Per step (Beam's sub-path match, as metric queries use: `Parse` matches `Outer/Parse`). */
  readonly levels?: Readonly<Record<string, LogLevel>>;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

let settings: LogSettings = {};
/** The level per step label, cached: a step's level is looked up once per job, not per record. */
let levelCache = new Map<string, number>();
let output: LogOutput = (record) => process.stderr.write(process.stderr.isTTY ? textLine(record) : jsonLine(record));

/**
 * Sets the job's names and levels for the records logged from now on. Settings are
 * per process (per worker thread): two jobs run at once in one process share the last.
 */
export function configureLogs(next: LogSettings): void {
  settings = next;
  levelCache = new Map();
}

/** Sends records to `out` instead; returns how to restore the previous output. */
export function setLogOutput(out: LogOutput): () => void {
  const previous = output;
  output = out;
  return () => (output = previous);
}

function threshold(step: string | undefined): number {
  const key = step ?? "";
  let rank = levelCache.get(key);
  if (rank === undefined) {
    let best: [string, LogLevel] | undefined;
    for (const entry of Object.entries(settings.levels ?? {})) {
      if (step !== undefined && stepMatches(step, entry[0]) && (best === undefined || entry[0].length > best[0].length)) best = entry;
    }
    rank = RANK[best?.[1] ?? settings.level ?? "info"];
    levelCache.set(key, rank);
  }
  return rank;
}

function log(level: LogLevel, msg: string, fieldsOrError?: Readonly<Record<string, unknown>> | Error, error?: unknown): void {
  const container = MetricsEnvironment.current();
  const step = container?.step !== undefined && container.step !== "" ? container.step : undefined;
  if (RANK[level] < threshold(step)) return;
  const fields = fieldsOrError instanceof Error ? undefined : fieldsOrError;
  const err = fieldsOrError instanceof Error ? fieldsOrError : error;
  const record: LogRecord = {
    time: Date.now(),
    level,
    msg,
    ...(settings.job !== undefined ? { job: settings.job } : {}),
    ...(step !== undefined ? { step } : {}),
    ...(container?.bundle !== undefined ? { bundle: container.bundle } : {}),
    ...(settings.worker !== undefined ? { worker: settings.worker } : {}),
    ...(fields !== undefined && Object.keys(fields).length > 0 ? { fields } : {}),
    ...(err !== undefined ? { error: err instanceof Error ? (err.stack ?? err.message) : String(err) } : {}),
  };
  output(record);
}

/** A logging method: a message, then optional fields of your own or an error (or both). */
export type LogMethod = (msg: string, fieldsOrError?: Readonly<Record<string, unknown>> | Error, error?: unknown) => void;

/**
 * The logger for pipeline code. Records carry job, step, bundle and worker.
 *
 * @example
 * import { logger, parDo } from "beam-ts";
 * const parse = parDo<string, number>({
 *   process(line, ctx) {
 *     const n = Number(line);
 *     if (Number.isNaN(n)) logger.warn("skipped a line that is no number", { length: line.length });
 *     else ctx.output(n);
 *   },
 * });
 */
export const logger: { readonly debug: LogMethod; readonly info: LogMethod; readonly warn: LogMethod; readonly error: LogMethod } = {
  debug: (msg, f, e) => log("debug", msg, f, e),
  info: (msg, f, e) => log("info", msg, f, e),
  warn: (msg, f, e) => log("warn", msg, f, e),
  error: (msg, f, e) => log("error", msg, f, e),
};

/** A record as one JSON line: `time` as ISO text, fields next to the record's own keys. */
export function jsonLine(r: LogRecord): string {
  const { fields, time, ...own } = r;
  return `${JSON.stringify({ time: new Date(time).toISOString(), ...own, ...fields })}\n`;
}

/** A record as a line for people: `12:00:01.250 WARN  [job Parse #3 w1] message key=value`. */
export function textLine(r: LogRecord): string {
  const where = [r.job, r.step, r.bundle !== undefined ? `#${r.bundle}` : undefined, r.worker !== undefined ? `w${r.worker}` : undefined].filter((x) => x !== undefined);
  const extra = Object.entries(r.fields ?? {}).map(([k, v]) => ` ${k}=${typeof v === "string" ? v : format("%j", v)}`);
  const time = new Date(r.time).toISOString().slice(11, 23);
  return `${time} ${r.level.toUpperCase().padEnd(5)} ${where.length > 0 ? `[${where.join(" ")}] ` : ""}${r.msg}${extra.join("")}${r.error !== undefined ? `\n${r.error}` : ""}\n`;
}

/**
 * `--logLevels` text (`Parse=debug,Write/Insert=warn`) as per-step levels; throws a message
 * naming the bad entry.
 */
export function parseStepLevels(text: string): Record<string, LogLevel> {
  const levels: Record<string, LogLevel> = {};
  for (const entry of text.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const eq = entry.lastIndexOf("=");
    const step = entry.slice(0, eq).trim();
    const level = entry.slice(eq + 1).trim().toLowerCase();
    if (eq <= 0 || step === "" || !isLogLevel(level)) {
      throw new Error(`"${entry}" is not <step>=<level> with a level of ${LOG_LEVELS.join(", ")}`);
    }
    levels[step] = level;
  }
  return levels;
}

/**
 * The settings pipeline options ask for: `--logLevel` and `--logLevels` (already checked
 * where options are parsed), the job's name unless `job` is given, and the worker.
 */
export function logSettingsOf(options: Readonly<Record<string, unknown>>, where: { readonly job?: string; readonly worker?: number } = {}): LogSettings {
  const level = options["logLevel"];
  const levels = options["logLevels"];
  const job = where.job ?? (typeof options["jobName"] === "string" && options["jobName"] !== "" ? options["jobName"] : undefined);
  return {
    ...(job !== undefined ? { job } : {}),
    ...(where.worker !== undefined ? { worker: where.worker } : {}),
    ...(typeof level === "string" && isLogLevel(level) ? { level } : {}),
    ...(typeof levels === "string" && levels !== "" ? { levels: parseStepLevels(levels) } : {}),
  };
}

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
