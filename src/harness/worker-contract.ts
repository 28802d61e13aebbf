import { ConstructionError } from "../model/index.js";
import { firstDifference, structuralFingerprint, type GraphFingerprint, type PipelineGraph } from "../pipeline/index.js";

/**
 * The contract between the three processes of a beam-ts job with separate workers: the
 * submitter stages the pipeline bundle and its fingerprint as artifacts, `beam-ts boot`
 * retrieves them and starts the bundle with the environment variables below, and the
 * worker entry (the bundle's first import) checks the fingerprint and serves the graph.
 */

/** The staged name of the esbuild bundle of the pipeline module (its entry is the worker entry). */
export const STAGED_BUNDLE = "pipeline.mjs";
/** The staged name of the submitter's structural fingerprint. */
export const STAGED_FINGERPRINT = "fingerprint.json";

/** The pipeline option carrying the submitter's command-line arguments (process.argv.slice(2)). */
export const ARGV_OPTION = "beam:option:beam_ts_argv:v1";

/** Environment variables boot sets for the worker process. */
export const WorkerEnv = {
  /** The worker id the runner gave boot (`--id`); sent as `worker_id` gRPC metadata. */
  workerId: "BEAM_TS_WORKER_ID",
  /** host:port of the runner's control service. */
  controlEndpoint: "BEAM_TS_CONTROL_ENDPOINT",
  /** host:port of the runner's logging service (BeamFnLogging), where the worker sends its logs. */
  loggingEndpoint: "BEAM_TS_LOGGING_ENDPOINT",
  /** Path of the retrieved fingerprint.json. */
  fingerprintFile: "BEAM_TS_FINGERPRINT_FILE",
  /**
   * The directory boot retrieved the artifacts into. The worker removes it once loaded (the
   * bundle is in memory, its source map inline), since runners may SIGKILL boot at job end.
   */
  stagedDir: "BEAM_TS_STAGED_DIR",
  /**
   * A directory whose node_modules hold the packages left out of the bundle
   * (--stagingExternals); default: the submitter's module's directory.
   */
  packagesFrom: "BEAM_TS_PACKAGES_FROM",
  /**
   * A file (mode 0600) holding the submitter's argv as JSON, which boot's preload appends to
   * the worker's process.argv and deletes: on the command line, options such as passwords
   * would show in every process listing of the worker's machine.
   */
  argvFile: "BEAM_TS_WORKER_ARGV_FILE",
} as const;

/** The contents of fingerprint.json. */
export interface FingerprintFile {
  readonly format: "beam-ts-fingerprint/1";
  readonly hash: string;
  readonly transforms: GraphFingerprint["transforms"];
}

/** fingerprint.json for `graph`: its structural fingerprint with per-transform descriptions. */
export function fingerprintFileFor(graph: PipelineGraph): string {
  const fp = structuralFingerprint(graph);
  const file: FingerprintFile = { format: "beam-ts-fingerprint/1", hash: fp.hash, transforms: fp.transforms };
  return `${JSON.stringify(file, null, 1)}\n`;
}

/**
 * Throws a ConstructionError naming the first transform that differs when the worker
 * rebuilt a different graph than the submitter (`submitted` is fingerprint.json's text).
 */
export function checkFingerprint(graph: PipelineGraph, submitted: string): void {
  let theirs: FingerprintFile;
  try {
    theirs = JSON.parse(submitted) as FingerprintFile;
  } catch (err) {
    throw new ConstructionError(`The staged ${STAGED_FINGERPRINT} is not valid JSON; restage the job.`, { cause: err });
  }
  if (theirs.format !== "beam-ts-fingerprint/1" || !Array.isArray(theirs.transforms)) {
    throw new ConstructionError(`The staged ${STAGED_FINGERPRINT} has an unknown format (${String(theirs.format)}): submit with the same beam-ts version the worker runs.`);
  }
  const ours = structuralFingerprint(graph);
  if (ours.hash === theirs.hash) return;
  const label = firstDifference(theirs, ours) ?? "(unknown)";
  let i = 0;
  while (i < theirs.transforms.length && theirs.transforms[i]?.label === ours.transforms[i]?.label && theirs.transforms[i]?.description === ours.transforms[i]?.description) i++;
  const show = (t: { label: string; description: string } | undefined) => (t === undefined ? "(no transform)" : `"${t.label}" ${t.description}`);
  throw new ConstructionError(
    `The worker rebuilt a different pipeline than the one submitted: the first transform that differs is "${label}".\n` +
      `  submitted: ${show(theirs.transforms[i])}\n` +
      `  worker:    ${show(ours.transforms[i])}\n` +
      `Workers import the pipeline module again and must build the same graph. Pipeline construction must be ` +
      `deterministic: labels and structure must not depend on random numbers, the time, environment variables, ` +
      `the host or files that differ on the workers. Compute such values inside DoFns at run time, or pass them ` +
      `as pipeline options (the workers get the submitter's command line).`,
  );
}
