import type { JobSnapshot } from "../pipeline/index.js";

/** One Prometheus metric family: what the exposition format prints under one `# TYPE`. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "summary";
  readonly values: readonly MetricSample[];
}

export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** For a summary's `_sum` and `_count` lines. */
  readonly metricName?: string;
}

/**
 * A JobSnapshot as Prometheus metric families, labelled `job` and `step` (or `stage`,
 * `source`). System metrics are `beam_*`; user metrics are `beam_user_*` with their
 * namespace and name as labels (Beam's names are free text; as labels they need no
 * mangling). Counters and distributions are committed values; a distribution is a summary
 * (`_sum`, `_count`) with `_min` and `_max` gauges beside it, as Beam keeps no quantiles.
 * Pure: the endpoint renders what a scrape's snapshot says.
 */
export function metricFamilies(snap: JobSnapshot): MetricFamily[] {
  const job = snap.job.name;
  const families: MetricFamily[] = [];
  const add = (name: string, type: MetricFamily["type"], help: string, values: MetricSample[]) => {
    if (values.length > 0) families.push({ name, type, help, values });
  };
  const seconds = (ms: number) => ms / 1000;

  add("beam_job_state", "gauge", "1 for the job's current state (Beam's JobState).", [{ labels: { job, state: snap.job.state }, value: 1 }]);
  add("beam_job_start_time_seconds", "gauge", "When the job was submitted (Unix time).", [{ labels: { job }, value: seconds(snap.job.startTime) }]);

  const steps = snap.steps;
  add("beam_step_input_elements_total", "counter", "Elements that entered a step (attempted).", steps.flatMap((s) => (s.elementsIn === undefined ? [] : [{ labels: { job, step: s.label }, value: s.elementsIn }])));
  add("beam_step_output_elements_total", "counter", "Elements a step output (attempted).", steps.flatMap((s) => (s.elementsOut === undefined ? [] : [{ labels: { job, step: s.label }, value: s.elementsOut }])));
  add("beam_step_output_bytes_total", "counter", "Encoded bytes a step output, where measured.", steps.flatMap((s) => (s.bytesOut === undefined ? [] : [{ labels: { job, step: s.label }, value: s.bytesOut }])));
  add("beam_step_dead_letters_total", "counter", "Elements a step routed to its dead-letter output.", steps.flatMap((s) => (s.deadLetters === undefined ? [] : [{ labels: { job, step: s.label }, value: s.deadLetters }])));

  const stages = snap.stages;
  const byStage = (f: (s: (typeof stages)[number]) => number | undefined) =>
    stages.flatMap((s) => {
      const v = f(s);
      return v === undefined || !Number.isFinite(v) ? [] : [{ labels: { job, stage: s.label }, value: v }];
    });
  add("beam_stage_bundles_total", "counter", "Bundle attempts of a stage.", byStage((s) => s.bundles));
  add("beam_stage_bundle_retries_total", "counter", "Bundle attempts that were retries of a failed bundle.", byStage((s) => s.retries));
  add("beam_stage_bundle_failures_total", "counter", "Bundle attempts that failed.", byStage((s) => s.failures));
  add(
    "beam_stage_bundle_duration_seconds",
    "summary",
    "How long a stage's bundles took.",
    stages.flatMap((s) => [
      { labels: { job, stage: s.label }, value: seconds(s.bundleMillis.sum), metricName: "beam_stage_bundle_duration_seconds_sum" },
      { labels: { job, stage: s.label }, value: s.bundleMillis.count, metricName: "beam_stage_bundle_duration_seconds_count" },
    ]),
  );
  add("beam_stage_bundle_duration_max_seconds", "gauge", "The longest bundle of a stage.", byStage((s) => (s.bundleMillis.count > 0 ? seconds(s.bundleMillis.max) : undefined)));
  add("beam_stage_output_watermark_seconds", "gauge", "A stage's output watermark (event time, Unix seconds).", byStage((s) => seconds(s.outputWatermark)));
  add("beam_stage_watermark_lag_seconds", "gauge", "How far a stage's output watermark trails processing time.", byStage((s) => (s.watermarkLagMillis === undefined ? undefined : seconds(s.watermarkLagMillis))));

  const bySource = (f: (s: (typeof snap.sources)[number]) => number | undefined) =>
    snap.sources.flatMap((s) => {
      const v = f(s);
      return v === undefined ? [] : [{ labels: { job, source: s.label }, value: v }];
    });
  add("beam_source_elements_total", "counter", "Elements a source read.", bySource((s) => s.elements));
  add("beam_source_backlog", "gauge", "Work a source has left (bytes, or its restriction's size units).", bySource((s) => s.backlog));
  add("beam_source_fraction_done", "gauge", "The fraction of a source's input read, 0 to 1.", bySource((s) => s.fractionDone));

  if (snap.memory !== undefined) {
    add("beam_spilled_bytes_total", "counter", "Bytes keyed steps wrote to local disk under the memory budget.", [{ labels: { job }, value: snap.memory.spilledBytes }]);
    if (snap.memory.budgetBytes !== undefined) add("beam_memory_budget_bytes", "gauge", "The memory budget of keyed steps.", [{ labels: { job }, value: snap.memory.budgetBytes }]);
  }
  if (snap.workers !== undefined) add("beam_worker_threads", "gauge", "Executors (threads) running the job.", [{ labels: { job }, value: snap.workers.threads }]);
  const cp = snap.checkpoints;
  if (cp !== undefined) {
    add("beam_checkpoints_total", "counter", "Durable checkpoints taken.", [{ labels: { job }, value: cp.count }]);
    if (cp.lastMillis !== undefined) add("beam_checkpoint_last_duration_seconds", "gauge", "The last checkpoint's time from request to durable.", [{ labels: { job }, value: seconds(cp.lastMillis) }]);
    if (cp.lastBytes !== undefined) add("beam_checkpoint_last_bytes", "gauge", "The last checkpoint's size.", [{ labels: { job }, value: cp.lastBytes }]);
  }

  const user = (r: { step: string; namespace: string; name: string }) => ({ job, step: r.step, namespace: r.namespace, name: r.name });
  const m = snap.metrics;
  add("beam_user_counter_total", "counter", "User counters (committed).", m.counters.map((c) => ({ labels: user(c), value: c.committed })));
  add("beam_user_gauge", "gauge", "User gauges (latest committed value).", m.gauges.filter((g) => Number.isFinite(g.committed.timestamp)).map((g) => ({ labels: user(g), value: g.committed.value })));
  add(
    "beam_user_distribution",
    "summary",
    "User distributions (committed): sum and count.",
    m.distributions.flatMap((d) => [
      { labels: user(d), value: d.committed.sum, metricName: "beam_user_distribution_sum" },
      { labels: user(d), value: d.committed.count, metricName: "beam_user_distribution_count" },
    ]),
  );
  const finite = m.distributions.filter((d) => d.committed.count > 0);
  add("beam_user_distribution_min", "gauge", "User distributions' least value (committed).", finite.map((d) => ({ labels: user(d), value: d.committed.min })));
  add("beam_user_distribution_max", "gauge", "User distributions' greatest value (committed).", finite.map((d) => ({ labels: user(d), value: d.committed.max })));
  return families;
}
