import { credentials, status, type ServiceError } from "@grpc/grpc-js";
import { JobServiceClient } from "../../proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import type { PipelineGraph } from "../../pipeline/index.js";
import { checkRunnerSupport } from "./runner-capabilities.js";

/**
 * The runner behind a job service, as far as the options it describes tell: Beam's Job API
 * has no call that names the runner, but DescribePipelineOptions lists the pipeline options
 * the service's runner registered, and Flink's and Spark's have their own (`flink_master`,
 * `spark_master_url`). Undefined when the list names neither (Prism 2.77 answers with no
 * options; Beam's Flink and Spark job servers 2.70 do not implement the call).
 *
 * @example runnerFromDescribedOptions(["flink_master", "parallelism"]) // "flink"
 */
export function runnerFromDescribedOptions(names: readonly string[]): "flink" | "spark" | undefined {
  const normalized = new Set(names.map((n) => n.replace(/[_-]/g, "").toLowerCase()));
  if (normalized.has("flinkmaster")) return "flink";
  if (normalized.has("sparkmasterurl")) return "spark";
  return undefined;
}

/** The option names a job service describes; undefined when it does not implement DescribePipelineOptions. */
export function describedOptionNames(endpoint: string): Promise<readonly string[] | undefined> {
  const client = new JobServiceClient(endpoint, credentials.createInsecure());
  return new Promise<readonly string[] | undefined>((resolve, reject) =>
    client.describePipelineOptions({}, (err: ServiceError | null, res) => {
      client.close();
      if (err === null) resolve(res.options.map((o) => o.name));
      else if (err.code === status.UNIMPLEMENTED) resolve(undefined);
      else reject(err);
    }),
  );
}

/**
 * `--runner=portable`'s capability checks: the runner-specific ones of the runner the job
 * service describes itself as (runnerFromDescribedOptions), else only the checks that
 * hold for every runner (made at run()) and a warning that the runner-specific ones were
 * skipped. Throws the UnsupportedFeatureError of a refused transform; returns the runner
 * it checked for.
 *
 * @example await checkPortableJobService("127.0.0.1:8099", pipeline.graph(), pipeline.options, (m) => process.stderr.write(m));
 */
export async function checkPortableJobService(
  endpoint: string,
  graph: PipelineGraph,
  options: Readonly<Record<string, unknown>>,
  warn: (message: string) => void,
): Promise<"flink" | "spark" | undefined> {
  let names: readonly string[] | undefined;
  try {
    names = await describedOptionNames(endpoint);
  } catch {
    // The job service's own errors surface at once in prepare(), with their context.
    names = undefined;
  }
  const runner = names === undefined ? undefined : runnerFromDescribedOptions(names);
  if (runner !== undefined) {
    checkRunnerSupport(runner, graph, options);
    return runner;
  }
  warn(
    `beam-ts: the job service at ${endpoint} does not say which runner it is (${names === undefined ? "no DescribePipelineOptions" : "its DescribePipelineOptions names no runner"}), ` +
      "so only the checks every portable runner needs were made; runner-specific ones (Flink's, Spark's) were skipped. " +
      "Use --runner=flink or --runner=spark with --jobEndpoint to have them.\n",
  );
  return undefined;
}
