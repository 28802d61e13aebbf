import path from "node:path";
import { Lineage, configureLogs, logSettingsOf } from "../metrics/index.js";
import { graphView, type JobObservation, type JobSnapshot, type JobState, type Pipeline, type PipelineResult } from "../pipeline/index.js";
import { JobProgress, isBatch, type ProgressStream } from "./job-progress.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { RunEvents, emitRunEvent, type LineageTargets } from "./openlineage.js";
import { startUiServer, type UiServer } from "./ui-server.js";

/**
 * The snapshot of a job: the runner's own (`result.snapshot()`), else what any runner's
 * result tells (state, graph, metrics, lineage): a portable runner's job service reports
 * metrics, not watermarks.
 */
export function snapshotOf(pipeline: Pipeline, result: PipelineResult, startTime: number): JobSnapshot {
  const own = result.snapshot?.();
  if (own !== undefined) return own;
  const metrics = result.metrics();
  const name = jobName(pipeline);
  return {
    job: { name, state: result.state, runner: String(pipeline.options["runner"] ?? "embedded"), startTime },
    graph: graphView(pipeline.graph()),
    steps: [],
    stages: [],
    sources: [],
    metrics: metrics.queryMetrics(),
    lineage: { sources: Lineage.query(metrics, "sources"), sinks: Lineage.query(metrics, "sinks") },
    takenAt: Date.now(),
  };
}

/** The job's name as observers show it: --jobName, else the program's file. */
function jobName(pipeline: Pipeline): string {
  const n = pipeline.options["jobName"];
  return typeof n === "string" && n !== "" ? n : path.basename(process.argv[1] ?? "job");
}

/** `--quiet`, or BEAM_TS_QUIET=1 (test runners set it: a summary per test pipeline is noise). */
function quiet(options: Pipeline["options"]): boolean {
  return options["quiet"] === true || options["quiet"] === "true" || process.env["BEAM_TS_QUIET"] === "1";
}

/** Where progress goes: stderr, so a job's own stdout stays its data. */
let progressStream: ProgressStream = process.stderr;

/** @internal Tests redirect progress to a fake terminal. */
export function setProgressStream(stream: ProgressStream): () => void {
  const previous = progressStream;
  progressStream = stream;
  return () => (progressStream = previous);
}

/**
 * The observer the package entry registers: per job, what its options ask for.
 * `--metricsPort`: a Prometheus endpoint for as long as the job runs; `--ui`: the monitoring
 * web page, as long; batch jobs: progress
 * on a terminal and a summary at the end unless `--quiet`; `--lineageFile`/`--lineageUrl`:
 * OpenLineage START and COMPLETE/FAIL/ABORT events.
 */
export function observeFromOptions(pipeline: Pipeline, result: PipelineResult): JobObservation | undefined {
  const options = pipeline.options;
  const startTime = Date.now();
  // User code's log records in this thread name this job (worker threads set their own).
  configureLogs(logSettingsOf(options, { job: jobName(pipeline), worker: 0 }));
  const snapshot = () => snapshotOf(pipeline, result, startTime);
  const ends: ((state: JobState, failure: unknown) => Promise<void> | void)[] = [];

  const port = options["metricsPort"];
  if (typeof port === "number") {
    const host = typeof options["metricsHost"] === "string" && options["metricsHost"] !== "" ? options["metricsHost"] : undefined;
    const server: Promise<MetricsServer | undefined> = startMetricsServer(snapshot, { port, ...(host !== undefined ? { host } : {}) }).then(
      (s) => {
        process.stderr.write(`beam-ts: metrics of ${snapshot().job.name} at ${s.url}\n`);
        return s;
      },
      (err: unknown) => {
        process.stderr.write(`beam-ts: no metrics endpoint: ${err instanceof Error ? err.message : String(err)}\n`);
        return undefined;
      },
    );
    ends.push(async () => (await server)?.close());
  }

  if (options["ui"] === true || typeof options["uiPort"] === "number") {
    const uiPort = typeof options["uiPort"] === "number" ? options["uiPort"] : 0;
    const host = typeof options["uiHost"] === "string" && options["uiHost"] !== "" ? options["uiHost"] : undefined;
    const server: Promise<UiServer | undefined> = startUiServer(snapshot, result, { port: uiPort, ...(host !== undefined ? { host } : {}) }).then(
      (s) => {
        // The URL carries the access token when there is one: printed once, here, and nowhere else.
        process.stderr.write(`beam-ts: web page of ${snapshot().job.name} at ${s.url}\n`);
        return s;
      },
      (err: unknown) => {
        process.stderr.write(`beam-ts: no web page: ${err instanceof Error ? err.message : String(err)}\n`);
        return undefined;
      },
    );
    ends.push(async () => (await server)?.close());
  }

  if (!quiet(options) && isBatch(snapshot())) {
    const progress = new JobProgress(snapshot, progressStream);
    progress.start();
    ends.push(() => progress.finish());
  }

  const targets: LineageTargets = {
    ...(typeof options["lineageFile"] === "string" && options["lineageFile"] !== "" ? { file: options["lineageFile"] } : {}),
    ...(typeof options["lineageUrl"] === "string" && options["lineageUrl"] !== "" ? { url: options["lineageUrl"] } : {}),
  };
  if (targets.file !== undefined || targets.url !== undefined) {
    const events = new RunEvents();
    const started = emitRunEvent(events.event("START", snapshot()), targets);
    ends.push(async (state) => {
      await started;
      const type = state === "FAILED" ? "FAIL" : state === "CANCELLED" ? "ABORT" : "COMPLETE";
      await emitRunEvent(events.event(type, snapshot()), targets);
    });
  }

  if (ends.length === 0) return undefined;
  return {
    async finished(state, failure) {
      for (const end of ends) await end(state, failure);
    },
  };
}
