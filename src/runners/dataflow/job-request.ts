import type { DataflowSettings } from "./dataflow-settings.js";

/**
 * The fields of the Dataflow v1b3 API's Job (projects.locations.jobs.create) beam-ts sends
 * or reads back: a subset, named and typed as in the API reference.
 */
export interface DataflowJob {
  id?: string;
  name: string;
  projectId: string;
  location: string;
  type: "JOB_TYPE_BATCH" | "JOB_TYPE_STREAMING";
  clientRequestId: string;
  labels?: Record<string, string>;
  replaceJobId?: string;
  transformNameMapping?: Record<string, string>;
  environment: DataflowEnvironment;
  currentState?: string;
}

/** The v1b3 Environment of a portable (runner v2) job. */
export interface DataflowEnvironment {
  clusterManagerApiService: string;
  dataset: string;
  tempStoragePrefix: string;
  experiments: string[];
  serviceAccountEmail?: string;
  userAgent: { name: string; version: string };
  version: { job_type: "FNAPI_BATCH" | "FNAPI_STREAMING"; major: string };
  sdkPipelineOptions: { options: Record<string, unknown>; display_data: DisplayDataItem[] };
  workerPools: WorkerPool[];
}

interface DisplayDataItem {
  key: string;
  namespace: string;
  type: "STRING" | "INTEGER" | "BOOLEAN";
  value: string | number | boolean;
}

interface WorkerPool {
  kind: "harness";
  packages: { name: string; location: string }[];
  autoscalingSettings?: { algorithm?: string; maxNumWorkers?: number };
  numWorkers?: number;
  machineType?: string;
  network?: string;
  subnetwork?: string;
  workerHarnessContainerImage?: string;
  sdkHarnessContainerImages: { containerImage: string; environmentId: string; useSingleCorePerContainer: boolean; capabilities: string[] }[];
  dataDisks?: Record<string, never>[];
}

/** One environment of the pipeline proto, as Dataflow's worker pool describes it. */
export interface ContainerEnvironment {
  readonly id: string;
  readonly image: string;
  readonly capabilities: readonly string[];
}

/** What the Job request is built from: checked settings and what staging made (or would make). */
export interface JobRequestInput {
  readonly settings: DataflowSettings;
  /** The job's name (given or made). */
  readonly jobName: string;
  /** The job's own temporary folder (gs://), under --tempLocation. */
  readonly tempLocation: string;
  readonly streaming: boolean;
  /** gs:// path of the staged pipeline proto. */
  readonly pipelineUrl: string;
  /** sha256 (hex) of the staged pipeline proto bytes. */
  readonly pipelineProtoHash: string;
  /** Staged files: the name workers know them by and their gs:// path. */
  readonly packages: readonly { readonly name: string; readonly path: string }[];
  readonly environments: readonly ContainerEnvironment[];
  /** Options the workers get back (camelCase keys, plain values). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly clientRequestId: string;
  /** The running job `--update` replaces. */
  readonly replaceJobId?: string;
  readonly sdkVersion: string;
}

/**
 * Experiments every beam-ts job carries: the Fn API worker (runner v2), which runs SDK
 * containers, and portable job submission, under which the service reads the staged
 * Runner API pipeline (sdkPipelineOptions.options.pipelineUrl) instead of v1b3 steps. These
 * are the ones Beam Python adds for every job (_add_runner_v2_missing_options) plus
 * use_multiple_sdk_containers, which it adds to every Fn API job.
 */
export const RUNNER_V2_EXPERIMENTS = ["beam_fn_api", "use_unified_worker", "use_runner_v2", "use_portable_job_submission", "use_multiple_sdk_containers"] as const;

/** Beam's environment major version for Fn API jobs (apiclient.py's _FNAPI_ENVIRONMENT_MAJOR_VERSION). */
const ENVIRONMENT_MAJOR_VERSION = "8";

/** The Runner API capability that lets Dataflow run several bundles in one container at once. */
const MULTI_CORE = "beam:protocol:multi_core_bundle_processing:v1";

/**
 * The v1b3 Job that creates a portable job on Dataflow, as Beam Python's DataflowRunner
 * (apiclient.py's Job and Environment) and Beam Go's dataflowlib build it: no v1b3 steps, the
 * Runner API pipeline staged at `pipelineUrl`, one "harness" worker pool whose SDK containers
 * are the pipeline's Docker environments, and the files workers fetch as packages.
 *
 * @example const job = jobRequest({ settings, jobName: "wc", streaming: false, ... }); // job.type === "JOB_TYPE_BATCH"
 */
