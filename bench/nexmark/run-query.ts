/**
 * Runs one Nexmark query over the generated events on the embedded runner: counts its
 * results (as Beam's COUNT_ONLY sink) or collects them with their timestamps, windows and
 * panes for a model check.
 */
import { Metrics, Pipeline, parDo, reifyPanes, type PCollection, type ReifiedElement } from "../../src/index.js";
import type { NexmarkConfiguration } from "./config.js";
import { FINAL_AVERAGES_NAMESPACE, readFinalAverages, recordFinalAverages, type FinalAverages } from "./queries/final-averages.js";
import { QUERIES, type QueryFactory } from "./queries/index.js";
import type { SellerPrice } from "./model.js";
import { nexmarkEvents } from "./source.js";

/** What a run measured. */
export interface QueryRun {
  readonly query: number;
  readonly name: string;
  readonly streaming: boolean;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly resultCount: number;
  /** With --parallelism: seconds the worker threads took to start (included in `seconds`). */
  readonly threadStartupSec: number | undefined;
  /** The results with their timestamps, windows and panes (with `collect`). */
  readonly results: readonly ReifiedElement<unknown>[] | undefined;
  /** Query 6 with `finalAverages`: its deterministic result (see queries/final-averages.ts). */
  readonly finalAverages: FinalAverages | undefined;
}

/** Options of runQuery. */
export interface RunQueryOptions {
  readonly streaming?: boolean;
  /** Keep the results (for a model check); otherwise they are only counted. */
  readonly collect?: boolean;
  /** Extra pipeline options (e.g. bundleSize). */
  readonly pipelineOptions?: Readonly<Record<string, unknown>>;
  /** The implementations to take query `query` from: the hand-written ones by default (SQL_QUERIES for Beam's SQL versions). */
  readonly queries?: Readonly<Record<number, QueryFactory<unknown>>>;
  /**
   * Query 6 only: also record each seller's final average (its last pane) in counters, so
   * that runs whose pane counts differ can still be compared (bench:peers does).
   */
  readonly finalAverages?: boolean;
}

const RESULT_COUNTER = "results";

/** A counter's committed value summed over the steps that report it. */
const sumCounters = (counters: readonly { readonly committed: number }[]): number => counters.reduce((sum, c) => sum + c.committed, 0);

/** Builds and runs query `query` over `config.numEvents` generated events. */
export async function runQuery(config: NexmarkConfiguration, query: number, options: RunQueryOptions = {}): Promise<QueryRun> {
  const factory = (options.queries ?? QUERIES)[query];
  if (factory === undefined) throw new RangeError(`Nexmark query ${query} is not implemented; queries: ${Object.keys(QUERIES).join(", ")}.`);
  const streaming = options.streaming === true;
  const q = factory(config, { streaming });
  if (streaming && q.batchOnly === true) {
    throw new RangeError(`Nexmark ${q.name} (query ${query}) groups in the global window without a trigger: batch only, drop --streaming.`);
  }
  const p = new Pipeline({ ...options.pipelineOptions });
  const results: ReifiedElement<unknown>[] = [];
  let resultCount = 0;
  const output = p.apply("Events", nexmarkEvents(config, { streaming })).apply(q.name, q.transform);
  const finalAverages = options.finalAverages === true && query === 6;
  if (finalAverages) (output as PCollection<SellerPrice>).apply(recordFinalAverages());
  if (options.collect === true) {
    output.apply("Reify", reifyPanes()).apply(
      "Collect",
      parDo<ReifiedElement<unknown>, never>({
        process(r) {
          results.push(r);
          resultCount++;
        },
      }),
    );
  } else {
    // A metric, not this closure's variable: with --parallelism, worker threads count too.
    const counted = Metrics.counter("nexmark", RESULT_COUNTER);
    output.apply(
      "Count",
      parDo<unknown, never>({
        process() {
          counted.inc();
        },
      }),
    );
  }
  const t0 = performance.now();
  const result = p.run();
  await result.waitUntilFinish();
  const seconds = (performance.now() - t0) / 1000;
  const startup = result.metrics().queryMetrics({ name: "threadStartupMillis" }).gauges[0]?.committed.value;
  if (options.collect !== true) {
    resultCount += sumCounters(result.metrics().queryMetrics({ namespace: "nexmark", name: RESULT_COUNTER }).counters);
  }
  return {
    query,
    name: q.name,
    streaming,
    seconds,
    eventsPerSec: config.numEvents / seconds,
    resultCount,
    threadStartupSec: startup === undefined ? undefined : startup / 1000,
    results: options.collect === true ? results : undefined,
    finalAverages: finalAverages ? readFinalAverages((name) => sumCounters(result.metrics().queryMetrics({ namespace: FINAL_AVERAGES_NAMESPACE, name }).counters)) : undefined,
  };
}
