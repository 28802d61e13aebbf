import { existsSync } from "node:fs";
import path from "node:path";
import { OptionsError } from "../model/index.js";

/**
 * The module that workers import to rebuild the pipeline (PROCESS/EXTERNAL/DOCKER workers,
 * and the worker threads of `--parallelism`): `--pipelineModule`, else the program's entry.
 * `feature` names what needs it, for the error when the entry is a tool such as a test runner.
 */
export function pipelineModuleOf(options: Readonly<Record<string, unknown>>, feature: string): string {
  const problem = pipelineModuleProblem(options);
  if (problem !== undefined) throw new OptionsError(problem);
  const named = namedModule(options);
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

/** `--pipelineModule` when given (a path, else undefined). */
function namedModule(options: Readonly<Record<string, unknown>>): string | undefined {
  const named = options["pipelineModule"];
  return typeof named === "string" && named !== "" ? named : undefined;
}

/**
 * The problem with `--pipelineModule`, if any: it must name an existing file. Runners report
 * it where options are parsed (`checkOptions`), before a job or a worker starts.
 */
export function pipelineModuleProblem(options: Readonly<Record<string, unknown>>): string | undefined {
  const named = namedModule(options);
  if (named === undefined || existsSync(named)) return undefined;
  return (
    `--pipelineModule=${named}: no such file (resolved against ${process.cwd()}). Name the module that builds and runs ` +
    `the pipeline, or leave the option out to use the program's entry.`
  );
}