export function jobRequest(input: JobRequestInput): DataflowJob {
  const { settings } = input;
  const experiments = [...new Set([...settings.experiments, ...RUNNER_V2_EXPERIMENTS])];
  const options = { ...input.options, pipelineUrl: input.pipelineUrl, pipelineProtoHash: input.pipelineProtoHash, experiments };
  const pool: WorkerPool = {
    kind: "harness",
    packages: input.packages.map((p) => ({ name: p.name, location: storageResource(p.path) })),
    sdkHarnessContainerImages: input.environments.map((e) => ({
      containerImage: e.image,
      environmentId: e.id,
      useSingleCorePerContainer: !e.capabilities.includes(MULTI_CORE),
      capabilities: [...e.capabilities],
    })),
  };
  // Dataflow expects the image here too when there is one environment (a beam-ts pipeline without
  // cross-language transforms), and the SDK's own image when there is none (Beam Python's rule).
  if (input.environments.length <= 1) pool.workerHarnessContainerImage = input.environments[0]?.image ?? settings.image;
  const autoscaling = {
    ...(settings.autoscalingAlgorithm !== undefined
      ? { algorithm: settings.autoscalingAlgorithm === "NONE" ? "AUTOSCALING_ALGORITHM_NONE" : "AUTOSCALING_ALGORITHM_BASIC" }
      : {}),
    ...(settings.maxNumWorkers !== undefined ? { maxNumWorkers: settings.maxNumWorkers } : {}),
  };
  if (Object.keys(autoscaling).length > 0) pool.autoscalingSettings = autoscaling;
  if (settings.numWorkers !== undefined) pool.numWorkers = settings.numWorkers;
  if (settings.machineType !== undefined) pool.machineType = settings.machineType;
  if (settings.network !== undefined) pool.network = settings.network;
  if (settings.subnetwork !== undefined) pool.subnetwork = settings.subnetwork;
  // A streaming job keeps its state on a separate data disk (Beam Python and Go add one).
  if (input.streaming) pool.dataDisks = [{}];
  const job: DataflowJob = {
    name: input.jobName,
    projectId: settings.project,
    location: settings.region,
    type: input.streaming ? "JOB_TYPE_STREAMING" : "JOB_TYPE_BATCH",
    clientRequestId: input.clientRequestId,
    environment: {
      clusterManagerApiService: "compute.googleapis.com",
      dataset: "bigquery.googleapis.com/cloud_dataflow",
      tempStoragePrefix: storageResource(input.tempLocation),
      experiments,
      ...(settings.serviceAccountEmail !== undefined ? { serviceAccountEmail: settings.serviceAccountEmail } : {}),
      userAgent: { name: "Apache Beam SDK for TypeScript (beam-ts)", version: input.sdkVersion },
      version: { job_type: input.streaming ? "FNAPI_STREAMING" : "FNAPI_BATCH", major: ENVIRONMENT_MAJOR_VERSION },
      sdkPipelineOptions: { options, display_data: displayData(input.options) },
      workerPools: [pool],
    },
  };
  if (Object.keys(settings.labels).length > 0) job.labels = { ...settings.labels };
  if (input.replaceJobId !== undefined) job.replaceJobId = input.replaceJobId;
  if (settings.transformNameMapping !== undefined) job.transformNameMapping = { ...settings.transformNameMapping };
  return job;
}

/**
 * A gs:// path as the v1b3 API names Cloud Storage resources (Environment.tempStoragePrefix,
 * Package.location): `storage.googleapis.com/<bucket>/<object>`, as Beam Python rewrites them.
 */
export function storageResource(gsPath: string): string {
  return gsPath.replace(/^gs:\//, "storage.googleapis.com");
}

/** The options as display data, which the Dataflow console shows as the job's pipeline options. */
function displayData(options: Readonly<Record<string, unknown>>): DisplayDataItem[] {
  const items: DisplayDataItem[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === "string") items.push({ key, namespace: "beam-ts", type: "STRING", value });
    else if (typeof value === "number" && Number.isInteger(value)) items.push({ key, namespace: "beam-ts", type: "INTEGER", value });
    else if (typeof value === "boolean") items.push({ key, namespace: "beam-ts", type: "BOOLEAN", value });
  }
  return items;
}
