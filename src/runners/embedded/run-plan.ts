import type { PipelineGraph } from "../../pipeline/index.js";
import type { JobMetrics } from "./bundle-metrics.js";
import type { EmbeddedRunnerSettings } from "./embedded-runner.js";
import { Executor, CancelledSignal, type Enforcement, type ExecutorCheckpointSettings, type ParallelPart } from "./executor.js";
import { CheckpointCoordinator, type CheckpointStats } from "./checkpoint/checkpoint-coordinator.js";
import { LocalCheckpointStorage } from "./checkpoint/checkpoint-storage.js";
import { planRestore } from "./checkpoint/restore-plan.js";
import { planStageMigrations, planStageShapes } from "./checkpoint/stage-shape.js";
import type { PlanStep } from "./plan.js";
import type { ExecutorObservation } from "./executor-observation.js";
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
  /** In a parallel job with checkpoints: this executor's link to the job's coordinator and its part to restore. */
  readonly checkpoints?: ExecutorCheckpointSettings;
  /** Receives each durable checkpoint's figures (job metrics). */
  readonly checkpointStats?: (stats: CheckpointStats) => void;
  /** Receives the job's checkpoint coordinator once it exists (savepoints on request). */
  readonly useCoordinator?: (coordinator: CheckpointCoordinator) => void;
  /** Receives how to observe the executor (JobSnapshots) once it is built. */
  readonly useExecutor?: (observe: () => ExecutorObservation) => void;
}

/** Plans the graph and runs it on one executor until it is done. */
export async function runPlan(graph: PipelineGraph, settings: EmbeddedRunnerSettings, control: RunControl): Promise<void> {
  const steps = planGraph(graph, { liftCombines: settings.liftCombines, expandComposites: settings.expandComposites });
  // A TestStream controls processing time; otherwise it is the wall clock.
  const clock = steps.some((s) => s.kind === "testStream") ? new ManualClock() : new SystemClock();
  control.useClock(clock);
  // One executor with checkpoints coordinates them itself; a parallel job's come from its coordinator.
  let stopReason: Error | undefined;
  let stopped = false;
  const local =
    control.checkpoints === undefined && control.parallel === undefined
      ? localCheckpoints(graph, settings, steps, control, clock, (reason) => {
          stopped = true;
          stopReason = reason;
          clock.wake();
          // An executor that finished meanwhile waits for a final checkpoint that will not come.
          void local?.coordinator.stop();
        })
      : undefined;
  const checkpoints = control.checkpoints ?? local?.settings;
  const executor = new Executor(steps, {
    bundleSize: settings.bundleSize,
    maxBundleRetries: settings.maxBundleRetries,
    isCancelled: () => control.isCancelled() || stopped,
    isDraining: control.isDraining,
    metrics: control.metrics,
    // A checkpointed job does not sort through spill files (they are not part of a
    // checkpoint); its stateful steps' cold tiers are (a snapshot copies their records).
    memoryBudget: settings.memoryBudget,
    pcollections: (id) => {
      const pc = graph.pcollections.get(id)!;
      return { coder: pc.coder, windowing: pc.windowing, name: `${graph.transforms.get(pc.producer)?.fullLabel ?? pc.producer}.${pc.tag}` };
    },
    ...(checkpoints !== undefined ? { checkpoints } : {}),
    spillDir: settings.spillDir,
    clock,
    ...(control.parallel !== undefined ? { parallel: control.parallel } : {}),
    ...(control.cancelSignal !== undefined ? { cancelSignal: control.cancelSignal } : {}),
    ...(control.sleep !== undefined ? { sleep: control.sleep } : {}),
    ...(settings.enforceImmutability || settings.enforceEncodability ? { enforcement: enforcement(graph, settings) } : {}),
  });
  control.useExecutor?.(() => executor.observe());
  try {
    local?.coordinator.start();
    await executor.run();
  } catch (err) {
    if (stopReason !== undefined && err instanceof CancelledSignal) throw stopReason;
    throw err;
  } finally {
    await local?.coordinator.stop();
  }
  if (stopReason !== undefined) throw stopReason;
}

/** Whether a graph has an unbounded PCollection: only such (streaming) jobs take checkpoints. */
export function isStreaming(graph: PipelineGraph): boolean {
  for (const pc of graph.pcollections.values()) if (!pc.isBounded) return true;
  return false;
}

/**
 * The checkpoints of a job on one executor: its coordinator (in this thread) and the
 * checkpoint it restores from, checked against the pipeline. Undefined without
 * --checkpointDir, and for bounded jobs (a batch job reruns instead: its sources replay).
 */
function localCheckpoints(
  graph: PipelineGraph,
  settings: EmbeddedRunnerSettings,
  steps: readonly PlanStep[],
  control: RunControl,
  clock: Clock,
  stop: (reason: Error | undefined) => void,
): { coordinator: CheckpointCoordinator; settings: ExecutorCheckpointSettings } | undefined {
  const cp = settings.checkpoint;
  if (cp === undefined || !isStreaming(graph)) return undefined;
  const storage = new LocalCheckpointStorage(cp.dir);
  storage.removeIncomplete();
  const stages = planStageShapes(steps);
  const restore = planRestore(storage, cp, stages, 1, planStageMigrations(steps, graph.stateMigrations));
  const coordinator = new CheckpointCoordinator(storage, cp, 1, { job: settings.jobName, stages }, {
    // An executor asleep until its next timer snapshots now.
    request: () => clock.wake(),
    stop: (reason) => stop(reason ?? new CancelledSignal()),
    ...(control.checkpointStats !== undefined ? { stats: control.checkpointStats } : {}),
  });
  control.useCoordinator?.(coordinator);
  if (restore?.header.finished === true) process.emitWarning(`Checkpoint ${restore.location} was taken when the job had finished; it ends at once.`, { type: "BeamCheckpointWarning" });
  return { coordinator, settings: { link: coordinator.localLink(0), ...(restore !== undefined ? { restore: restore.parts[0]! } : {}) } };
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
