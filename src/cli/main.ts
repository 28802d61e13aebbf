/**
 * `beam-ts run <pipeline.ts> [--option=value ...]`: runs a pipeline module.
 *
 * The module is imported with `process.argv` set as if it were run directly
 * (`[node, <module>, ...options]`), so a module that parses its options from
 * `process.argv.slice(2)` and runs its pipeline at top level works unchanged.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bootCommand, workerPoolCommand } from "./worker-commands.js";
import { expansionServiceCommand } from "./expansion-service-command.js";

const USAGE = `Usage: beam-ts run <pipeline module (.ts or .js)> [--option=value ...]
       beam-ts boot --id=<worker id> --provision_endpoint=<host:port> [...]
       beam-ts worker-pool [--port=<port>] [--host=<address>]
       beam-ts expansion-service [--port=<port>] [--host=<address>] [--module=<file> ...]

run: runs a pipeline module. Pipeline options follow the module path; run a module with
--help to see the options it accepts.
boot: starts a worker for a runner (Beam's PROCESS environment, container entrypoint).
worker-pool: serves Beam's external worker pool (--environmentType=EXTERNAL).
expansion-service: serves beam-ts transforms to other SDKs (Beam's ExpansionService).`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command === "boot") return bootCommand(argv.slice(1));
  if (command === "worker-pool") return workerPoolCommand(argv.slice(1));
  if (command === "expansion-service") return expansionServiceCommand(argv.slice(1));
  if (command !== "run") {
    console.error(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  if (file === undefined) {
    console.error(`beam-ts run needs a pipeline module.\n\n${USAGE}`);
    return 2;
  }
  const modulePath = path.resolve(file);
  process.argv = [process.argv[0]!, modulePath, ...rest];
  await import(pathToFileURL(modulePath).href);
  return 0;
}

try {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exitCode = code;
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
