import type { Coder, WindowedValue, WindowingStrategy } from "../../model/index.js";
import { windowCoderOf, windowedValueCoder } from "../../coders/index.js";
import { BeamError, MIN_TIMESTAMP, StalledError } from "../../model/index.js";
import {
  AssignWindowsOperation,
  DoFnOperation,
  ReduceRunner,
  SideInputStore,
  combiningReduceFn,
  fanOut,
  groupingReduceFn,
  PendingCalls,
  attemptsNote,
  backoffDelay,
  classifyFailure,
  type FinalizationCallback,
  type Operation,
  type Receiver,
} from "../../runtime/index.js";
import { keyIdentifier, type PCollectionView, type StateSpecMap, type TimerSpecMap } from "../../transforms/index.js";

type StatefulSpecs = { readonly state?: StateSpecMap; readonly timers?: TimerSpecMap };
import type { MemoryBudget } from "./embedded-runner.js";
import { KvCheckSink } from "./kv-check-sink.js";
import type { BundleMetrics } from "./bundle-metrics.js";
import { finalizeNow, type FinalizationGate, type FinalizationMetrics } from "./finalization-gate.js";
import {
  BufferStage,
  ReduceStage,
  SideInputStage,
  combiningMigrationCoder,
  combiningStateCoders,
  groupingMigrationCoder,
  groupingStateCoders,
  type LateDataReporter,
} from "./materialized-stages.js";
import { PushedBackElements } from "./pushed-back-elements.js";
import { readsMaterializedInput, stepOutputs, type PlanStep } from "./plan.js";
import { BufferSink, SideInputSink, type Sink } from "./sinks.js";
import { ImpulseStage, ReadStage, TestStreamStage } from "./source-stages.js";
import { MemoryPlan } from "./memory-plan.js";
import { SpillingGroupStage, type SpillReporter } from "./spilling-group-stage.js";
import { SpillingCombineStage } from "./spilling-combine-stage.js";
import { SpillingStatefulStage } from "./spilling-stateful-stage.js";
import { StatefulEntry, StatefulStage } from "./stateful-stage.js";
import { ExchangeSink, type Partitioning } from "./parallel/exchange-sink.js";
import { LocalEdge, rescaledFrom, type RestoredEdge } from "./checkpoint/rescale.js";
import type { Shard } from "./parallel/shard.js";
import { pieceSharing } from "./parallel/piece-claims.js";
import { SplittableEntry, SplittableStage, type SplittableSettings } from "./splittable-stage.js";
import { EncodabilitySink } from "./encodability-sink.js";
import { EdgeCheck, ImmutabilityCheckingReceiver, ImmutabilityJournal } from "./immutability-enforcement.js";
import { ElementWiseChain, chainFrom, type ChainWiring } from "./element-wise-chain.js";
import { elementWiseOf, type ElementWise } from "../../transforms/element-wise.js";
import { CheckpointGate } from "./checkpoint/checkpoint-gate.js";
import { ExecutorCheckpointing, type CheckpointMetrics, type CoordinatorLink } from "./checkpoint/executor-checkpointing.js";
import { restoreExecutor, snapshotExecutor, type ExecutorStateHost } from "./checkpoint/executor-state.js";

/**
 * Splittable DoFns: pieces asked of splitRestriction per element, and the checkpoint
 * budget of one process call (Beam Java checkpoints after 10,000 outputs or 10 seconds;
 * a single-threaded runner wants shorter turns).
 */
const SPLITTABLE_SETTINGS: SplittableSettings = { desiredChunks: 4, maxClaims: 10_000, maxMillis: 100 };
import type { Stage, StepContext } from "./stage.js";
import type { DeferredSection } from "./checkpoint/deferred-section.js";
import { ManualClock, type Clock } from "./watermarks/clock.js";
import { LullWatchdog } from "./lull-watchdog.js";
import { onEmptyEventLoop } from "./empty-event-loop.js";
import { ProgressTracker, type ProgressNode } from "./watermarks/progress-tracker.js";
import { CountingReceiver, StageCounters, type ExecutorObservation } from "./executor-observation.js";

/** Settings of one execution. */
export interface ExecutorSettings {
  readonly bundleSize: number;
  readonly maxBundleRetries: number;
  readonly isCancelled: () => boolean;
  readonly isDraining: () => boolean;
  readonly metrics: BundleMetrics & LateDataReporter & SpillReporter & FinalizationMetrics & CheckpointMetrics;
  /**
   * Where committed bundles' `afterBundleCommit` callbacks go; default: run at once
   * (`finalizeNow`). The seam where checkpoints (issue #21) will hold them.
   */
  readonly finalization?: FinalizationGate;
  /**
   * What the job's keyed steps may hold in memory before going through `spillDir`
   * (undefined: no budget, everything in memory), shared equally by the steps that can.
   */
  readonly memoryBudget: MemoryBudget | undefined;
  readonly spillDir: string;
  /** Processing time; a job with a TestStream always runs on a ManualClock. */
  readonly clock: Clock;
  /** This executor's part of a parallel job (`--parallelism`); undefined: the whole job. */
  readonly parallel?: ParallelPart;
  /**
   * How a bundle retry waits for its backoff (tests pass a recording one); default: a
   * timer, ended early by a cancel.
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /** What is checked of user code (`--enforceImmutability`, `--enforceEncodability`); undefined: nothing. */
  readonly enforcement?: Enforcement;
  /**
   * Aborted when the job is cancelled: ends a wait for user code at once (`isCancelled`
   * is only polled, between elements and passes).
   */
  readonly cancelSignal?: AbortSignal;
  /** How long a call into user code may be pending before a lull warning (default 5 minutes). */
  readonly lullTimeoutMillis?: number;
  /** Every PCollection's coder and windowing, and a name for it that stays stable across runs. */
  readonly pcollections?: (id: string) => { readonly coder: Coder<unknown>; readonly windowing: WindowingStrategy; readonly name: string };
  /** Checkpoints of this executor (docs/FAULT_TOLERANCE.md); undefined: none. */
  readonly checkpoints?: ExecutorCheckpointSettings;
}

