import type { PipelineGraph } from "../../pipeline/index.js";
import type { JobMetrics } from "./bundle-metrics.js";
import type { EmbeddedRunnerSettings } from "./embedded-runner.js";
import { Executor, type Enforcement, type ParallelPart } from "./executor.js";
import { planGraph } from "./planner.js";
import { ManualClock, SystemClock, type Clock } from "./watermarks/clock.js";

/** How a job (or one executor of a parallel job) is driven from outside. */
export interface RunControl {
  readonly metrics: JobMetrics;
  readonly isCancelled: () => boolean;
  readonly isDraining: () => boolean;
  /** Receives the job's clock, so cancel and drain can wake a sleeping executor. */
  readonly useClock: (clock: Clock) => void;
  readonly parallel?: ParallelPart;
  /** Aborted on cancel: the executor stops waiting for user code at once. */
  readonly cancelSignal?: AbortSignal;
  /** How a bundle retry waits for its backoff (tests pass a recording one); default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Plans the graph and runs it on one executor until it is done. */
export async function runPlan(graph: PipelineGraph, settings: EmbeddedRunnerSettings, control: RunControl): Promise<void> {
  const steps = planGraph(graph, { liftCombines: settings.liftCombines, expandComposites: settings.expandComposites });
  // A TestStream controls processing time; otherwise it is the wall clock.
  const clock = steps.some((s) => s.kind === "testStream") ? new ManualClock() : new SystemClock();
  control.useClock(clock);
  const executor = new Executor(steps, {
    bundleSize: settings.bundleSize,
    maxBundleRetries: settings.maxBundleRetries,
    isCancelled: control.isCancelled,
    isDraining: control.isDraining,
    metrics: control.metrics,
    memoryBudget: settings.memoryBudget,
    spillDir: settings.spillDir,
    clock,
    ...(control.parallel !== undefined ? { parallel: control.parallel } : {}),
    ...(control.cancelSignal !== undefined ? { cancelSignal: control.cancelSignal } : {}),
    ...(control.sleep !== undefined ? { sleep: control.sleep } : {}),
    ...(settings.enforceImmutability || settings.enforceEncodability ? { enforcement: enforcement(graph, settings) } : {}),
  });
  await executor.run();
}

/** The checks `--enforceImmutability` and `--enforceEncodability` ask for, with the graph's coders. */
function enforcement(graph: PipelineGraph, settings: EmbeddedRunnerSettings): Enforcement {
  return {
    immutability: settings.enforceImmutability,
    encodability: settings.enforceEncodability,
    pcollection: (id) => {
      const node = graph.pcollections.get(id)!;
      const producer = graph.transforms.get(node.producer)?.fullLabel ?? node.producer;
      return { coder: node.coder, producer, description: `${producer}.${node.tag} (${node.coder.toString()})` };
    },
  };
}
