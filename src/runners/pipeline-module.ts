import path from "node:path";
import { OptionsError } from "../model/index.js";

/**
 * The module that workers import to rebuild the pipeline (PROCESS/EXTERNAL/DOCKER workers,
 * and the worker threads of `--parallelism`): `--pipelineModule`, else the program's entry.
 * `feature` names what needs it, for the error when the entry is a tool such as a test runner.
 */
export function pipelineModuleOf(options: Readonly<Record<string, unknown>>, feature: string): string {
  const named = typeof options["pipelineModule"] === "string" && options["pipelineModule"] !== "" ? options["pipelineModule"] : undefined;
  const entry = named ?? process.argv[1];
  if (entry === undefined) throw new OptionsError(`${feature} needs the pipeline's module: set --pipelineModule=<file>.`);
  if (named === undefined && /[\\/]node_modules[\\/]/.test(entry)) {
    throw new OptionsError(
      `${feature} rebuilds the pipeline from the program's entry module, but the entry ${entry} is a tool (a test runner?), ` +
        `not a pipeline module. Run the pipeline as a program (beam-ts run <module>, tsx <module>) or set --pipelineModule=<file>.`,
    );
  }
  return path.resolve(entry);
}
