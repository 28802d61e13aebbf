import { OptionsError } from "../../model/index.js";

/** Dataflow's public API endpoint (Beam's `--dataflowEndpoint` default). */
export const DATAFLOW_ENDPOINT = "https://dataflow.googleapis.com";

/**
 * What a Dataflow job is submitted with, read and checked from pipeline options
 * (`dataflowSettingsOf`). Locations are gs:// paths as given; the job-specific folders under
 * them are chosen at submission (dataflow-job.ts).
 */
export interface DataflowSettings {
  readonly project: string;
  readonly region: string;
  readonly tempLocation: string;
  readonly stagingLocation: string;
  /** The beam-ts worker image (docs/CONTAINER.md). */
  readonly image: string;
  /** The API endpoint without a trailing slash. */
  readonly endpoint: string;
  /** `--jobName` when given (checked against Dataflow's rule); else a name is made at submission. */
  readonly jobName: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** The user's `--experiments`, in order. */
  readonly experiments: readonly string[];
  readonly serviceAccountEmail: string | undefined;
  readonly network: string | undefined;
  readonly subnetwork: string | undefined;
  readonly numWorkers: number | undefined;
  readonly maxNumWorkers: number | undefined;
  readonly machineType: string | undefined;
  readonly autoscalingAlgorithm: "NONE" | "THROUGHPUT_BASED" | undefined;
  /** `--dataflowJobFile`: write the request here instead of staging and submitting. */
  readonly jobFile: string | undefined;
  readonly update: boolean;
  readonly transformNameMapping: Readonly<Record<string, string>> | undefined;
  readonly detached: boolean;
}

type Options = Readonly<Record<string, unknown>>;

/**
 * Dataflow's job name rule (the v1b3 API's Job.name): lowercase letters, digits and '-',
 * starting with a letter and not ending with '-'.
 */
const JOB_NAME = /^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$/;

/** Google Cloud's label rules, which Job.labels follows: at most 64, keys start with a lowercase letter. */
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

/**
 * The problems `--runner=dataflow` finds in `options`, one sentence each naming the option and
 * the fix (empty when the job can be submitted). `env` supplies GOOGLE_CLOUD_PROJECT.
 *
 * @example dataflowProblems({ runner: "dataflow" }) // ["--runner=dataflow needs --project=...", ...]
 */
export function dataflowProblems(options: Options, env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return read(options, env).problems;
}

/**
 * The settings of a Dataflow job; an OptionsError listing every problem when there are any.
 *
 * @example const settings = dataflowSettingsOf(pipeline.options); // settings.region === "us-central1"
 */
export function dataflowSettingsOf(options: Options, env: Readonly<Record<string, string | undefined>> = process.env): DataflowSettings {
  const { settings, problems } = read(options, env);
  if (problems.length > 0) throw new OptionsError(problems.join("\n"));
  return settings;
}

function read(options: Options, env: Readonly<Record<string, string | undefined>>): { settings: DataflowSettings; problems: string[] } {
  const problems: string[] = [];
  const project = text(options, "project") ?? text(options, "gcpProject") ?? nonEmpty(env["GOOGLE_CLOUD_PROJECT"]);
  if (project === undefined) problems.push("--runner=dataflow needs --project=<project>, the Google Cloud project the job runs in (or --gcpProject, or GOOGLE_CLOUD_PROJECT).");
  const region = text(options, "region");
  if (region === undefined) {
    problems.push(
      "--runner=dataflow needs --region=<region>, the regional endpoint that runs the job, e.g. --region=us-central1 " +
        "(https://cloud.google.com/dataflow/docs/concepts/regional-endpoints).",
    );
  }
  const temp = text(options, "tempLocation");
  const staging = text(options, "stagingLocation");
  if (temp === undefined && staging === undefined) {
    problems.push("--runner=dataflow needs --tempLocation=gs://<bucket>/<folder> (and optionally --stagingLocation): Dataflow stages the pipeline and keeps temporary files in Cloud Storage.");
  }
  for (const [name, value] of [
    ["tempLocation", temp],
    ["stagingLocation", staging],
  ] as const) {
    if (value !== undefined && !/^gs:\/\/[^/]+/.test(value)) problems.push(`--${name}=${value} must be a Cloud Storage folder for --runner=dataflow: gs://<bucket>/<folder>.`);
  }
  const image = containerImage(options, problems);
  const endpoint = (text(options, "dataflowEndpoint") ?? DATAFLOW_ENDPOINT).replace(/\/+$/, "");
  const endpointProblem = checkEndpoint(endpoint);
  if (endpointProblem !== undefined) problems.push(endpointProblem);
  const jobName = text(options, "jobName");
  if (jobName !== undefined && !JOB_NAME.test(jobName)) {
    problems.push(
      `--jobName=${jobName} is not a valid Dataflow job name: use lowercase letters, digits and '-', starting with a letter and not ending with '-' ` +
        `(e.g. --jobName=${suggestedName(jobName)}).`,
    );
  }
  const labels = parseLabels(text(options, "labels"), problems);
  const update = options["update"] === true || options["update"] === "true";
  const mapping = parseMapping(text(options, "transformNameMapping"), update, problems);
  if (update && jobName === undefined) problems.push("--update replaces the running job of the same name: give its name with --jobName=<name>.");
  const numWorkers = integer(options, "numWorkers");
  const maxNumWorkers = integer(options, "maxNumWorkers");
  if (numWorkers !== undefined && maxNumWorkers !== undefined && maxNumWorkers < numWorkers) {
    problems.push(`--maxNumWorkers=${maxNumWorkers} is below --numWorkers=${numWorkers}: raise --maxNumWorkers or lower --numWorkers.`);
  }
  const algorithm = text(options, "autoscalingAlgorithm");
  const settings: DataflowSettings = {
    project: project ?? "",
    region: region ?? "",
    tempLocation: temp ?? staging ?? "",
    stagingLocation: staging ?? temp ?? "",
    image: image ?? "",
    endpoint,
    jobName,
    labels,
    experiments: (text(options, "experiments") ?? "")
      .split(",")
      .map((e) => e.trim())
      .filter((e) => e !== ""),
    serviceAccountEmail: text(options, "serviceAccountEmail"),
    network: text(options, "network"),
    subnetwork: text(options, "subnetwork"),
    numWorkers,
    maxNumWorkers,
    machineType: text(options, "workerMachineType"),
    autoscalingAlgorithm: algorithm === "NONE" || algorithm === "THROUGHPUT_BASED" ? algorithm : undefined,
    jobFile: text(options, "dataflowJobFile"),
    update,
    transformNameMapping: mapping,
    detached: options["detached"] === true || options["detached"] === "true",
  };
  return { settings, problems };
}

