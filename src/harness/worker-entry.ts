/**
 * The worker entry: the first import of a staged pipeline bundle (see
 * runners/portable/staging.ts), evaluated before the user's pipeline module.
 *
 * When `beam-ts boot` started this process (the worker environment variables are set), its
 * top-level code installs `captureRuns` so that the module's `Pipeline.run()` hands the
 * rebuilt pipeline here instead of submitting it again; the graph's structural fingerprint
 * is checked against the submitter's, and an FnHarness serves it on the runner's control
 * endpoint. Nothing after `run()` in the user's module executes (its result never
 * finishes). Without those variables (the bundle run directly) it does nothing.
 *
 * This module is not exported from the harness index: importing it has effects.
 */
import { readFileSync, rmSync } from "node:fs";
import { ConstructionError } from "../model/index.js";
import { configureLogs, logSettingsOf } from "../metrics/index.js";
import { captureRuns, type Pipeline } from "../pipeline/index.js";
import { serveFailure } from "./failed-worker.js";
import { FnHarness } from "./fn-harness.js";
import { LoggingClient, addLogSink, captureConsole, routeUserLogs, stderrSink, workerLog } from "./logging.js";
import { WorkerEnv, checkFingerprint } from "./worker-contract.js";

/** How long a module may take after loading to call `run()` (e.g. from an async main). */
const RUN_GRACE_MS = 60_000;

const workerId = process.env[WorkerEnv.workerId] ?? "";
const controlEndpoint = process.env[WorkerEnv.controlEndpoint] ?? "";
const fingerprintFile = process.env[WorkerEnv.fingerprintFile] ?? "";
const active = workerId !== "" && controlEndpoint !== "";

let served = false;
let failing = false;
let graceTimer: NodeJS.Timeout | undefined;

if (active) {
  captureRuns(serve);
  // The user's module failed while loading (or later, before a harness ran): tell the runner.
  process.on("uncaughtException", (err) => {
    if (served && !failing) {
      process.stderr.write(`beam-ts worker ${workerId}: uncaught exception: ${describe(err)}\n`);
      process.exit(1);
    }
    fail(err);
  });
}

/**
 * Called by the bundle's entry after the user's module finished evaluating. A module that
 * runs its pipeline from an async function may call `run()` a little later; one that never
 * does is reported to the runner.
 */
export function pipelineModuleEvaluated(): void {
  if (!active || served || failing) return;
  graceTimer = setTimeout(() => {
    if (!served) {
      fail(
        new ConstructionError(
          `The pipeline module finished loading but did not call Pipeline.run() within ${RUN_GRACE_MS / 1000} s. ` +
            `A worker rebuilds the pipeline by importing the module: build and run the pipeline when the module is ` +
            `run as a program, without conditions that differ on the workers.`,
        ),
      );
    }
  }, RUN_GRACE_MS);
}

function serve(pipeline: Pipeline): void {
  if (served || failing) {
    process.stderr.write(`beam-ts worker ${workerId}: ignoring another Pipeline.run(); this worker serves the first pipeline only.\n`);
    return;
  }
  served = true;
  clearTimeout(graceTimer);
  const graph = pipeline.graph();
  try {
    if (fingerprintFile === "") throw new ConstructionError(`${WorkerEnv.fingerprintFile} is not set: start workers with beam-ts boot.`);
    checkFingerprint(graph, readFileSync(fingerprintFile, "utf8"));
  } catch (err) {
    fail(err);
    return;
  } finally {
    removeStagedFiles();
  }
  // Worker logs, and the user's console output, go to the runner's logging service.
  const loggingEndpoint = process.env[WorkerEnv.loggingEndpoint] ?? "";
  const logs = loggingEndpoint === "" ? undefined : new LoggingClient(loggingEndpoint, workerId);
  addLogSink(logs?.sink ?? stderrSink);
  if (logs !== undefined) {
    captureConsole();
    // User code's `logger` records travel the same channel, at the levels the job's options set.
    routeUserLogs();
  }
  configureLogs(logSettingsOf(pipeline.options));
  workerLog.info(`beam-ts worker ${workerId}: serving the pipeline on ${controlEndpoint} (pid ${process.pid})`);
  const harness = new FnHarness(controlEndpoint, workerId, graph);
  void harness
    .run()
    .then(() => harness.close())
    .then(() => logs?.close())
    .finally(() => process.exit(0));
}

function fail(err: unknown): void {
  if (failing) return;
  failing = true;
  clearTimeout(graceTimer);
  removeStagedFiles();
  const message = `beam-ts worker ${workerId} could not start: ${describe(err)}`;
  process.stderr.write(`${message}\n`);
  void serveFailure(controlEndpoint, workerId, message).finally(() => process.exit(1));
}

/** Everything the worker needs from its staged files is loaded by now. */
function removeStagedFiles(): void {
  const dir = process.env[WorkerEnv.stagedDir];
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // A construction error's message is the explanation; other errors need their stack.
  return err instanceof ConstructionError ? err.message : (err.stack ?? err.message);
}
