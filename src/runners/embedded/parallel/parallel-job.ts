import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { fingerprintFileFor } from "../../../harness/contract.js";
import { JobMetricsStore, MetricsContainer } from "../../../metrics/index.js";
import type { ExecutorObservation } from "../executor-observation.js";
import { EMBEDDED_NAMESPACE } from "../bundle-metrics.js";
import { OptionsError } from "../../../model/index.js";
import { runsStartedInThisThread, type Pipeline } from "../../../pipeline/index.js";
import { pipelineModuleOf } from "../../pipeline-module.js";
import type { EmbeddedRunnerSettings } from "../embedded-runner.js";
import { CancelledSignal } from "../executor.js";
import { runPlan, type RunControl } from "../run-plan.js";
import { PieceClaims } from "./piece-claims.js";
import { CheckpointCoordinator } from "../checkpoint/checkpoint-coordinator.js";
import { LocalCheckpointStorage } from "../checkpoint/checkpoint-storage.js";
import { planRestore, type RestorePlan } from "../checkpoint/restore-plan.js";
import { planStageMigrations, planStageShapes } from "../checkpoint/stage-shape.js";
import { planGraph } from "../planner.js";
import { isStreaming } from "../run-plan.js";
import { Shard } from "./shard.js";
import { bundleForThreads, type ThreadBundle } from "./thread-bundle.js";
import { fromFailure, mergeReport, toThreadOptions, type ThreadCommand, type ThreadData, type ThreadReport } from "./thread-protocol.js";

/**
 * How long a worker thread may take to stop after a cancel or a failure before it is
 * terminated: enough to see the command between two elements and tear its DoFns down.
 */
const WORKER_STOP_GRACE_MS = 1000;

/**
 * A job of the embedded runner on N executors (`--parallelism N`): this thread runs
 * executor 0, and N-1 worker threads run the others, each over the same plan (see
 * docs/ARCHITECTURE.md, "Parallel execution"). Executors exchange elements at materialized
 * edges and tell each other their watermarks; the job ends when every executor is done,
 * and fails (stopping the others) when one fails.
 */
export class ParallelJob {
  private readonly workers: Worker[] = [];
  private failure: Error | undefined;
  private stop: (() => void) | undefined;
  /** Aborted when the job stops early (a failure, a cancel): every wait ends. */
  private readonly stopping = new AbortController();
  /** Drains and cancels asked so far, for workers that start later. */
  private readonly stopCommands: ThreadCommand[] = [];
  /** The job's checkpoint coordinator (an unbounded job with --checkpointDir). */
  private coordinator: CheckpointCoordinator | undefined;
  private restore: RestorePlan | undefined;
  /** Each worker thread's last observation (JobSnapshots). */
  private readonly observed = new Map<number, ExecutorObservation>();
  /** Each running worker thread's metrics so far; merged into the job's when it is done. */
  private readonly liveMetrics = new Map<number, JobMetricsStore>();

  /** The worker threads' last observations (executor 0's is the job's own). */
  workerObservations(): ExecutorObservation[] {
    return [...this.observed.values()];
  }

  /** Metrics of worker threads still running, not yet in the job's store. */
  workerMetrics(): JobMetricsStore[] {
    return [...this.liveMetrics.values()];
  }

  /** Worker threads started, and how many reported an observation. */
  get reporting(): number {
    return this.observed.size;
  }

  /** `module`: what the worker threads import (`parallelPipelineModule`, checked at submission). */
  constructor(
    private readonly pipeline: Pipeline,
    private readonly module: string,
    private readonly settings: EmbeddedRunnerSettings,
    private readonly control: Omit<RunControl, "parallel">,
  ) {}

  /** Forwards cancel and drain to the worker threads (this thread reads the control's flags). */
  command(command: ThreadCommand): void {
    // A drain or cancel asked before the workers exist (the pipeline is still being bundled)
    // is sent to each as it starts.
    if (command.kind === "drain" || command.kind === "cancel") this.stopCommands.push(command);
    for (const w of this.workers) w.postMessage(command);
  }

