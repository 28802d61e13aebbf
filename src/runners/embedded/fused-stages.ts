import type { PipelineGraph, StageView } from "../../pipeline/index.js";
import { readsMaterializedInput, stepInputs, stepOutputs, type PlanStep } from "./plan.js";
import { planGraph, type PlannerOptions } from "./planner.js";

/**
 * The stages the embedded runner runs a graph as, without running it (graph export): every
 * source and every step that reads a materialized input starts a stage, and each stage takes
 * the steps fused after it, following PCollections through steps that read their input
 * directly (ParDos without side inputs or state, Flattens, window assignments). The
 * executor plans the same stages (Executor.planStage); a step fused after two stages (a
 * Flatten of two sources) is in both.
 */
export function fusedStages(graph: PipelineGraph, options: PlannerOptions = {}): StageView[] {
  return stagesOfPlan(planGraph(graph, options));
}

/** The fused stages of plan steps in topological order. */
export function stagesOfPlan(steps: readonly PlanStep[]): StageView[] {
  const fusedConsumers = new Map<string, PlanStep[]>();
  for (const step of steps) {
    if (startsStage(step)) continue;
    for (const pc of stepInputs(step)) {
      let list = fusedConsumers.get(pc);
      if (list === undefined) fusedConsumers.set(pc, (list = []));
      list.push(step);
    }
  }
  const order = new Map(steps.map((s, i) => [s, i]));
  const stages: StageView[] = [];
  for (const entry of steps) {
    if (!startsStage(entry)) continue;
    const reached = new Set<PlanStep>([entry]);
    const visit = (step: PlanStep) => {
      for (const pc of stepOutputs(step)) {
        for (const next of fusedConsumers.get(pc) ?? []) {
          if (reached.has(next)) continue;
          reached.add(next);
          visit(next);
        }
      }
    };
    visit(entry);
    stages.push({ label: entry.label, steps: [...reached].sort((a, b) => order.get(a)! - order.get(b)!).map((s) => s.label) });
  }
  return stages;
}

function startsStage(step: PlanStep): boolean {
  return step.kind === "impulse" || step.kind === "read" || step.kind === "testStream" || readsMaterializedInput(step);
}