/** What an executor needs for checkpoints: its coordinator, and the part of a checkpoint it starts from. */
export interface ExecutorCheckpointSettings {
  readonly link: CoordinatorLink;
  /** This executor's sections of the checkpoint the job restores from, stage sections already under their new names. */
  readonly restore?: ReadonlyMap<string, Uint8Array>;
}

/**
 * The model checks of the embedded runner, as Beam DirectRunner's `enforceImmutability` and
 * `enforceEncodability` (docs/ARCHITECTURE.md, "Immutability and encodability").
 */
export interface Enforcement {
  /** DoFns must not change their inputs, nor values after outputting them (checked, sampled past the first elements). */
  readonly immutability: boolean;
  /** Elements crossing a materialized edge go through their PCollection's coder, and the copy goes on. */
  readonly encodability: boolean;
  /** A PCollection's coder, how to name it, and the full label of the step that outputs it. */
  readonly pcollection: (id: string) => { readonly coder: Coder<unknown>; readonly description: string; readonly producer: string };
}

/** What an executor of a parallel job needs: its shard and the PCollections' coders. */
export interface ParallelPart {
  readonly shard: Shard;
  readonly pcollection: (id: string) => { readonly coder: Coder<unknown>; readonly windowing: WindowingStrategy };
}

interface StagePlan {
  readonly stage: Stage;
  readonly node: ProgressNode;
  /** Operations a bundle of this stage reaches, upstream first. */
  readonly ops: readonly Operation[];
  readonly sinks: readonly Sink[];
  readonly doFnOps: readonly DoFnOperation[];
  /** Under --enforceImmutability, a stage whose entry is a DoFn step: the step and its input's coder. */
  readonly entryInput?: { readonly step: string; readonly coder: Coder<unknown> };
  /** Its bundles, for JobSnapshots. */
  readonly counters: StageCounters;
  /** Full labels of the plan steps its bundles run, upstream first. */
  readonly steps: readonly string[];
}

/** Longest stretch of a retry's backoff between two checks for a cancel. */
const BACKOFF_SLICE_MS = 100;

/** Longest stretch of work between two yields to the event loop. */
const YIELD_EVERY_MS = 20;

/** Signals cancellation out of a running bundle loop. */
export class CancelledSignal extends Error {}

/**
 * How long a cancelled or stalled executor waits for sources to close and DoFns to tear
 * down: Beam calls teardown best effort, and the user code that stalled may hang there too.
 */
const CLEANUP_GRACE_MS = 1000;

/**
 * Runs a plan: one operation per step, fused edges as direct calls, materialized edges as
 * sinks feeding stages. The loop steps every stage in topological order, then updates
 * watermarks (watermarks/README.md); when nothing moved it sleeps until the next
 * processing-time wake-up. Batch is the case where every source ends at once: the
 * watermark jumps to +infinity and every window fires in the first pass.
 *
 * Bundles are all-or-nothing: sinks commit only when every operation of the bundle
 * finished, and a failed bundle is retried with fresh DoFn instances, after a backoff,
 * unless its failure is permanent (runtime/retry-policy.ts).
 */
export class Executor {
  private readonly stages: Stage[] = [];
  private plans: StagePlan[] = [];
  private readonly allOps: Operation[] = [];
  /** Fused consumers and sinks of each PCollection. */
  private readonly consumers = new Map<string, Operation[]>();
  private readonly order = new Map<Operation, number>();
  private readonly outputsOf = new Map<Operation, readonly string[]>();
  private readonly receivers = new Map<string, Receiver>();
  /** Each PCollection's element count (its receiver counts): JobSnapshot's elements in and out. */
  private readonly counted = new Map<string, { readonly count: number }>();
  private readonly sideInputs = new SideInputStore();
  private tracker!: ProgressTracker;
  /** In a parallel job: the exchanges in front of materialized edges, by channel number. */
  private readonly channels: ExchangeSink[] = [];
  /** Every materialized edge by channel number, at any parallelism: where a rescaled restore re-routes recorded channel elements. */
  private readonly edges: RestoredEdge[] = [];
  /** In a parallel job: the PCollections whose watermark is shared between executors. */
  private readonly exchanged = new Set<string>();
  /** Under --enforceImmutability: the bundle's checked elements, verified before it commits. */
  private readonly journal: ImmutabilityJournal | undefined;
  /** The DoFn step that outputs each PCollection a ParDo produces. */
  private readonly doFnProducers = new Map<string, string>();
  /** Map, filter and flatMap steps that may run inside a composed chain, and their main output. */
  private readonly elementWise = new Map<DoFnOperation, { readonly step: ElementWise; readonly output: string }>();
  /** What composed chains are built from (element-wise-chain.ts). */
  private readonly chainWiring: ChainWiring = {
    elementWise: (op) => this.elementWise.get(op),
    consumers: (pc) => this.consumers.get(pc),
    receiverOf: (pc) => this.receiverOf(pc),
    edgeCheck: (pc, producer, reader) =>
      this.journal === undefined ? undefined : new EdgeCheck(this.settings.enforcement!.pcollection(pc).coder, producer, reader, this.journal),
  };
  /** Calls into user code whose promise has not settled (stall detection, lull warnings). */
  readonly pendingCalls = new PendingCalls();
  /** Why the run stops early (a cancel, a stall), once known. */
  private interruption: Error | undefined;
  /** Rejects the stage step the run loop is waiting for (one at a time). */
  private onInterrupt: ((reason: Error) => void) | undefined;
  /** The stage whose step the run loop is in, for a stall's message. */
  private currentStage: string | undefined;
  private lastYield = performance.now();
  /** Where committed bundles' finalization callbacks go (each executor, or worker thread, its own). */
  private readonly finalization: FinalizationGate;
  /** This executor's side of checkpoints; undefined without. */
  private readonly checkpointing: ExecutorCheckpointing | undefined;
  /** Which keyed steps go through local disk under --memoryBudget, and their shares. */
  private readonly memory: MemoryPlan;


