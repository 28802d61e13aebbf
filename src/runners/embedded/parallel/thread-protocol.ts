import type { MessagePort } from "node:worker_threads";
import { decodeUserMetrics, encodeUserMetrics, toMonitoringInfo, type UserMetricPayload } from "../../../harness/contract.js";
import {
  AssertionFailedError,
  BeamError,
  CoderError,
  ConstructionError,
  ElementTimeoutError,
  IllegalMutationError,
  NotEncodableError,
  OptionsError,
  PermanentError,
  Secret,
  StalledError,
  TransientError,
  UnsupportedFeatureError,
  UserCodeError,
} from "../../../model/index.js";
import type { JobMetricsStore } from "../../../metrics/index.js";
import type { ExecutorObservation } from "../executor-observation.js";

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
  /**
   * With checkpoints: this executor's sections of the checkpoint the job restores from
   * (empty for a fresh start). Undefined: the job takes no checkpoints.
   */
  readonly checkpoint?: { readonly restore: [string, Uint8Array][] | undefined };
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
export type ThreadCommand =
  | { readonly kind: "cancel" }
  | { readonly kind: "drain" }
  /** Take your part of checkpoint `id` (checkpoint/executor-checkpointing.ts). */
  | { readonly kind: "checkpoint"; readonly id: number }
  /** Checkpoint `id` is durable (Number.MAX_SAFE_INTEGER: the final one). */
  | { readonly kind: "checkpointComplete"; readonly id: number };

/**
 * A failure, as it crosses threads: an Error keeps neither its class nor its fields nor its
 * cause through a port, so they travel as data and the main thread rebuilds the error.
 */
export interface ThreadFailure {
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
  /** The error's name (its class for beam-ts errors, which the main thread rebuilds). */
  readonly name?: string;
  /** The error's own string fields (a UserCodeError's transform, element, window, ...). */
  readonly fields?: Readonly<Record<string, string>>;
  readonly cause?: ThreadFailure;
}

/** What a worker thread reports when its executor ends. */
export type ThreadReport =
  /** The pipeline is rebuilt and its fingerprint matches: the executor starts. */
  | { readonly kind: "ready" }
  | { readonly kind: "done"; readonly attempted: UserMetricPayload[]; readonly committed: UserMetricPayload[] }
  /**
   * While it runs, every OBSERVE_INTERVAL_MS: the executor's observation and its metrics so
   * far (cumulative: each report replaces the last), for JobSnapshots of the running job.
   */
  | {
      readonly kind: "observation";
      readonly observation: ExecutorObservation;
      readonly attempted: UserMetricPayload[];
      readonly committed: UserMetricPayload[];
    }
  | { readonly kind: "cancelled" }
  | { readonly kind: "failed"; readonly failure: ThreadFailure }
  /** The worker's part of checkpoint `id`, or (`final`) its final state, standing for every later checkpoint. */
  | { readonly kind: "checkpointPart"; readonly id: number; readonly part: Uint8Array; readonly final: boolean };

const sameStep = (step: string) => step;

/** A worker's metrics, encoded as Beam monitoring payloads. */
export function doneReport(store: JobMetricsStore): ThreadReport {
  const { attempted, committed } = store.containers();
  return { kind: "done", attempted: encodeUserMetrics(attempted, sameStep), committed: encodeUserMetrics(committed, sameStep) };
}

/** How often a worker thread reports its observation while it runs. */
export const OBSERVE_INTERVAL_MS = 1000;

/** A worker's observation and metrics so far. */
export function observationReport(observation: ExecutorObservation, store: JobMetricsStore): ThreadReport {
  const { attempted, committed } = store.containers();
  return { kind: "observation", observation, attempted: encodeUserMetrics(attempted, sameStep), committed: encodeUserMetrics(committed, sameStep) };
}

/** Adds a worker's reported metrics to the job's. */
export function mergeReport(store: JobMetricsStore, report: Extract<ThreadReport, { kind: "done" | "observation" }>): void {
  const decode = (payloads: readonly UserMetricPayload[]) => decodeUserMetrics(payloads.map(toMonitoringInfo), sameStep);
  store.recordAggregated(decode(report.attempted), decode(report.committed));
}

/** A worker's failure as data for the port: message, code, stack, class name, string fields and cause chain. */
export function toFailure(err: unknown, depth = 0): ThreadFailure {
  if (!(err instanceof Error)) return { message: String(err), code: undefined, stack: undefined };
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(err)) if (typeof v === "string" && k !== "code") fields[k] = v;
  // A cause chain deeper than this is cut: the failure report shows the first links.
  const cause = err.cause !== undefined && depth < 8 ? toFailure(err.cause, depth + 1) : undefined;
  return {
    message: err.message,
    code: err instanceof BeamError ? err.code : undefined,
    stack: err.stack,
    name: err.name,
    fields,
    ...(cause === undefined ? {} : { cause }),
  };
}

/** beam-ts's error classes by name: a worker's failure arrives as the class it was thrown as. */
const ERROR_CLASSES: Readonly<Record<string, { prototype: object }>> = {
  AssertionFailedError,
  CoderError,
  ConstructionError,
  ElementTimeoutError,
  IllegalMutationError,
  NotEncodableError,
  OptionsError,
  PermanentError,
  StalledError,
  TransientError,
  UnsupportedFeatureError,
  UserCodeError,
};

/** The error `failure` describes, with `message` (its class, fields and cause restored). */
function rebuild(failure: ThreadFailure, message: string): Error {
  const err = failure.code !== undefined ? new BeamError(failure.code, message) : new Error(message);
  const cls = failure.name === undefined ? undefined : ERROR_CLASSES[failure.name];
  if (cls !== undefined) Object.setPrototypeOf(err, cls.prototype);
  if (failure.name !== undefined && cls === undefined) err.name = failure.name;
  for (const [k, v] of Object.entries(failure.fields ?? {})) {
    if (k !== "message" && k !== "stack") Object.defineProperty(err, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  if (failure.cause !== undefined) {
    Object.defineProperty(err, "cause", { value: rebuild(failure.cause, failure.cause.message), enumerable: false, writable: true, configurable: true });
  }
  if (failure.stack !== undefined) err.stack = `${err.name}: ${message}\n${failure.stack.split("\n").slice(1).join("\n")}`;
  return err;
}

/** The error of a worker's failure in the main thread, with its code (the job's failureCode). */
export function fromFailure(failure: ThreadFailure, index: number): Error {
  return rebuild(failure, `${failure.message} (in worker thread ${index})`);
}
