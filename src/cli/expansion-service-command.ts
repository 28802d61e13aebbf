/**
 * `beam-ts expansion-service`: serves registered beam-ts transforms to other SDKs' pipelines
 * (Beam's ExpansionService), with the worker pool their jobs' runners start workers from.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ExpansionService } from "../xlang/index.js";

export const EXPANSION_SERVICE_USAGE = `Usage: beam-ts expansion-service [--port=<port>] [--host=<address>] [--module=<file> ...]

Serves Beam's ExpansionService for beam-ts transforms on host:port (default 127.0.0.1:8097;
--port=0 picks a free port). --module imports a module first (repeatable), which registers
transforms with registerExternalTransform(urn, { expand }). Other SDKs use them by URN, e.g.
Python: beam.ExternalTransform(urn, payload, "127.0.0.1:8097"). The expansions' workers run
in this process (an external worker pool on 127.0.0.1), so keep it up while their jobs run.`;

/** Serves until SIGTERM or SIGINT. */
export async function expansionServiceCommand(args: readonly string[]): Promise<number> {
  let port = 8097;
  let host = "127.0.0.1";
  const modules: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(EXPANSION_SERVICE_USAGE);
      return 0;
    }
    const m = /^--(port|host|module)(?:=(.*))?$/.exec(arg);
    if (m === null) {
      console.error(`Unknown argument "${arg}".\n\n${EXPANSION_SERVICE_USAGE}`);
      return 2;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) {
      console.error(`--${m[1]} needs a value.\n\n${EXPANSION_SERVICE_USAGE}`);
      return 2;
    }
    if (m[1] === "host") host = value;
    else if (m[1] === "module") modules.push(value);
    else {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`--port=${value} is not a port number.`);
        return 2;
      }
    }
  }
  for (const m of modules) await import(pathToFileURL(path.resolve(m)).href);
  const service = new ExpansionService({
    host,
    port,
    onError: (err) => console.error(`beam-ts expansion-service: ${err instanceof Error ? err.message : String(err)}`),
  });
  const endpoint = await service.start();
  console.log(`beam-ts expansion service listening on ${endpoint} (workers on ${service.workerEndpoint}); serving:`);
  for (const urn of service.urns()) console.log(`  ${urn}`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await service.stop();
  return 0;
}