  async run(): Promise<void> {
    const count = this.settings.parallelism;
    const graph = this.pipeline.graph();
    // ports[i][j]: executor i's end of the channel between i and j.
    const ports: (MessagePort | undefined)[][] = Array.from({ length: count }, () => new Array<MessagePort | undefined>(count));
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const { port1, port2 } = new MessageChannel();
        ports[i]![j] = port1;
        ports[j]![i] = port2;
      }
    }
    const fingerprint = fingerprintFileFor(graph);
    const claims = PieceClaims.create();
    this.startCheckpoints(count);
    const startedAt = performance.now();
    // The threads run a bundle of the module. Made before this executor starts: esbuild
    // answers through this thread's event loop, which a busy executor would keep waiting.
    const bundle = await bundleForThreads(this.module);
    const finished = this.startWorkers(bundle, count, ports, fingerprint, claims, startedAt);
    // Requests reach every worker from now on (a worker not started yet finds them in its port).
    this.coordinator?.start();
    // This executor starts at once; each worker takes work when it has rebuilt the pipeline.
    const shard = new Shard(0, count, ports[0]!, claims);
    const cancelled = this.control.cancelSignal;
    const onCancel = () => this.stopping.abort();
    cancelled?.addEventListener("abort", onCancel, { once: true });
    if (cancelled?.aborted === true) onCancel();
    // While executor 0 runs, the workers do not keep this thread's event loop alive: if it
    // empties, executor 0 waits for user code that can never settle (Executor's stall check).
    for (const w of this.workers) w.unref();
    try {
      const own = runPlan(graph, this.settings, {
        ...this.control,
        cancelSignal: this.stopping.signal,
        isCancelled: () => this.control.isCancelled() || this.failure !== undefined,
        useClock: (clock) => {
          this.stop = () => clock.wake();
          this.control.useClock(clock);
        },
        parallel: { shard, pcollection: (id) => graph.pcollections.get(id)! },
        ...(this.coordinator !== undefined
          ? { checkpoints: { link: this.coordinator.localLink(0), ...(this.restore !== undefined ? { restore: this.restore.parts[0]! } : {}) } }
          : {}),
      })
        .catch((err: unknown) => this.fail(err))
        .finally(() => {
          for (const w of this.workers) w.ref();
        });
      await own;
      const reported = await this.workersEnded(finished);
      if (this.failure !== undefined) throw this.failure;
      // Cancelled after executor 0 ended, with a worker that never answered.
      if (!reported) throw new CancelledSignal();
    } finally {
      await this.coordinator?.stop();
      cancelled?.removeEventListener("abort", onCancel);
      shard.close();
      await Promise.all(this.workers.map((w) => w.terminate()));
      await bundle.dispose();
    }
  }

  /**
   * Waits for the workers to report. Once the job stops early, a worker gets
   * WORKER_STOP_GRACE_MS to see the cancel (it checks between elements) and tear its DoFns
   * down; one stuck in user code (a synchronous loop, a wait that ignores the cancel) is
   * then terminated by run(), which a thread, unlike this one, can be. Returns whether
   * every worker reported.
   */
  private async workersEnded(finished: readonly Promise<void>[]): Promise<boolean> {
    const all = Promise.all(finished).then(() => true);
    const stopped = this.stopping.signal;
    const whenStopped = new Promise<boolean>((resolve) => {
      if (stopped.aborted) resolve(false);
      else stopped.addEventListener("abort", () => resolve(false), { once: true });
    });
    if (await Promise.race([all, whenStopped])) return true;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([all, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), WORKER_STOP_GRACE_MS)))]);
    clearTimeout(timer);
    return ended;
  }

  /** Starts worker threads 1..count-1 on the bundle; resolves each when it ended. */
  private startWorkers(
    bundle: ThreadBundle,
    count: number,
    ports: (MessagePort | undefined)[][],
    fingerprint: string,
    claims: PieceClaims,
    startedAt: number,
  ): Promise<void>[] {
    const finished: Promise<void>[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 1; index < count; index++) {
      const data: ThreadData = {
        index,
        count,
        module: this.module,
        fingerprint,
        options: toThreadOptions(this.pipeline.options),
        ports: ports[index]!,
        claims: claims.buffer,
        ...(this.coordinator !== undefined ? { checkpoint: { restore: this.restore === undefined ? undefined : [...this.restore.parts[index]!] } } : {}),
      };
      const worker = new Worker(bundle.file, {
        workerData: data,
        transferList: ports[index]!.filter((p): p is MessagePort => p !== undefined),
        argv: process.argv.slice(2),
        // Not the parent's execArgv: a TypeScript loader there (tsx) would load itself into
        // every thread for nothing. Source maps give the bundle the module's file:line
        // positions, which default transform names are made of (pipeline/naming.ts).
        execArgv: ["--enable-source-maps"],
      });
      this.workers.push(worker);
      for (const command of this.stopCommands) worker.postMessage(command);
      let onReady: () => void = () => {};
      ready.push(new Promise<void>((resolve) => (onReady = resolve)));
      finished.push(this.watch(worker, index, onReady));
    }
    void Promise.all(ready).then(() => this.recordStartup(performance.now() - startedAt));
    return finished;
  }

  /** Resolves when worker `index` reported done (its metrics merged) or failed. */
  private watch(worker: Worker, index: number, onReady: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let reported = false;
      worker.on("message", (report: ThreadReport) => {
        if (report.kind === "ready") return onReady();
        if (report.kind === "observation") {
          this.observed.set(index, report.observation);
          const live = new JobMetricsStore();
          mergeReport(live, report);
          this.liveMetrics.set(index, live);
          return;
        }
        if (report.kind === "checkpointPart") {
          if (report.final) this.coordinator?.receiveFinal(index, report.part);
          else this.coordinator?.receivePart(index, report.id, report.part);
          return;
        }
        reported = true;
        if (report.kind === "done") {
          this.liveMetrics.delete(index);
          mergeReport(this.control.metrics.results(), report);
        }
        else if (report.kind === "cancelled") this.fail(new CancelledSignal());
        else this.fail(fromFailure(report.failure, index));
        resolve();
      });
      worker.on("error", (err) => {
        reported = true;
        this.fail(err);
        resolve();
      });
      worker.on("exit", (code) => {
        if (!reported) this.fail(new Error(`Worker thread ${index} exited (code ${code}) before finishing its part of the job.`));
        resolve();
      });
    });
  }

  /**
   * An unbounded job with --checkpointDir: the coordinator (in this thread) and the
   * checkpoint to restore from, checked against the pipeline before any executor starts.
   */
  private startCheckpoints(count: number): void {
    const cp = this.settings.checkpoint;
    const graph = this.pipeline.graph();
    if (cp === undefined || !isStreaming(graph)) return;
    const storage = new LocalCheckpointStorage(cp.dir);
    storage.removeIncomplete();
    const steps = planGraph(graph, { liftCombines: this.settings.liftCombines, expandComposites: this.settings.expandComposites });
    const stages = planStageShapes(steps);
    this.restore = planRestore(storage, cp, stages, count, planStageMigrations(steps, graph.stateMigrations));
    this.coordinator = new CheckpointCoordinator(storage, cp, count, { job: this.settings.jobName, stages }, {
      request: (id) => {
        this.command({ kind: "checkpoint", id });
        this.stop?.();
      },
      completed: (id) => this.command({ kind: "checkpointComplete", id }),
      stop: (reason) => this.fail(reason ?? new CancelledSignal()),
      ...(this.control.checkpointStats !== undefined ? { stats: this.control.checkpointStats } : {}),
    });
    this.control.useCoordinator?.(this.coordinator);
  }

  /** How long the worker threads took to start and rebuild the pipeline (a gauge of the job). */
  private recordStartup(millis: number): void {
    const c = new MetricsContainer("");
    c.gauge(EMBEDDED_NAMESPACE, "threadStartupMillis").set(Math.round(millis));
    this.control.metrics.results().record([c], true);
  }

  /** The first failure fails the job: every executor stops. */
  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.command({ kind: "cancel" });
    this.stopping.abort();
    this.stop?.();
  }
}

/**
 * The module worker threads import to rebuild `pipeline`, checked when the job is submitted:
 * `--pipelineModule`, else the program's entry, which a worker can only use for the
 * program's first pipeline (it serves the first `run()` its import makes).
 */
export function parallelPipelineModule(pipeline: Pipeline): string {
  const module = pipelineModuleOf(pipeline.options, "--parallelism");
  const named = pipeline.options["pipelineModule"];
  if ((named === undefined || named === "") && runsStartedInThisThread() > 1) {
    throw new OptionsError(
      `--parallelism runs the program's first pipeline only: worker threads rebuild the pipeline by importing ` +
        `${module}, and its first Pipeline.run() is not this one (this program already ran a pipeline). Run each ` +
        `pipeline as its own program, or name a module that builds this one with --pipelineModule.`,
    );
  }
  return module;
}