  constructor(
    private readonly steps: readonly PlanStep[],
    private readonly settings: ExecutorSettings,
  ) {
    if (settings.checkpoints !== undefined) {
      const gate = new CheckpointGate(settings.metrics);
      this.finalization = gate;
      this.checkpointing = new ExecutorCheckpointing(settings.checkpoints.link, gate, this, settings.parallel?.shard, settings.metrics);
    } else {
      this.finalization = settings.finalization ?? finalizeNow(settings.metrics);
      this.checkpointing = undefined;
    }
    if (settings.enforcement?.immutability === true) this.journal = new ImmutabilityJournal();
    this.memory = new MemoryPlan(steps, {
      memoryBudget: settings.memoryBudget,
      checkpointed: settings.checkpoints !== undefined,
      spillDir: settings.spillDir,
      executors: settings.parallel?.shard.count ?? 1,
      metrics: settings.metrics,
    });
    this.build();
  }

  /** Runs until every stage is done (or the job is cancelled, or stalls for good). */
  async run(): Promise<void> {
    const { clock } = this.settings;
    const unwatch = this.watch();
    try {
      const restore = this.settings.checkpoints?.restore;
      if (restore !== undefined) {
        const started = performance.now();
        await this.restore(restore);
        this.settings.metrics.restored(performance.now() - started);
      }
      for (;;) {
        const pause = this.pause();
        if (pause) await pause;
        this.checkpointing?.passBoundary();
        let progress = this.applyInbox();
        for (const plan of this.plans) {
          const input = this.tracker.inputWatermark(plan.node);
          if (!plan.stage.done) {
            const ctx: StepContext = {
              now: clock.now(),
              inputWatermark: input,
              draining: this.settings.isDraining(),
              emit: (elements) => this.emit(plan, elements),
            };
            this.currentStage = plan.stage.label;
            if (await this.interruptible(plan.stage.step(ctx))) progress = true;
          }
          if (this.tracker.update(plan.node, plan.stage.outputWatermark(input), plan.stage.idle)) progress = true;
        }
        this.publishWatermarks();
        if (this.plans.every((p) => p.stage.done)) {
          if (this.checkpointing !== undefined) await this.finishCheckpointing(this.checkpointing);
          return;
        }
        if (!progress) await this.waitForWork();
      }
    } finally {
      unwatch();
      await this.cleanUp();
    }
  }

