import type { Coder } from "../../model/index.js";
import type { ColdDataSettings } from "../../runtime/index.js";
import type { MemoryBudget } from "./embedded-runner.js";
import type { PlanStep } from "./plan.js";
import { SortedSpill } from "./spill/sorted-spill.js";
import { canSpillCombine, canSpillGroup, type SpillReporter } from "./spilling-group-stage.js";
import type { ColdStateSettings } from "./stateful-stage.js";

/** What a MemoryPlan decides from: the executor's settings. */
export interface MemoryPlanSettings {
  readonly memoryBudget: MemoryBudget | undefined;
  /** Whether the job is checkpointed (a checkpoint cannot hold a sort's run files). */
  readonly checkpointed: boolean;
  readonly spillDir: string;
  /** Executors sharing the budget (--parallelism). */
  readonly executors: number;
  readonly metrics: SpillReporter;
}

/**
 * Which keyed steps of an executor go through local disk under --memoryBudget, and how:
 * through an external sort (a batch GroupByKey or Combine whose panes allow it, a stateful
 * ParDo over a bounded input under an explicit budget), or keeping their least recently
 * used state cold (runtime/cold-tier.ts); and each such step's share of the budget
 * (docs/ARCHITECTURE.md, "Memory budget and spill").
 */
export class MemoryPlan {
  private readonly share: number;

  constructor(
    steps: readonly PlanStep[],
    private readonly settings: MemoryPlanSettings,
  ) {
    const budget = settings.memoryBudget;
    const sharing = steps.filter((s) => this.spills(s) || this.keepsColdState(s)).length;
    this.share = budget === undefined || sharing === 0 ? 0 : Math.max(1, Math.floor(budget.bytes / sharing / settings.executors));
  }

  /**
   * Whether a step goes through the sort when it outgrows its share of the budget: a
   * GroupByKey or Combine whose panes allow it, and (explicit budgets only) a stateful
   * ParDo over a bounded input, run sorted by key.
   */
  spills(step: PlanStep): boolean {
    const budget = this.settings.memoryBudget;
    // A checkpoint cannot hold a sort's run files.
    if (budget === undefined || this.settings.checkpointed) return false;
    if (step.kind === "groupByKey") return step.lateOutput === undefined && canSpillGroup(step.windowing, step.inputBounded);
    if (step.kind === "combinePerKey") return canSpillCombine(step.windowing, step.inputBounded);
    return budget.sortsStatefulSteps && step.kind === "parDo" && step.statefulKeyCoder !== undefined && step.inputBounded;
  }

  /**
   * Whether a keyed step that does not go through the sort keeps its least recently used
   * state on disk past its share of the budget (runtime/cold-tier.ts): a stateful ParDo (its
   * entries' cells), a GroupByKey or Combine (its windows' values or accumulators). Under an
   * explicit --memoryBudget only (as sorting stateful steps is), streaming and checkpointed
   * jobs included. The default budget (at most 512 MiB) would send the state of a job that
   * fits in the heap through the disk, at a cost per element of a key gone cold.
   */
  keepsColdState(step: PlanStep): boolean {
    if (this.settings.memoryBudget?.sortsStatefulSteps !== true || this.spills(step)) return false;
    return (step.kind === "parDo" && step.statefulKeyCoder !== undefined) || step.kind === "groupByKey" || step.kind === "combinePerKey";
  }

  /** A spilling step's share of the job's budget: shared by its spilling steps in every executor. */
  shareOfStep(): number {
    return this.share;
  }

  /** An external sort with the step's share of the budget. */
  sortedSpill(label: string): SortedSpill {
    return new SortedSpill(this.settings.spillDir, this.share, { spilled: (bytes: number) => this.settings.metrics.spilled(label, bytes) });
  }

  /** A stateful ParDo's cold state settings, if it keeps cold state. */
  coldState(step: PlanStep): ColdStateSettings | undefined {
    if (!this.keepsColdState(step)) return undefined;
    return { share: this.share, dir: this.settings.spillDir, spilled: (bytes) => this.settings.metrics.spilled(step.label, bytes) };
  }

  /**
   * A GroupByKey's or Combine's cold data settings (ReduceRunner.keepColdData), if it keeps
   * cold state: `what` its data is and the `fix` when that cannot be encoded.
   */
  coldData<S>(step: PlanStep, coder: Coder<S>, what: string, fix: string): ColdDataSettings<S> | undefined {
    if (!this.keepsColdState(step)) return undefined;
    const label = step.label;
    return {
      share: this.share,
      dir: this.settings.spillDir,
      coder,
      spilled: (bytes) => this.settings.metrics.spilled(label, bytes),
      cannotEncode: (err) =>
        new Error(
          `"${label}" keeps the data of its least recently used windows on local disk under --memoryBudget, and ${what} could not be encoded: ` +
            `${err instanceof Error ? err.message : String(err)}. To fix it, ${fix}, or leave --memoryBudget unset to keep them in memory.`,
          { cause: err },
        ),
    };
  }
}
