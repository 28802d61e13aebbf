import type { Instant, WindowedValue } from "../../model/index.js";
import type { ByteReader, ByteWriter } from "../../model/index.js";
import type { FinalizationCallback, Receiver } from "../../runtime/index.js";
import type { RestoreShare } from "./checkpoint/rescale.js";
import type { DeferredSection } from "./checkpoint/deferred-section.js";
import type { SnapshotCoders } from "./checkpoint/snapshot-coders.js";

/** What a stage gets when the executor steps it. */
export interface StepContext {
  /** The runner's processing time. */
  readonly now: Instant;
  /** The stage's input watermark now (+infinity for sources). */
  readonly inputWatermark: Instant;
  /** True once drain() was called: sources stop reading and end. */
  readonly draining: boolean;
  /** Runs elements through the stage's fused chain, in bundles; resolves when committed. */
  emit(elements: readonly WindowedValue<unknown>[]): Promise<void>;
}

/**
 * Where bundles start: a source (Impulse, Read, TestStream) or a materialized input (a
 * GroupByKey's or Combine's trigger-driven table, a Reshuffle buffer, the pushed-back main
 * input of a ParDo with side inputs). The executor steps stages in topological order; each
 * step does the work available at the current watermarks and clock, then reports the
 * stage's output watermark.
 */
export interface Stage {
  readonly label: string;
  /** PCollections whose watermark is the stage's input watermark. */
  readonly reads: readonly string[];
  /** The receiver bundles enter, and the PCollection it is (undefined: a ParDo directly). */
  readonly entry: Receiver;
  readonly entryPc: string | undefined;
  readonly isSource: boolean;
  /** Does the available work. Returns true if it emitted or consumed anything. */
  step(ctx: StepContext): Promise<boolean>;
  /** The output watermark after a step, given the input watermark. */
  outputWatermark(inputWatermark: Instant): Instant;
  /** True when a source's output should not hold back other producers (idle source). */
  readonly idle: boolean;
  /** Processing time at which the stage wants a step without new input (+Infinity: never). */
  nextWakeup(): Instant;
  /** True when the stage will never emit again. */
  readonly done: boolean;
  /**
   * Work done and left, in the stage's own units (a splittable DoFn's restriction sizes),
   * for progress bars and backlog; undefined when the stage cannot tell.
   */
  progress?(): { readonly completed: number; readonly remaining: number } | undefined;
  /** Releases resources (source readers); called once at the end of the job. */
  close?(): Promise<void>;
  /**
   * Writes everything the stage holds that a restarted job needs (checkpoints, see
   * docs/FAULT_TOLERANCE.md): buffered elements, keyed tables, timers, holds, the
   * watermarks it reached, a source's position. Called between passes, when no bundle runs,
   * so no bundle table or partial state is in flight. A stage without it cannot be
   * checkpointed (the job is refused when checkpoints are asked for).
   */
  snapshot?(out: ByteWriter, coders: SnapshotCoders): void;
  /**
   * Instead of `snapshot`, for stages whose state can be large: takes the snapshot now (between
   * passes) and writes it later, while the job goes on (copy on write): the same bytes
   * `snapshot` would have written at this moment.
   */
  snapshotLater?(coders: SnapshotCoders): DeferredSection;
  /**
   * Right after `snapshot`: what to run once the checkpoint holding it is durable (a
   * source's CheckpointMark.finalizeCheckpoint, acking what the checkpoint covers).
   */
  checkpointed?(): FinalizationCallback | undefined;
  /**
   * Reads what `snapshot` wrote into this freshly built stage, before its first step.
   * `migrate` names the state slots (`data`, `state:<name>`) the checkpoint wrote with the
   * old coder of a declared migration (Pipeline.migrateState): decode them with it and
   * convert each value. `drop` names the state cells (`state:<name>`) and timer families
   * (`timer:<name>`) the checkpoint holds and the step no longer declares: skip them
   * (--allowDroppingState, checked by restore-plan.ts). With `share`, the checkpoint was
   * taken at another --parallelism (checkpoint/rescale.ts): the stage is given every old
   * part's section in turn, part 0 first, and merges what `share` says it keeps (keys it
   * owns now, its deal of unkeyed contents; watermarks are the minimum). Source stages get
   * no share: executor 0 restores old part 0's section, the others start empty.
   */
  restore?(input: ByteReader, coders: SnapshotCoders, migrate?: readonly string[], drop?: readonly string[], share?: RestoreShare): void | Promise<void>;
}
