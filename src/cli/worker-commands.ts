/**
 * `beam-ts boot` and `beam-ts worker-pool`: the commands runners start for beam-ts workers
 * in their own processes (Beam's PROCESS and DOCKER environments, and the external worker
 * pool of EXTERNAL).
 */
import { ProcessWorkerPool, bootWorker, parseBootFlags } from "../harness/index.js";

export const BOOT_USAGE = `Usage: beam-ts boot --id=<worker id> --provision_endpoint=<host:port>
       [--control_endpoint=<host:port>] [--artifact_endpoint=<host:port>]
       [--logging_endpoint=<host:port>] [--semi_persist_dir=<dir>]

Beam's worker boot: gets the job's provision info, retrieves the staged pipeline bundle,
and runs it as the worker. Runners start it (PROCESS environment, or a container's
entrypoint); flags may be spelled --snake_case, --kebab-case or --camelCase.`;

export const WORKER_POOL_USAGE = `Usage: beam-ts worker-pool [--port=<port>] [--host=<address>]

Serves Beam's external worker pool (BeamFnExternalWorkerPool) on host:port (default
127.0.0.1:50000; --port=0 picks a free port). Each StartWorker boots a worker process.
Submit jobs with --environmentType=EXTERNAL --environmentConfig=<host>:<port>.`;

/** Runs boot and waits for the worker; resolves with its exit code. */
export async function bootCommand(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(BOOT_USAGE);
    return 0;
  }
  const flags = parseBootFlags(args);
  const worker = await bootWorker(flags);
  // A runner stops workers with a signal: pass it on, then exit with the worker.
  const forward = (signal: NodeJS.Signals) => worker.child.kill(signal);
  process.on("SIGTERM", forward);
  process.on("SIGINT", forward);
  return worker.exited;
}

/** Serves a worker pool until SIGTERM or SIGINT. */
export async function workerPoolCommand(args: readonly string[]): Promise<number> {
  let port = 50000;
  let host = "127.0.0.1";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(WORKER_POOL_USAGE);
      return 0;
    }
    const m = /^--?(port|host|service_port|service-port|servicePort)(?:=(.*))?$/.exec(arg);
    if (m === null) {
      console.error(`Unknown argument "${arg}".\n\n${WORKER_POOL_USAGE}`);
      return 2;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) {
      console.error(`--${m[1]} needs a value.\n\n${WORKER_POOL_USAGE}`);
      return 2;
    }
    if (m[1] === "host") host = value;
    else {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`--port=${value} is not a port number.`);
        return 2;
      }
    }
  }
  const pool = new ProcessWorkerPool(host, port, "inherit", (id, err) =>
    console.error(`beam-ts worker-pool: worker ${id} failed to boot: ${err instanceof Error ? err.message : String(err)}`),
  );
  const endpoint = await pool.start();
  console.log(`beam-ts worker pool listening on ${endpoint}`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await pool.stop();
  return 0;
}
