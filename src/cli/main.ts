/**
 * `beam-ts run <pipeline.ts> [--option=value ...]`: runs a pipeline module.
 *
 * The module is imported with `process.argv` set as if it were run directly
 * (`[node, <module>, ...options]`), so a module that parses its options from
 * `process.argv.slice(2)` and runs its pipeline at top level works unchanged.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BeamError, OptionsError, formatFailure, verboseFailures } from "../model/index.js";
import { bootCommand, workerPoolCommand } from "./worker-commands.js";
import { expansionServiceCommand } from "./expansion-service-command.js";
import { graphCommand } from "./graph-command.js";
import { jobsCommand } from "./jobs-command.js";
import { savepointCommand } from "./savepoint-command.js";

const USAGE = `Usage: beam-ts --version
       beam-ts run <pipeline module (.ts or .js)> [--option=value ...]
       beam-ts graph <pipeline module> [--format=mermaid|dot|json] [--option=value ...]
       beam-ts jobs list|status|cancel|drain|logs [<job id>] --jobEndpoint=<host:port> [--json]
       beam-ts savepoint <pid> --checkpointDir=<dir> [--timeout=60s]
       beam-ts boot --id=<worker id> --provision_endpoint=<host:port> [...]
       beam-ts worker-pool [--port=<port>] [--host=<address>]
       beam-ts expansion-service [--port=<port>] [--host=<address>] [--module=<file> ...]

run: runs a pipeline module. Pipeline options follow the module path; run a module with
--help to see the options it accepts.
graph: prints the pipeline a module builds, without running it (docs/MONITORING.md).
jobs: watches and stops jobs on a Beam job service (beam-ts jobs --help).
savepoint: asks an embedded job running with --checkpointDir for a savepoint, prints its path.
boot: starts a worker for a runner (Beam's PROCESS environment, container entrypoint).
worker-pool: serves Beam's external worker pool (--environmentType=EXTERNAL).
expansion-service: serves beam-ts transforms to other SDKs (Beam's ExpansionService).`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    console.log(packageVersion());
    return 0;
  }
  if (command === "boot") return bootCommand(argv.slice(1));
  if (command === "graph") return graphCommand(argv.slice(1), (text) => process.stdout.write(text), registerTypeScript);
  if (command === "worker-pool") return workerPoolCommand(argv.slice(1));
  if (command === "jobs") return jobsCommand(argv.slice(1), (text) => process.stdout.write(text));
  if (command === "savepoint") return savepointCommand(argv.slice(1), (text) => process.stdout.write(text));
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
  if (TYPESCRIPT.test(modulePath)) await registerTypeScript();
  await import(pathToFileURL(modulePath).href);
  return 0;
}

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

/**
 * TypeScript pipeline modules load through tsx's loader hooks (this process only: worker
 * threads and workers in their own processes run an esbuild bundle). Node 20 cannot load
 * TypeScript at all, and the type stripping of later versions neither resolves the `.js`
 * specifiers that NodeNext projects write nor compiles enums and parameter properties.
 */
async function registerTypeScript(): Promise<void> {
  const { register } = await import("tsx/esm/api");
  register();
}

/** Whether the pipeline's options ask for `--verbose` (the module may fail before parsing them). */
function verboseFlag(args: readonly string[]): boolean {
  return args.some((a) => a === "--verbose" || a === "--verbose=true");
}

/** This installation's version, from its package.json (one folder above src/ or dist/). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

try {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exitCode = code;
} catch (err) {
  // A failure prints once: a beam-ts error as its message and cause chain (every stack with
  // --verbose or BEAM_TS_VERBOSE=1), a usage error as its message, any other error (a bug
  // in the module itself) with its stack.
  const verbose = !(err instanceof BeamError) || verboseFailures({ verbose: verboseFlag(process.argv.slice(2)) });
  console.error(err instanceof OptionsError ? err.message : formatFailure(err, { verbose }));
  // Exit code 2 for a usage error, as defineOptions' parseOrExit does.
  process.exitCode = err instanceof OptionsError ? 2 : 1;
}