  /**
   * Between elements and between passes: stops a cancelled or stalled run, and yields to
   * the event loop when the work since the last yield took longer than YIELD_EVERY_MS (a
   * source that always has data, or a bundle of slow synchronous calls, would otherwise
   * keep timers, I/O, cancel, drain and signals waiting). One clock read; undefined when
   * there is nothing to wait for.
   */
  private pause(): Promise<void> | undefined {
    this.throwIfStopped();
    if (performance.now() - this.lastYield <= YIELD_EVERY_MS) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.lastYield = performance.now();
      this.throwIfStopped();
    });
  }

  private throwIfStopped(): void {
    if (this.interruption !== undefined) throw this.interruption;
    if (this.settings.isCancelled()) throw new CancelledSignal();
  }

  /**
   * A stage's step, ended at once by a cancel or a stall: the step may be waiting for user
   * code (an async process call, a source's read) that takes long or never settles. What
   * was abandoned stops at its next pause (or never resumes).
   */
  private interruptible<T>(work: Promise<T>): Promise<T> {
    if (this.interruption !== undefined) return Promise.reject(this.interruption);
    return new Promise<T>((resolve, reject) => {
      this.onInterrupt = reject;
      work.then(resolve, reject).finally(() => {
        if (this.onInterrupt === reject) this.onInterrupt = undefined;
      });
    });
  }

  /** Stops the run: the current wait ends with `reason`, and every later pause throws it. */
  private interrupt(reason: Error): void {
    if (this.interruption !== undefined) return;
    this.interruption = reason;
    this.onInterrupt?.(reason);
    this.settings.clock.wake();
  }

  /**
   * While the run lasts: a cancel ends waits at once; an empty event loop (`beforeExit`)
   * means that what the run waits for can never settle (nothing is left to settle it: the
   * runner's own timers and ports do not keep the loop alive while it waits for user code),
   * so the job fails at once instead of the process exiting with code 13 and no word; and
   * calls pending for long get lull warnings. Returns the function that stops watching.
   */
  private watch(): () => void {
    const signal = this.settings.cancelSignal;
    const onCancel = () => this.interrupt(new CancelledSignal());
    signal?.addEventListener("abort", onCancel, { once: true });
    if (signal?.aborted === true) onCancel();
    const stopStallCheck = onEmptyEventLoop(() => this.interrupt(this.stallError()));
    const stopWatchdog = new LullWatchdog(this.pendingCalls, this.settings.lullTimeoutMillis).start();
    return () => {
      signal?.removeEventListener("abort", onCancel);
      stopStallCheck();
      stopWatchdog();
    };
  }

  /** The failure of a run whose thread has nothing left to run while it waits. */
  private stallError(): StalledError {
    const pending = this.pendingCalls;
    const what =
      pending.size > 0
        ? `${pending.describe()} returned a promise that never settled`
        : `step "${this.currentStage ?? "?"}" waits for a promise that never settled`;
    return new StalledError(
      `The job stalled: ${what}, and nothing is left that could settle it (the event loop is empty). ` +
        `A promise whose resolve is never called (a lost callback, an event that fired before it was awaited) ` +
        `holds its bundle for ever: make every path settle it, or give the ParDo a timeout ` +
        `(parDo(fn, { timeout: ms })) to fail such elements.`,
    );
  }

  /**
   * Closes sources and tears DoFns down. After a cancel or a stall this waits at most
   * CLEANUP_GRACE_MS: the user code that hung may hang in teardown too.
   */
  private async cleanUp(): Promise<void> {
    const closing = (async () => {
      await Promise.all(this.stages.map((s) => s.close?.()));
      await Promise.all(this.allOps.map((op) => op.teardown?.()));
    })();
    if (this.interruption === undefined && !this.settings.isCancelled()) return closing;
    closing.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEANUP_GRACE_MS)))]);
    clearTimeout(timer);
  }

  /** Applies what other executors sent (a parallel job), between passes. */
  private applyInbox(): boolean {
    const shard = this.settings.parallel?.shard;
    return shard !== undefined && shard.applyInbox((channel, bytes, count) => this.channels[channel]!.deliver(bytes, count), this.checkpointing);
  }

  /**
   * Every stage is done. A part of a checkpoint still waiting for other executors' markers
   * is completed first (they may still send elements this executor must record), then the
   * final part goes to the coordinator; held finalizations run once the final checkpoint is
   * durable.
   */
  private async finishCheckpointing(checkpointing: ExecutorCheckpointing): Promise<void> {
    while (checkpointing.inProgress) {
      this.throwIfStopped();
      checkpointing.passBoundary();
      if (!this.applyInbox()) await this.settings.clock.sleepUntil(this.settings.clock.now() + 5);
    }
    // The final checkpoint's completion comes over a port that does not keep a worker thread
    // alive (shard.ts): this wait is the runner's, not user code's, so it holds the loop open.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await this.interruptible(checkpointing.finish());
    } catch (err) {
      // The job stopped while this executor waited for the final checkpoint: a cancel.
      this.throwIfStopped();
      throw err;
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * This executor's state, between passes (checkpoint/executor-state.ts): each stage's
   * snapshot, each stage's output watermark, the side inputs.
   */
  snapshotSections(): Map<string, Uint8Array | DeferredSection> {
    return snapshotExecutor(this.stateHost());
  }

  /** Restores this executor from its part of a checkpoint, before the first pass (checkpoint/executor-state.ts). */
  private restore(sections: ReadonlyMap<string, Uint8Array>): Promise<void> {
    return restoreExecutor(this.stateHost(), sections);
  }

  /** What the executor's state is made of, for checkpoints. */
  private stateHost(): ExecutorStateHost {
    const pcollections = this.settings.pcollections;
    if (pcollections === undefined) throw new BeamError("INTERNAL", "Checkpoints need the PCollections' coders (ExecutorSettings.pcollections).");
    return {
      plans: this.plans,
      tracker: this.tracker,
      sideInputs: this.sideInputs,
      sideInputPcs: this.sideInputPcs,
      channels: this.channels,
      edges: this.edges,
      executor: this.executorIdentity,
      pcollections,
      finalization: this.finalization,
    };
  }

  /**
   * What this executor did so far, for JobSnapshots: elements per PCollection, and per stage
   * its bundles, watermarks and (splittable DoFns) restriction progress. Cheap: read between
   * passes or from a timer, never per element.
   */
  observe(): ExecutorObservation {
    const pcollections: Record<string, number> = {};
    for (const [pc, r] of this.counted) pcollections[pc] = r.count;
    const stages = this.plans.map((plan) => {
      const progress = plan.stage.progress?.();
      return {
        label: plan.stage.label,
        steps: plan.steps,
        isSource: plan.stage.isSource,
        inputWatermark: this.tracker.inputWatermark(plan.node),
        outputWatermark: this.tracker.outputWatermark(plan.node),
        bundles: plan.counters.bundles,
        elements: plan.counters.elements,
        bundleMillis: plan.counters.bundleMillis,
        retries: plan.counters.retries,
        failures: plan.counters.failures,
        done: plan.stage.done,
        ...(progress !== undefined ? { progress } : {}),
      };
    });
    return { pcollections, stages };
  }

  /** Tells the other executors how far this one's exchanged PCollections got. */
  private publishWatermarks(): void {
    const shard = this.settings.parallel?.shard;
    if (shard === undefined) return;
    for (const pc of this.exchanged) shard.publishWatermark(pc, this.tracker.localWatermarkOf(pc));
  }

  private async waitForWork(): Promise<void> {
    const { clock } = this.settings;
    const shard = this.settings.parallel?.shard;
    if (shard?.hasMessages === true) return;
    let wake = Infinity;
    for (const p of this.plans) if (!p.stage.done) wake = Math.min(wake, p.stage.nextWakeup());
    const sourcesOpen = this.plans.some((p) => p.stage.isSource && !p.stage.done);
    const remoteOpen = shard !== undefined && [...this.exchanged].some((pc) => shard.remoteOpen(pc));
    if (wake === Infinity && !sourcesOpen && !remoteOpen && !clock.controlled) {
      const stuck = this.plans.filter((p) => !p.stage.done).map((p) => p.stage.label);
      throw new BeamError("INTERNAL", `The embedded runner found no runnable step; waiting: ${stuck.join(", ")}.`);
    }
    await clock.sleepUntil(wake);
  }

  /** Runs elements through a stage's fused chain in bundles of at most bundleSize. */
  private async emit(plan: StagePlan, elements: readonly WindowedValue<unknown>[]): Promise<void> {
    const size = this.settings.bundleSize;
    if (elements.length <= size) return this.bundle(plan, elements);
    for (let i = 0; i < elements.length; i += size) {
      if (this.settings.isCancelled()) throw new CancelledSignal();
      await this.bundle(plan, elements.slice(i, i + size));
    }
  }

  /** Runs one bundle; a DoFn step that is the stage's entry gets its inputs checked (--enforceImmutability). */
  private bundle(plan: StagePlan, elements: readonly WindowedValue<unknown>[]): Promise<void> {
    this.journal?.expectEntry(plan.entryInput && { ...plan.entryInput, elements });
    return this.runBundle(plan, elements);
  }

  private async runBundle(plan: StagePlan, elements: readonly WindowedValue<unknown>[]): Promise<void> {
    const { maxBundleRetries } = this.settings;
    for (let attempt = 0; ; attempt++) {
      const metrics = this.settings.metrics.startBundle(plan.doFnOps);
      const started = performance.now();
      let finalizations: FinalizationCallback[];
      try {
        for (const op of plan.ops) await op.startBundle();
        const entry = plan.stage.entry;
        const backpressure = plan.doFnOps;
        for (let i = 0; i < elements.length; i++) {
          entry.receive(elements[i]!);
          if ((i & 15) === 15) {
            for (const op of backpressure) {
              const wait = op.whenReady();
              if (wait) await wait;
            }
            // A bundle of slow elements must not hold a cancel (or a signal) for its whole length.
            const pause = this.pause();
            if (pause) await pause;
          }
        }
        for (const op of plan.ops) await op.finishBundle();
        // An abandoned bundle whose wait ended after a cancel must not commit.
        this.throwIfStopped();
        for (const sink of plan.sinks) sink.commit();
        metrics.commit();
        plan.counters.bundle(elements.length, performance.now() - started, false, attempt > 0);
        finalizations = plan.doFnOps.flatMap((op) => op.finalizations.take());
      } catch (err) {
        for (const sink of plan.sinks) sink.abort();
        metrics.abort();
        plan.counters.bundle(elements.length, performance.now() - started, true, attempt > 0);
        // A failed attempt's callbacks are discarded with it; a retry registers its own.
        for (const op of plan.doFnOps) op.finalizations.clear();
        // A cancel or stall is not retried; the run's clean-up tears down, with a bound.
        if (err instanceof CancelledSignal || err === this.interruption) throw err;
        // Beam discards DoFn instances after a failure; the retry gets fresh ones.
        await Promise.all(plan.doFnOps.map((op) => op.teardown()));
        // Only failures that may pass are retried (runtime/retry-policy.ts), after a backoff.
        const failure = classifyFailure(err);
        if (failure.permanent || attempt >= maxBundleRetries) {
          if (err instanceof BeamError && (attempt > 0 || maxBundleRetries > 0)) {
            const note = attemptsNote(attempt + 1, failure, maxBundleRetries);
            // A multi-line message (an assertion's diff) gets the note on a line of its own.
            err.message += err.message.includes("\n") ? `\n${note}` : ` ${note}`;
          }
          throw err;
        }
        await this.backoff(backoffDelay(attempt + 1));
        continue;
      }
      // After the commit, outside the attempt: finalization never fails or retries a bundle.
      await this.finalization.bundleCommitted(finalizations);
      return;
    }
  }

  /** Waits before retrying a bundle; a cancel ends the wait, and the job, at once. */
  private async backoff(ms: number): Promise<void> {
    const { sleep, isCancelled } = this.settings;
    if (sleep !== undefined) {
      await sleep(ms);
    } else {
      // In slices, so a cancel during a long backoff is seen within BACKOFF_SLICE_MS.
      for (let left = ms; left > 0 && !isCancelled(); left -= BACKOFF_SLICE_MS) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, BACKOFF_SLICE_MS)));
      }
    }
    if (isCancelled()) throw new CancelledSignal();
  }

  /** Creates operations from the last step to the first, so every output has its receiver. */
  private build(): void {
    const sideInputPcs = new Set<string>();
    for (const s of this.steps) if (s.kind === "parDo") for (const v of s.sideInputs) sideInputPcs.add(v.pcollection.id);
    this.sideInputPcs = sideInputPcs;
    for (const pc of sideInputPcs) {
      const sink = new SideInputSink(`SideInput(${pc})`, this.sideInputs, pc);
      this.addConsumer(pc, this.materialize(pc, sink, { kind: "broadcast" }), Infinity);
    }

    for (let i = this.steps.length - 1; i >= 0; i--) this.buildStep(this.steps[i]!, i);
    // Steps were visited last to first; stages run in topological (application) order.
    this.stages.reverse();
    this.plans = this.stages.map((stage) => this.planStage(stage));
    const shard = this.settings.parallel?.shard;
    const remote = shard && ((pc: string) => (this.exchanged.has(pc) ? shard.remoteWatermark(pc) : Infinity));
    this.tracker = new ProgressTracker(
      this.plans.map((p) => p.node),
      remote,
    );
    shard?.wakeOnMessage(() => this.settings.clock.wake());
  }

  private readonly now = () => this.settings.clock.now();
  /** The PCollections read as side inputs. */
  private sideInputPcs: ReadonlySet<string> = new Set();

  /** This executor's index and the job's executor count. */
  private get executorIdentity(): { readonly index: number; readonly count: number } {
    return { index: this.shardIndex, count: this.settings.parallel?.shard.count ?? 1 };
  }

  /**
   * The executor a DoFn's bundles are told (StartBundleContext.executor). A DoFn may name
   * external resources by its index: writeToKafka's exactly-once sink keeps a pool of
   * transactional ids per executor, `<prefix>-<executor>-<slot>`, and fences the ids of its
   * own pool when it starts, aborting what a crashed run left open on them. Restored at a
   * higher --parallelism, every old pool still has its executor; restored at a lower one,
   * the pools of executors that are gone would stay unfenced (their open transactions block
   * read_committed consumers until the broker's timeout), so reading the index then fails
   * the step's first bundle, naming the step and the fix.
   */
  private doFnExecutorIdentity(step: string): { readonly index: number; readonly count: number } {
    const identity = this.executorIdentity;
    const restore = this.settings.checkpoints?.restore;
    const parts = restore === undefined ? undefined : rescaledFrom(restore);
    if (parts === undefined || parts <= identity.count) return identity;
    return {
      count: identity.count,
      get index(): number {
        throw new BeamError(
          "CHECKPOINT_INCOMPATIBLE",
          `Step "${step}" reads its executor index (StartBundleContext.executor), as exactly-once sinks that name transactions by executor do (writeToKafka({ exactlyOnce: true })), ` +
            `and this job was restored at --parallelism ${identity.count} from a checkpoint taken at ${parts}: the transactions left open by executors ${identity.count} to ${parts - 1} would not be fenced. ` +
            `Restore at --parallelism ${parts} or more.`,
        );
      },
    };
  }

  /** Index of this executor in a parallel job (0 when it runs the whole job). */
  private get shardIndex(): number {
    return this.settings.parallel?.shard.index ?? 0;
  }

  /**
   * The sink of a materialized edge: the real one, or in a parallel job an exchange that
   * routes each element to the executor that should consume it.
   */
  private materialize(pc: string, sink: Sink, partitioning: Partitioning): Sink {
    // Grouping by key needs KVs: checked where the elements leave for the grouping step
    // (before an exchange between threads, which partitions them by key).
    const checked = (s: Sink) => {
      const copied = this.encodable(pc, s);
      return partitioning.kind === "byKey" ? new KvCheckSink(copied) : copied;
    };
    const parallel = this.settings.parallel;
    if (parallel === undefined) {
      // A checkpoint taken by several executors may hold elements in flight on this edge.
      const pcs = this.settings.pcollections;
      if (pcs !== undefined && this.settings.checkpoints !== undefined) {
        const { coder, windowing } = pcs(pc);
        this.edges.push(new LocalEdge(sink, windowedValueCoder(coder, windowCoderOf(windowing)), partitioning));
      }
      return checked(sink);
    }
    const { coder, windowing } = parallel.pcollection(pc);
    const wvCoder = windowedValueCoder(coder, windowCoderOf(windowing));
    const exchange = new ExchangeSink(sink, this.channels.length, parallel.shard, wvCoder, partitioning);
    this.channels.push(exchange);
    this.edges.push(exchange);
    this.exchanged.add(pc);
    return checked(exchange);
  }

  /**
   * Under --enforceEncodability, elements entering a materialized edge go through their
   * PCollection's coder and the copy goes on, at every parallelism (encodability-sink.ts).
   */
  private encodable(pc: string, sink: Sink): Sink {
    const enforcement = this.settings.enforcement;
    if (enforcement?.encodability !== true) return sink;
    const { coder, description, producer } = enforcement.pcollection(pc);
    return new EncodabilitySink(sink, coder, { pcollection: description, producer });
  }

  private buildStep(step: PlanStep, index: number): void {
    const out = (pc: string) => this.receiverOf(pc);
    switch (step.kind) {
      case "impulse":
      case "read": {
        const stage =
          step.kind === "impulse"
            ? new ImpulseStage(step.label, step.output, out(step.output))
            : new ReadStage(step.label, step.output, out(step.output), step.source, this.settings.bundleSize, this.pendingCalls);
        // A source a checkpoint cannot hold refuses the job when it starts, not at its first checkpoint.
        const problem = this.settings.checkpoints !== undefined && stage instanceof ReadStage ? stage.checkpointProblem() : undefined;
        if (problem !== undefined) throw new BeamError("NOT_CHECKPOINTABLE", problem);
        // In a parallel job, the first executor reads; splittable sources spread their pieces.
        if (this.shardIndex !== 0) stage.done = true;
        this.stages.push(stage);
        return;
      }
      case "testStream": {
        const clock = this.settings.clock;
        if (!(clock instanceof ManualClock)) throw new BeamError("INTERNAL", "A TestStream needs the runner's ManualClock.");
        this.stages.push(new TestStreamStage(step.label, step.output, out(step.output), step.events, clock));
        return;
      }
      case "flatten": {
        const target = out(step.output);
        const op: Operation = { label: step.label, startBundle() {}, finishBundle() {}, receive: (wv) => target.receive(wv) };
        this.register(op, index, [step.output]);
        for (const pc of step.inputs) this.addConsumer(pc, op, index);
        return;
      }
      case "assignWindows": {
        const op = new AssignWindowsOperation(step.label, step.windowing.windowFn, out(step.output));
        this.register(op, index, [step.output]);
        this.addConsumer(step.input, op, index);
        return;
      }
      case "parDo": {
        for (const pc of Object.values(step.outputs)) this.doFnProducers.set(pc, step.label);
        const tagged = new Map<string, Receiver>();
        for (const [tag, pc] of Object.entries(step.outputs)) if (tag !== "main") tagged.set(tag, out(pc));
        const op = new DoFnOperation({
          label: step.label,
          template: step.doFn,
          mainOutput: step.outputs["main"] !== undefined ? out(step.outputs["main"]) : fanOut([]),
          taggedOutputs: tagged,
          sideInputs: this.sideInputs,
          declaredViews: new Set<PCollectionView<unknown>>(step.sideInputs),
          maxConcurrency: step.maxConcurrency,
          allowedTimestampSkew: step.allowedTimestampSkew,
          pendingCalls: this.pendingCalls,
          // This runner runs every committed bundle's callbacks (after a checkpoint, with checkpoints).
          finalizesReliably: true,
          // Stable across a restore at the same --parallelism: executor i restores part i of the checkpoint.
          executor: this.doFnExecutorIdentity(step.label),
        });
        if (step.statefulKeyCoder !== undefined) {
          const stage = new StatefulStage(
            step.label,
            step.input,
            op,
            step.doFn as StatefulSpecs,
            keyIdentifier(step.statefulKeyCoder),
            step.windowing,
            this.settings.metrics,
            step.sideInputs.length > 0 ? new PushedBackElements(step.sideInputs, this.sideInputs, (pc) => this.tracker.watermarkOf(pc)) : undefined,
            { key: step.statefulKeyCoder, window: windowCoderOf(step.windowing), ...(step.migrations !== undefined ? { migrations: step.migrations } : {}) },
            this.memory.coldState(step),
          );
          this.register(stage.entry, index, stepOutputs(step));
          const byKey = { kind: "byKey", keyCoder: step.statefulKeyCoder } as const;
          if (this.memory.spills(step)) {
            const spec = { keyCoder: step.statefulKeyCoder, valueCoder: step.statefulValueCoder!, windowCoder: windowCoderOf(step.windowing), windowing: step.windowing };
            const sorted = new SpillingStatefulStage(step.label, step.input, stage, spec, this.memory.sortedSpill(step.label), this.settings.metrics);
            this.addConsumer(step.input, this.materialize(step.input, sorted.sink, byKey), Infinity);
            this.stages.push(sorted);
            return;
          }
          const sink = new BufferSink(`${step.label}/MainInput`, () => stage.buffer, true);
          this.addConsumer(step.input, this.materialize(step.input, sink, byKey), Infinity);
          this.stages.push(stage);
          return;
        }
        if (step.splittable) {
          const stage = new SplittableStage(step.label, step.input, op, step.doFn as never, this.splittableSettings(step.label, step.input));
          this.register(stage.entry, index, stepOutputs(step));
          const sink = new BufferSink(`${step.label}/MainInput`, () => stage.buffer, true);
          this.addConsumer(step.input, this.materialize(step.input, sink, { kind: "broadcast" }), Infinity);
          this.stages.push(stage);
          return;
        }
        this.register(op, index, stepOutputs(step));
        if (!readsMaterializedInput(step)) {
          this.addConsumer(step.input, op, index);
          const elementWise = elementWiseOf(step.doFn);
          const main = step.outputs["main"];
          if (elementWise !== undefined && main !== undefined && Object.keys(step.outputs).length === 1 && !op.isAsync) {
            this.elementWise.set(op, { step: elementWise, output: main });
          }
          return;
        }
        const stage = new SideInputStage(step.label, step.input, op, step.sideInputs, this.sideInputs, (pc) =>
          this.tracker.watermarkOf(pc),
        );
        this.addConsumer(step.input, new BufferSink(`${step.label}/MainInput`, () => stage.buffer, true), Infinity);
        this.stages.push(stage);
        return;
      }
      case "groupByKey": {
        if (this.memory.spills(step)) {
          const windowCoder = windowCoderOf(step.windowing);
          const spec = { keyCoder: step.keyCoder, valueCoder: step.valueCoder, windowCoder, windowing: step.windowing };
          const stage = new SpillingGroupStage(step.label, step.input, step.output, out(step.output), spec, this.memory.sortedSpill(step.label), this.memory.shareOfStep(), this.settings.metrics);
          this.addConsumer(step.input, this.materialize(step.input, stage.sink, { kind: "byKey", keyCoder: step.keyCoder }), Infinity);
          this.stages.push(stage);
          return;
        }
        let late: Receiver | undefined;
        if (step.lateOutput !== undefined) {
          const lateStage = new BufferStage(`${step.label}/LateData`, step.input, step.lateOutput, out(step.lateOutput));
          this.stages.push(lateStage);
          late = { receive: (wv) => lateStage.buffer.push(wv) };
        }
        const runner = new ReduceRunner(step.keyCoder, step.windowing, groupingReduceFn, this.dropCounters(step.label));
        const make = () => runner.newBundleTable(step.keyCoder);
        const coders = groupingStateCoders(step.keyCoder, step.valueCoder, step.windowing);
        const coldGroups = this.memory.coldData(step, coders.data, "its grouped values", "give the GroupByKey's input a coder that encodes them (.withCoder(...))");
        if (coldGroups !== undefined) runner.keepColdData(coldGroups);
        const migrated = groupingMigrationCoder(step.label, step.migrations);
        const stage = new ReduceStage(step.label, step.input, step.output, out(step.output), runner, make, this.settings.metrics, late, MIN_TIMESTAMP, this.now, coders, migrated);
        this.addConsumer(step.input, this.materialize(step.input, stage.sink, { kind: "byKey", keyCoder: step.keyCoder }), Infinity);
        this.stages.push(stage);
        return;
      }
      case "combinePerKey": {
        if (this.memory.spills(step)) {
          const spec = { keyCoder: step.keyCoder, windowCoder: windowCoderOf(step.windowing), windowing: step.windowing, combineFn: step.combineFn, accumulatorCoder: step.accumulatorCoder };
          const stage = new SpillingCombineStage(step.label, step.input, step.output, out(step.output), spec, this.memory.sortedSpill(step.label), this.memory.shareOfStep(), this.settings.metrics);
          this.addConsumer(step.input, this.materialize(step.input, stage.sink, { kind: "byKey", keyCoder: step.keyCoder }), Infinity);
          this.stages.push(stage);
          return;
        }
        const reduceFn = combiningReduceFn(step.combineFn);
        const runner = new ReduceRunner(step.keyCoder, step.windowing, reduceFn, this.dropCounters(step.label));
        const make = () => runner.newBundleTable(step.keyCoder);
        const coders = combiningStateCoders(step.keyCoder, step.accumulatorCoder, step.windowing);
        const coldAccumulators = this.memory.coldData(step, coders.data, "its accumulators", "give the CombineFn an accumulatorCoder");
        if (coldAccumulators !== undefined) runner.keepColdData(coldAccumulators);
        const migrated = combiningMigrationCoder(step.label, step.migrations);
        const stage = new ReduceStage(step.label, step.input, step.output, out(step.output), runner, make, this.settings.metrics, undefined, MIN_TIMESTAMP, this.now, coders, migrated);
        this.addConsumer(step.input, this.materialize(step.input, stage.sink, { kind: "byKey", keyCoder: step.keyCoder }), Infinity);
        this.stages.push(stage);
        return;
      }
      case "reshuffle": {
        const stage = new BufferStage(step.label, step.input, step.output, out(step.output));
        this.addConsumer(step.input, this.materialize(step.input, new BufferSink(step.label, () => stage.buffer), { kind: "roundRobin" }), Infinity);
        this.stages.push(stage);
        return;
      }
    }
  }

  /**
   * A splittable DoFn's settings. In a parallel job every executor sees every element
   * (broadcast) and splits it into the same pieces, taken on demand when bounded (see
   * parallel/piece-claims.ts), so one impulse's pieces spread over all executors. With
   * checkpoints, in fixed shares: each executor's snapshot holds only its own pieces.
   */
  private splittableSettings(step: string, input: string): SplittableSettings {
    const parallel = this.settings.parallel;
    if (parallel === undefined) return SPLITTABLE_SETTINGS;
    const { index, count, claims } = parallel.shard;
    const fixedShares = this.settings.checkpoints !== undefined;
    return {
      ...SPLITTABLE_SETTINGS,
      desiredChunks: SPLITTABLE_SETTINGS.desiredChunks * count,
      sharing: pieceSharing(claims, step, parallel.pcollection(input).coder, index, count, { fixedShares }),
    };
  }

  private dropCounters(label: string) {
    const metrics = this.settings.metrics;
    return { droppedDueToClosedWindow: (n: number) => metrics.droppedDueToClosedWindow(label, n) };
  }

  private register(op: Operation, index: number, outputs: readonly string[]): void {
    this.order.set(op, index);
    this.outputsOf.set(op, outputs);
    this.allOps.push(op);
  }

  private addConsumer(pc: string, op: Operation, index: number): void {
    if (this.receivers.has(pc)) {
      throw new BeamError("INTERNAL", `Receiver of ${pc} was built before all its consumers (step order).`);
    }
    if (!this.order.has(op)) this.register(op, index, []);
    let list = this.consumers.get(pc);
    if (list === undefined) this.consumers.set(pc, (list = []));
    list.push(op);
  }

  private receiverOf(pc: string): Receiver {
    let r = this.receivers.get(pc);
    if (r === undefined) {
      const consumers = this.consumers.get(pc) ?? [];
      const producer = this.doFnProducers.get(pc);
      // Map, filter and flatMap consumers run as composed chains from here.
      const targets = consumers.map((c) => chainFrom(c, this.chainWiring) ?? c);
      // Checked where a DoFn outputs it (to anyone) or reads it; else nothing can change it.
      const checked = this.journal !== undefined && consumers.length > 0 && (producer !== undefined || consumers.some((c) => c instanceof DoFnOperation));
      const readers = targets.map((t) => (t instanceof ElementWiseChain ? t.head.label : t instanceof DoFnOperation ? t.label : undefined));
      const only = targets.length === 1 ? targets[0] : undefined;
      if (checked && only instanceof ElementWiseChain) {
        // A chain that alone reads the PCollection checks it itself: no receiver in between.
        only.checkInput(this.chainWiring.edgeCheck(pc, producer, only.head.label)!);
        r = only;
      } else {
        r = checked ? new ImmutabilityCheckingReceiver(this.settings.enforcement!.pcollection(pc).coder, targets, producer, this.journal!, readers) : fanOut(targets);
      }
      // A PCollection read by one DoFn is counted by it (inside a composed chain no receiver
      // sees its elements); any other gets a counting receiver.
      if (only instanceof DoFnOperation || only instanceof ElementWiseChain) {
        const op = only instanceof ElementWiseChain ? only.head : only;
        this.counted.set(pc, { get count() { return op.elementsIn; } });
      } else {
        const counting = new CountingReceiver(r);
        this.counted.set(pc, counting);
        r = counting;
      }
      this.receivers.set(pc, r);
    }
    return r;
  }

  /** The operations and sinks a stage's bundles reach through fused edges. */
  private planStage(stage: Stage): StagePlan {
    const reached = new Set<Operation>();
    const produced = new Set<string>();
    const visitPc = (pc: string) => {
      produced.add(pc);
      for (const op of this.consumers.get(pc) ?? []) visitOp(op);
    };
    const visitOp = (op: Operation) => {
      if (reached.has(op)) return;
      reached.add(op);
      for (const pc of this.outputsOf.get(op) ?? []) visitPc(pc);
    };
    if (stage.entryPc !== undefined) visitPc(stage.entryPc);
    const entry = stage.entry;
    if (entry instanceof DoFnOperation || entry instanceof StatefulEntry || entry instanceof SplittableEntry) visitOp(entry);
    const ops = [...reached].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    const doFnOps = ops.filter((op): op is DoFnOperation => op instanceof DoFnOperation);
    if (entry instanceof StatefulEntry || entry instanceof SplittableEntry) doFnOps.push(entry.op);
    // Last, so that it verifies the bundle's checked elements after every finishBundle.
    if (this.journal !== undefined) ops.push(this.journal);
    // A ParDo reading its pushed-back main input is the stage's entry: its inputs are checked
    // by the journal. Stateful and splittable entries read copies (--enforceEncodability).
    const entryInput =
      this.journal !== undefined && entry instanceof DoFnOperation && stage.reads.length === 1
        ? { step: entry.label, coder: this.settings.enforcement!.pcollection(stage.reads[0]!).coder }
        : undefined;
    const stepLabels = new Set(this.steps.map((s) => s.label));
    const steps = [...new Set([stage.label, ...ops.map((op) => op.label)].filter((l) => stepLabels.has(l)))];
    return {
      stage,
      counters: new StageCounters(),
      steps,
      node: { label: stage.label, reads: stage.reads, produces: [...produced], isSource: stage.isSource },
      ops,
      // The stateful entry commits and aborts the stage's state journal like a sink.
      sinks: ops.filter((op): op is Sink => "commit" in op),
      doFnOps,
      ...(entryInput !== undefined ? { entryInput } : {}),
    };
  }
}

