/**
 * A worker thread of a parallel embedded job (`--parallelism N`). Closures cannot cross
 * threads, so the worker rebuilds the pipeline the way a PROCESS worker does: the thread
 * runs a bundle of this entry and the pipeline module (thread-bundle.ts), whose main calls
 * `serveThread` with the module's dynamic import; it imports the module with
 * `Pipeline.run()` captured, checks the graph's fingerprint against the main thread's, and
 * runs its share of the job on its own executor. Nothing after `run()` in the module executes here (its result never finishes).
 */
import { parentPort } from "node:worker_threads";
import { checkFingerprint } from "../../../harness/contract.js";
import { ConstructionError } from "../../../model/index.js";
import { configureLogs, logSettingsOf } from "../../../metrics/index.js";
import { captureRuns, notifyPipelineRun, type Pipeline } from "../../../pipeline/index.js";
import { JobMetrics } from "../bundle-metrics.js";
import { embeddedSettings } from "../embedded-runner.js";
import { CancelledSignal } from "../executor.js";
import { runPlan } from "../run-plan.js";
import type { Clock } from "../watermarks/clock.js";
import { PieceClaims } from "./piece-claims.js";
import { PortLink } from "../checkpoint/port-link.js";
import { Shard } from "./shard.js";
import type { ExecutorObservation } from "../executor-observation.js";
import { OBSERVE_INTERVAL_MS, observationReport, doneReport, fromThreadOptions, toFailure, type ThreadCommand, type ThreadData, type ThreadReport } from "./thread-protocol.js";

/** How long a module may take after loading to call `run()` (e.g. from an async main). */
const RUN_GRACE_MS = 60_000;

export async function serveThread(data: ThreadData, importModule: () => Promise<unknown>): Promise<void> {
  const port = parentPort!;
  const report = (r: ThreadReport) => port.postMessage(r);
  let cancelled = false;
  let draining = false;
  let clock: Clock | undefined;
  const cancelling = new AbortController();
  const link = data.checkpoint !== undefined ? new PortLink(port) : undefined;
  port.on("message", (command: ThreadCommand) => {
    if (command.kind === "checkpoint") link?.request(command.id);
    else if (command.kind === "checkpointComplete") link?.complete(command.id);
    else if (command.kind === "cancel") {
      cancelled = true;
      cancelling.abort();
      link?.cancel();
    } else draining = true;
    clock?.wake();
  });

  let served = false;
  captureRuns((pipeline: Pipeline) => {
    if (served) return;
    served = true;
    configureLogs(logSettingsOf(pipeline.options, { worker: data.index }));
    // Process-wide services (file systems) take the submitter's options, as they were given
    // to it, over the rebuilt pipeline's (a module may build its Pipeline with fewer).
    notifyPipelineRun(fromThreadOptions(data.options));
    const shard = new Shard(data.index, data.count, data.ports, new PieceClaims(data.claims));
    const metrics = new JobMetrics();
    const run = async () => {
      const graph = pipeline.graph();
      checkFingerprint(graph, data.fingerprint);
      // Executor 0 is already running: data and watermarks it sent wait in the ports, and
      // splittable pieces are taken on demand, so a late executor just does less.
      report({ kind: "ready" });
      if (cancelled) throw new CancelledSignal();
      // While the executor runs, the parent's port does not keep this thread alive: an empty
      // event loop then means the executor waits for user code that can never settle, which
      // it reports as a stall (Executor) instead of hanging the job.
      port.unref();
      let observe: (() => ExecutorObservation) | undefined;
      // Unref'd: reporting never keeps the thread alive, nor hides a stall.
      const observing = setInterval(() => {
        if (observe !== undefined) report(observationReport(observe(), metrics.results()));
      }, OBSERVE_INTERVAL_MS).unref();
      try {
        await runPlan(graph, embeddedSettings(fromThreadOptions(data.options)), {
          metrics,
          useExecutor: (o) => (observe = o),
          isCancelled: () => cancelled,
          isDraining: () => draining,
          useClock: (c) => (clock = c),
          cancelSignal: cancelling.signal,
          parallel: { shard, pcollection: (id) => graph.pcollections.get(id)! },
          ...(link !== undefined
            ? { checkpoints: { link, ...(data.checkpoint?.restore !== undefined ? { restore: new Map(data.checkpoint.restore) } : {}) } }
            : {}),
        });
      } finally {
        clearInterval(observing);
        // The last observation, so the job's final snapshot has this executor's whole run.
        if (observe !== undefined) report(observationReport(observe(), new JobMetrics().results()));
        port.ref();
      }
    };
    run().then(
      () => report(doneReport(metrics.results())),
      (err: unknown) => report(err instanceof CancelledSignal ? { kind: "cancelled" } : { kind: "failed", failure: toFailure(err) }),
    ).finally(() => shard.close());
  });

  try {
    await importModule();
  } catch (err) {
    if (!served) report({ kind: "failed", failure: toFailure(err) });
    return;
  }
  if (!served) {
    setTimeout(() => {
      if (served) return;
      const err = new ConstructionError(
        `Worker thread ${data.index} imported ${data.module}, which did not call Pipeline.run() within ${RUN_GRACE_MS / 1000} s. ` +
          `With --parallelism, every thread rebuilds the pipeline by importing its module: build and run the pipeline when ` +
          `the module is imported, or name the module that does with --pipelineModule.`,
      );
      report({ kind: "failed", failure: toFailure(err) });
    }, RUN_GRACE_MS).unref();
  }
}
