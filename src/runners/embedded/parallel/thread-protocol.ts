import type { MessagePort } from "node:worker_threads";
import { decodeUserMetrics, encodeUserMetrics, toMonitoringInfo, type UserMetricPayload } from "../../../harness/contract.js";
import { BeamError, Secret } from "../../../model/index.js";
import type { JobMetricsStore } from "../../../metrics/index.js";

/** What the main thread gives a worker thread of a parallel job (`workerData`). */
export interface ThreadData {
  readonly index: number;
  readonly count: number;
  /** The pipeline module the worker rebuilds the graph from (bundled with the thread's entry). */
  readonly module: string;
  /** The submitter's fingerprint.json text. */
  readonly fingerprint: string;
  /** The submitter's pipeline options: every executor runs with the same settings. */
  readonly options: ThreadOptions;
  /** `ports[i]`: the port to executor i (undefined at `index`). */
  readonly ports: readonly (MessagePort | undefined)[];
  /** The job's PieceClaims table (shared, not copied). */
  readonly claims: SharedArrayBuffer;
}

/**
 * Pipeline options as they cross to a worker thread. `workerData` is structured-cloned,
 * which turns a Secret into an empty object, so secret values travel apart, revealed (to
 * this process's own thread only), and are wrapped again on arrival.
 */
export interface ThreadOptions {
  readonly plain: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, unknown>>;
}

/** `options` ready for `workerData`: each Secret value set apart. */
export function toThreadOptions(options: Readonly<Record<string, unknown>>): ThreadOptions {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (Secret.isSecret(value)) secrets[name] = value.reveal();
    else plain[name] = value;
  }
  return { plain, secrets };
}

/** The submitter's options in a worker thread, their secret values Secrets again. */
export function fromThreadOptions(options: ThreadOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options.plain };
  for (const [name, value] of Object.entries(options.secrets)) out[name] = new Secret(value);
  return out;
}

/** What the main thread tells a worker thread. */
export type ThreadCommand = { readonly kind: "cancel" } | { readonly kind: "drain" };

/** A failure, as it crosses threads (an Error does not keep its class). */
export interface ThreadFailure {
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
}

/** What a worker thread reports when its executor ends. */
export type ThreadReport =
  /** The pipeline is rebuilt and its fingerprint matches: the executor starts. */
  | { readonly kind: "ready" }
  | { readonly kind: "done"; readonly attempted: UserMetricPayload[]; readonly committed: UserMetricPayload[] }
  | { readonly kind: "cancelled" }
  | { readonly kind: "failed"; readonly failure: ThreadFailure };

const sameStep = (step: string) => step;

/** A worker's metrics, encoded as Beam monitoring payloads. */
export function doneReport(store: JobMetricsStore): ThreadReport {
  const { attempted, committed } = store.containers();
  return { kind: "done", attempted: encodeUserMetrics(attempted, sameStep), committed: encodeUserMetrics(committed, sameStep) };
}

/** Adds a worker's reported metrics to the job's. */
export function mergeReport(store: JobMetricsStore, report: Extract<ThreadReport, { kind: "done" }>): void {
  const decode = (payloads: readonly UserMetricPayload[]) => decodeUserMetrics(payloads.map(toMonitoringInfo), sameStep);
  store.recordAggregated(decode(report.attempted), decode(report.committed));
}

export function toFailure(err: unknown): ThreadFailure {
  if (!(err instanceof Error)) return { message: String(err), code: undefined, stack: undefined };
  return { message: err.message, code: err instanceof BeamError ? err.code : undefined, stack: err.stack };
}

/** The error of a worker's failure in the main thread, with its code (the job's failureCode). */
export function fromFailure(failure: ThreadFailure, index: number): Error {
  const message = `${failure.message} (in worker thread ${index})`;
  const err = failure.code !== undefined ? new BeamError(failure.code, message) : new Error(message);
  if (failure.stack !== undefined) err.stack = `${err.name}: ${message}\n${failure.stack.split("\n").slice(1).join("\n")}`;
  return err;
}