/**
 * Dataflow runs SDK workers only from container images (Beam's DOCKER environment):
 * `--sdkContainerImage`, or `--environmentType=DOCKER --environmentConfig=<image>` as Beam Go reads it.
 */
function containerImage(options: Options, problems: string[]): string | undefined {
  const type = text(options, "environmentType")?.toUpperCase();
  if (type !== undefined && type !== "DOCKER") {
    problems.push(
      `--environmentType=${type} cannot run on Dataflow, which starts workers only from container images: ` +
        `leave --environmentType out and give the beam-ts worker image with --sdkContainerImage (docs/CONTAINER.md).`,
    );
  }
  const image = text(options, "sdkContainerImage") ?? (type === "DOCKER" ? text(options, "environmentConfig") : undefined);
  if (image === undefined) {
    problems.push(
      "--runner=dataflow needs --sdkContainerImage=<image>, a beam-ts worker image (docs/CONTAINER.md) pushed where the workers can pull it " +
        "(e.g. us-docker.pkg.dev/<project>/<repository>/beam-ts-worker:<version>).",
    );
  }
  return image;
}

/**
 * The endpoint gets an OAuth2 bearer token: over https, or plain http to this machine only
 * (a local test server), never in the clear across a network.
 */
function checkEndpoint(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `--dataflowEndpoint=${endpoint} is not a URL: give e.g. https://dataflow.googleapis.com.`;
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return undefined;
  return `--dataflowEndpoint=${endpoint}: requests carry an OAuth2 token, so the endpoint must be https:// (plain http:// only to 127.0.0.1 or localhost, for a local test server).`;
}

/** Whether `host` (a URL's hostname) is this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `--labels`: `k=v,k2=v2` (as Beam Python's --labels) or a JSON object (as Beam Go's and Java's). */
function parseLabels(raw: string | undefined, problems: string[]): Record<string, string> {
  if (raw === undefined) return {};
  let entries: [string, string][];
  if (raw.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      problems.push(`--labels is not valid JSON: ${(err as Error).message}. Use {"key": "value"} or key=value,key2=value2.`);
      return {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problems.push(`--labels must be a JSON object of strings, e.g. {"team": "data"}.`);
      return {};
    }
    entries = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  } else {
    entries = raw
      .split(",")
      .map((pair) => pair.trim())
      .filter((pair) => pair !== "")
      .map((pair) => {
        const at = pair.indexOf("=");
        return at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
      });
  }
  if (entries.length > 64) problems.push(`--labels has ${entries.length} labels; a Dataflow job may have at most 64.`);
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) problems.push(`--labels: the key "${key}" is not a valid label key: start with a lowercase letter; use lowercase letters, digits, '_' and '-'; at most 63 characters.`);
    if (!LABEL_VALUE.test(value)) problems.push(`--labels: the value "${value}" of "${key}" is not a valid label value: lowercase letters, digits, '_' and '-', at most 63 characters.`);
  }
  return Object.fromEntries(entries);
}

/** `--transformNameMapping`: a JSON object of old → new step names, meaningful only with `--update` (as Beam Go refuses it without). */
function parseMapping(raw: string | undefined, update: boolean, problems: string[]): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  if (!update) {
    problems.push("--transformNameMapping renames steps of the running job that --update replaces: add --update, or leave the mapping out.");
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    problems.push(`--transformNameMapping is not valid JSON: ${(err as Error).message}. Use {"OldName": "NewName"}.`);
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) {
    problems.push(`--transformNameMapping must be a JSON object of strings, e.g. {"OldName": "NewName"}.`);
    return undefined;
  }
  return parsed as Record<string, string>;
}

/** A valid job name close to `name`, for the error message. */
export function suggestedName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^-a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return cleaned === "" ? "beam-ts-job" : cleaned.slice(0, 1024).replace(/-+$/, "");
}

function text(options: Options, name: string): string | undefined {
  const value = options[name];
  return typeof value === "string" ? nonEmpty(value.trim()) : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function integer(options: Options, name: string): number | undefined {
  const value = options[name];
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
