import type { DoFnMetrics } from "../../transforms/index.js";
import { isAuthenticationFailure, isCertificateFailure, someKafkaError } from "./kafka-connection.js";

/**
 * How a Kafka step rides out a broker that goes away while the job runs: a fetch or a send
 * that cannot reach the cluster is tried again after a backoff (100 ms doubling to 5 s),
 * for at most `OUTAGE_BUDGET_MS` of consecutive failures, before the step fails naming the
 * brokers and a hint. A reader holds its partition's position and watermark meanwhile (the
 * splittable DoFn resumes itself later), so nothing is skipped and nothing read twice.
 * Beam's KafkaIO leaves this to the Kafka consumer, which retries for ever
 * (`reconnect.backoff.ms`) while the partition's watermark stays put.
 */

/**
 * Counter of fetches or sends that could not reach the cluster and were tried again after a
 * backoff, in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(KAFKA_RETRIES_METRIC).counters[0]?.attempted
 */
export const KAFKA_RETRIES_METRIC = { namespace: "beam-ts.io.kafka", name: "retries" } as const;

/**
 * Counter of recoveries: a fetch or send that succeeded after failures to reach the cluster
 * (the broker came back), in the attempted metrics of the step.
 *
 * @example result.metrics().queryMetrics(KAFKA_RECONNECTS_METRIC).counters[0]?.attempted
 */
export const KAFKA_RECONNECTS_METRIC = { namespace: "beam-ts.io.kafka", name: "reconnects" } as const;

/** How long a step keeps trying while the cluster cannot be reached. */
export const OUTAGE_BUDGET_MS = 120_000;

/**
 * How long a writer that has never reached the cluster keeps trying: a broker down (or a
 * wrong address) at start is a setup error to report soon, not an outage to ride out.
 */
export const START_BUDGET_MS = 10_000;

/** The consecutive failures of one thing (a partition's fetches, a writer's sends) to reach the cluster. */
export class OutageTracker {
  private failures = 0;
  private since: number | undefined;
  /**
   * @param budgetMs how long consecutive failures are retried once the cluster was reached.
   * @param startBudgetMs how long they are retried before the first success (default: `budgetMs`).
   * @param reached whether the cluster was reached before (by another instance of the step), so the full budget applies from the start.
   */
  constructor(
    private readonly budgetMs: number = OUTAGE_BUDGET_MS,
    private readonly startBudgetMs: number = budgetMs,
    private reached = false,
  ) {}

  /** The budget that applies now (for messages). */
  get currentBudgetMs(): number {
    return this.reached ? this.budgetMs : this.startBudgetMs;
  }

  /**
   * Notes a failure; returns the backoff before the next attempt, or undefined when the
   * budget is spent (the caller then fails).
   */
  failed(metrics: DoFnMetrics, now: number = Date.now()): number | undefined {
    this.since ??= now;
    if (now - this.since >= this.currentBudgetMs) return undefined;
    metrics.counter(KAFKA_RETRIES_METRIC.namespace, KAFKA_RETRIES_METRIC.name).inc();
    return Math.min(5_000, 100 * 2 ** this.failures++);
  }

  /** Notes a success: a reconnect when failures came before. */
  succeeded(metrics: DoFnMetrics): void {
    this.reached = true;
    if (this.since === undefined) return;
    metrics.counter(KAFKA_RECONNECTS_METRIC.namespace, KAFKA_RECONNECTS_METRIC.name).inc();
    this.since = undefined;
    this.failures = 0;
  }
}

/** Client error codes of @platformatic/kafka that the same request gets on every attempt. */
const PERMANENT_CODES = /^PLT_KFK_(AUTHENTICATION|USER|UNSUPPORTED.*|OUT_OF_BOUNDS)$/;

/**
 * Whether a client failure is one a retry cannot pass (refused credentials, a bad request,
 * an unsupported feature, an untrusted TLS certificate), so the step fails at once instead of waiting out an outage.
 * Several errors (one per broker tried) are permanent only when all are.
 *
 * @example isPermanentKafkaError(Object.assign(new Error("SASL failed"), { code: "PLT_KFK_AUTHENTICATION" })) // true
 */
export function isPermanentKafkaError(err: unknown): boolean {
  const nested = (err as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.every(isPermanentKafkaError);
  const code = (err as { code?: unknown } | undefined)?.code;
  // Refused credentials and an untrusted broker certificate are refused the same way on
  // every attempt, even when the client wraps them among other errors ("initProducerId failed 4 times").
  return (typeof code === "string" && PERMANENT_CODES.test(code)) || someKafkaError(err, (e) => isAuthenticationFailure(e) || isCertificateFailure(e));
}
