/**
 * `beam-ts graph <pipeline module> [--format=mermaid|dot|json] [pipeline options...]`:
 * prints the pipeline a module builds, without running it. The module is imported with
 * `Pipeline.run()` captured (as a worker rebuilds a pipeline), so nothing after `run()`
 * executes; the graph is drawn with the embedded runner's fused stages.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { OptionsError } from "../model/index.js";
import { captureRuns, graphView, toDot, toMermaid, type GraphView, type Pipeline, type StageView } from "../pipeline/index.js";
import { fusedStages } from "../runners/index.js";

const FORMATS = ["mermaid", "dot", "json"] as const;
type GraphFormat = (typeof FORMATS)[number];

export const GRAPH_USAGE = `beam-ts graph <pipeline module> [--format=mermaid|dot|json] [--option=value ...]

Prints the pipeline the module builds (run() is captured: nothing runs): transforms with
their full labels, composites nested, PCollections with their coder and windowing, and the
embedded runner's fused stages. For SVG: beam-ts graph main.ts --format=dot | dot -Tsvg > graph.svg`;

/** Runs the command; resolves with the exit code. `write` receives the output (stdout). */
export async function graphCommand(args: readonly string[], write: (text: string) => void, loadTypeScript: () => Promise<void>): Promise<number> {
  const [file, ...rest] = args;
  if (file === undefined || file.startsWith("--")) throw new OptionsError(`beam-ts graph needs a pipeline module.\n\n${GRAPH_USAGE}`);
  let format: GraphFormat = "mermaid";
  const moduleArgs: string[] = [];
  for (const a of rest) {
    const m = /^--format=(.*)$/.exec(a);
    if (m === null) {
      moduleArgs.push(a);
      continue;
    }
    if (!(FORMATS as readonly string[]).includes(m[1]!)) throw new OptionsError(`--format must be one of ${FORMATS.join(", ")}, got "${m[1]}".`);
    format = m[1] as GraphFormat;
  }
  const modulePath = path.resolve(file);
  const savedArgv = process.argv;
  process.argv = [process.argv[0]!, modulePath, ...moduleArgs];
  let captured: ((p: Pipeline) => void) | undefined;
  const pipeline = new Promise<Pipeline>((resolve) => (captured = resolve));
  const uninstall = captureRuns((p) => captured?.(p));
  try {
    if (/\.(ts|mts|cts|tsx)$/.test(modulePath)) await loadTypeScript();
    // A module that awaits its result never finishes importing (the captured run never ends): race it.
    const imported = import(pathToFileURL(modulePath).href).then(() => undefined);
    const p = await Promise.race([pipeline, imported]);
    if (p === undefined) {
      throw new OptionsError(`${file} did not call Pipeline.run() when imported: beam-ts graph draws the pipeline a module runs at top level.`);
    }
    write(render(describe(p), format));
    return 0;
  } finally {
    uninstall();
    process.argv = savedArgv;
  }
}

/** The graph with the embedded runner's stages, as the pipeline's options would plan it. */
function describe(p: Pipeline): GraphView {
  let stages: StageView[] | undefined;
  try {
    stages = fusedStages(p.graph(), { liftCombines: p.options["liftCombines"] !== false, expandComposites: p.options["expandComposites"] === true });
  } catch {
    // A graph the embedded runner cannot run (cross-language transforms) is drawn without stages.
    stages = undefined;
  }
  return graphView(p.graph(), stages);
}

function render(view: GraphView, format: GraphFormat): string {
  if (format === "mermaid") return toMermaid(view);
  if (format === "dot") return toDot(view);
  return `${JSON.stringify(view, null, 2)}\n`;
}
