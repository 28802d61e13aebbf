import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";
import { Metadata, credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import { MetricsEnvironment, setLogOutput, type LogLevel } from "../metrics/index.js";
import {
  BeamFnLoggingClient,
  LogEntry_Severity_Enum,
  type LogControl,
  type LogEntry,
  type LogEntry_List,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";

/**
 * Worker logs (Beam's BeamFnLogging): records with a severity, the instruction (bundle)
 * and transform they came from, sent to the runner's logging service, which shows them
 * with the job (Prism prints them; Java runners log them).
 *
 * - `workerLog` is the logger the harness and boot use. Records go to the sinks installed
 *   with `addLogSink` (none in a LOOPBACK submitter, whose errors reach the job result;
 *   `stderrSink` where there is no logging service).
 * - `LoggingClient` is such a sink: it batches records onto one Logging stream.
 * - `captureConsole` (worker processes only: the submitter's console is the user's) turns
 *   `console.*` calls into records.
 * - The instruction comes from `withInstruction` (the harness wraps each bundle in it,
 *   across awaits); the transform is the step whose DoFn is running (the metrics scope),
 *   as the descriptor's transform id.
 */

/** Beam's LogEntry severities. */
export type Severity = "TRACE" | "DEBUG" | "INFO" | "NOTICE" | "WARN" | "ERROR" | "CRITICAL";

/** One log record of a worker. */
export interface LogRecord {
  readonly severity: Severity;
  readonly message: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly instructionId: string;
  readonly transformId: string;
  /** An error's stack, if the record carries one. */
  readonly trace: string;
}

/** Where records go. */
export type LogSink = (record: LogRecord) => void;

interface InstructionScope {
  readonly instructionId: string;
  /** The transform id of a running step's name (see monitoring-infos.ts transformIdsOf). */
  readonly transformIdOf: (step: string) => string;
}

const instructionScope = new AsyncLocalStorage<InstructionScope>();
const sinks = new Set<LogSink>();

/** Runs `fn` (a bundle) with `instructionId` as the instruction of the records it logs. */
export function withInstruction<T>(instructionId: string, transformIdOf: (step: string) => string, fn: () => T): T {
  return instructionScope.run({ instructionId, transformIdOf }, fn);
}

/** Sends records to `sink` too; returns how to stop. */
export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

function emit(severity: Severity, message: string, error?: unknown, trace?: string): void {
  const scope = instructionScope.getStore();
  const step = MetricsEnvironment.current()?.step;
  const record: LogRecord = {
    severity,
    message,
    timestamp: Date.now(),
    instructionId: scope?.instructionId ?? "",
    transformId: scope !== undefined && step !== undefined ? scope.transformIdOf(step) : "",
    trace: trace ?? (error instanceof Error ? (error.stack ?? "") : ""),
  };
  for (const sink of sinks) sink(record);
}

const LEVEL_SEVERITY: Record<LogLevel, Severity> = { debug: "DEBUG", info: "INFO", warn: "WARN", error: "ERROR" };

/**
 * Sends user code's `logger` records (src/metrics/logger.ts) to this worker's sinks, the
 * runner's logging service, as Beam LogEntries: the instruction and transform are added as
 * for every worker record, the caller's fields follow the message as JSON. Returns how to
 * restore the logger's own output.
 */
export function routeUserLogs(): () => void {
  return setLogOutput((r) => emit(LEVEL_SEVERITY[r.level], r.fields !== undefined ? `${r.msg} ${JSON.stringify(r.fields)}` : r.msg, undefined, r.error));
}

/**
 * The logger of the harness and boot. Messages name what happened and where; ids of the
 * instruction and transform are added from the running bundle.
 *
 * @example
 * workerLog.error(`Bundle ${id} failed`, err);
 */
export const workerLog = {
  debug: (message: string) => emit("DEBUG", message),
  info: (message: string) => emit("INFO", message),
  warn: (message: string, error?: unknown) => emit("WARN", message, error),
  error: (message: string, error?: unknown) => emit("ERROR", message, error),
  log: (severity: Severity, message: string, error?: unknown) => emit(severity, message, error),
};

/** Writes records to stderr, one line each ("ERROR [bundle 3, t4] message"). */
export const stderrSink: LogSink = (r) => {
  const where = [r.instructionId && `bundle ${r.instructionId}`, r.transformId].filter(Boolean).join(", ");
  process.stderr.write(`${r.severity}${where ? ` [${where}]` : ""} ${r.message}${r.trace ? `\n${r.trace}` : ""}\n`);
};

const CONSOLE_SEVERITY = { debug: "DEBUG", trace: "TRACE", log: "INFO", info: "INFO", warn: "WARN", error: "ERROR" } as const;

/**
 * Turns `console.debug/trace/log/info/warn/error` into worker log records (formatted as
 * `console` would); returns how to restore the console. For worker processes, whose
 * console output nobody else reads.
 */
export function captureConsole(): () => void {
  // This replaces console methods rather than logging through them (no-console's concern).
  /* eslint-disable no-console */
  const saved = new Map<keyof typeof CONSOLE_SEVERITY, (...args: unknown[]) => void>();
  for (const [method, severity] of Object.entries(CONSOLE_SEVERITY) as [keyof typeof CONSOLE_SEVERITY, Severity][]) {
    saved.set(method, console[method]);
    console[method] = (...args: unknown[]) => emit(severity, format(...args), args.find((a) => a instanceof Error));
  }
  return () => {
    for (const [method, fn] of saved) console[method] = fn;
  };
  /* eslint-enable no-console */
}

const SEVERITY_ENUM: Record<Severity, LogEntry_Severity_Enum> = {
  TRACE: LogEntry_Severity_Enum.TRACE,
  DEBUG: LogEntry_Severity_Enum.DEBUG,
  INFO: LogEntry_Severity_Enum.INFO,
  NOTICE: LogEntry_Severity_Enum.NOTICE,
  WARN: LogEntry_Severity_Enum.WARN,
  ERROR: LogEntry_Severity_Enum.ERROR,
  CRITICAL: LogEntry_Severity_Enum.CRITICAL,
};

/** A record as Beam's LogEntry. */
export function toLogEntry(r: LogRecord): LogEntry {
  return {
    severity: SEVERITY_ENUM[r.severity],
    timestamp: { seconds: BigInt(Math.floor(r.timestamp / 1000)), nanos: (r.timestamp % 1000) * 1_000_000 },
    message: r.message,
    trace: r.trace,
    instructionId: r.instructionId,
    transformId: r.transformId,
    logLocation: "",
    thread: "",
    customData: undefined,
  };
}

/**
 * A BeamFnLogging client: one Logging stream to the runner's logging endpoint, as the
 * worker `workerId`. Records are sent in batches (at most every 100 ms, or at once when
 * 500 are waiting). If the stream fails, later records go to stderr.
 */
export class LoggingClient {
  private readonly client: BeamFnLoggingClient;
  private readonly stream: ClientDuplexStream<LogEntry_List, LogControl>;
  private pending: LogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private broken = false;
  private readonly ended: Promise<void>;

  constructor(
    readonly endpoint: string,
    workerId: string,
  ) {
    const metadata = new Metadata();
    metadata.set("worker_id", workerId);
    this.client = new BeamFnLoggingClient(endpoint, credentials.createInsecure());
    this.stream = this.client.logging(metadata);
    this.ended = new Promise<void>((resolve) => {
      this.stream.on("data", () => {}); // LogControl carries nothing to act on
      this.stream.on("end", () => resolve());
      this.stream.on("error", () => {
        this.broken = true;
        resolve();
      });
    });
  }

  /** The sink to install with `addLogSink`. */
  readonly sink: LogSink = (record) => {
    if (this.broken) {
      stderrSink(record);
      return;
    }
    this.pending.push(toLogEntry(record));
    if (this.pending.length >= 500) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 100);
  };

  /** Sends what is waiting. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.broken) return;
    const logEntries = this.pending;
    this.pending = [];
    this.stream.write({ logEntries });
  }

  /** Sends what is waiting and ends the stream (waits up to `timeoutMs` for the runner). */
  async close(timeoutMs = 2000): Promise<void> {
    this.flush();
    this.stream.end();
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.client.close();
  }
}

/**
 * Sends one record to a logging service and closes the stream: for short-lived callers such
 * as boot, which may serve many workers in one process (so it does not use `workerLog`'s
 * process-wide sinks). Does nothing without an endpoint.
 */
export async function logOnce(endpoint: string, workerId: string, severity: Severity, message: string): Promise<void> {
  if (endpoint === "") return;
  const client = new LoggingClient(endpoint, workerId);
  client.sink({ severity, message, timestamp: Date.now(), instructionId: "", transformId: "", trace: "" });
  await client.close(1000);
}
