import { Secret } from "../../model/index.js";
import type { Pipeline as ProtoPipeline } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { flinkCheckpointingDefault, hasUnboundedPCollection } from "./flink-checkpointing.js";
import { optionUrn } from "./portable-runner.js";

/**
 * Pipeline options as a job service receives them in PrepareJob: plain values under Beam's
 * portable option URNs (`beam:option:job_name:v1`, which Java's PipelineOptionsTranslation
 * and Python read back into camelCase / snake_case names); other values are left out.
 *
 * A secret option is revealed here, deliberately: the job service gets its value as plain
 * text, as every Beam SDK sends its options, because a runner or its workers may need it
 * (and workers rebuild the pipeline from the submitter's command line, which holds it too).
 * Keep secrets off a job service you do not trust; its logs may show the options it got.
 *
 * @example jobServiceOptions({ jobName: "wc", apiKey: new Secret("k") })
 * // { "beam:option:job_name:v1": "wc", "beam:option:api_key:v1": "k" }
 */
export function jobServiceOptions(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, option] of Object.entries(options)) {
    const v = Secret.isSecret(option) ? option.reveal() : option;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[optionUrn(k)] = v;
  }
  return out;
}

/**
 * What PrepareJob sends for a job: `jobServiceOptions` of the pipeline's options after the
 * defaults beam-ts picks for the runner (`runner`: flink, spark, prism, or portable when the
 * job service did not say), with the notes to print about them.
 *
 * @example
 * const { options, notes } = submittedJobOptions("flink", proto, pipeline.options);
 * // options["beam:option:checkpointing_interval:v1"] === 5000 for an unbounded job
 */
export function submittedJobOptions(
  runner: string,
  pipeline: ProtoPipeline,
  options: Readonly<Record<string, unknown>>,
): { options: Record<string, unknown>; notes: readonly string[] } {
  const withDefaults = flinkCheckpointingDefault(runner, hasUnboundedPCollection(pipeline), options);
  return { options: jobServiceOptions(withDefaults.options), notes: withDefaults.notes };
}
