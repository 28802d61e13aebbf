import type { Coder, WindowingStrategy } from "../../../model/index.js";
import { readsMaterializedInput, type PlanStep } from "../plan.js";
import type { StageShape } from "./checkpoint-file.js";

/**
 * The stages an executor builds from `steps` (executor.ts buildStep: one per source and per
 * step reading a materialized input, plus a GroupByKey's late-data buffer), with their
 * shapes. Checkpointed jobs never spill, so no spilling stage appears.
 */
export function planStageShapes(steps: readonly PlanStep[]): StageShape[] {
  const out: StageShape[] = [];
  for (const step of steps) {
    const isSource = step.kind === "impulse" || step.kind === "read" || step.kind === "testStream";
    if (!isSource && !readsMaterializedInput(step)) continue;
    out.push({ label: step.label, ...stageShape(step, false) });
    if (step.kind === "groupByKey" && step.lateOutput !== undefined) out.push({ label: `${step.label}/LateData`, ...stageShape(step, true) });
  }
  return out;
}

/**
 * What a restored stage must agree on with the one that wrote the checkpoint, as a string
 * compared on restore: the kind of step, the coders its state is written with (a key coder
 * decides which state a key finds), and the WindowFn of keyed steps (state lives per
 * window). Triggers and DoFn code may change between runs, as in Dataflow's update.
 */
export function stageShape(step: PlanStep, derived: boolean): { shape: string; stateful: boolean } {
  const c = (coder: Coder<unknown> | undefined) => (coder === undefined ? "?" : coder.toString());
  const w = (ws: WindowingStrategy) => ws.windowFn.toString();
  if (derived) return { shape: `buffer(${step.kind})`, stateful: false };
  switch (step.kind) {
    case "impulse":
      return { shape: "impulse", stateful: false };
    case "read":
      return { shape: `read(${step.source.toString()})`, stateful: true };
    case "testStream":
      return { shape: "testStream", stateful: true };
    case "groupByKey":
      return { shape: `groupByKey(key ${c(step.keyCoder)}, value ${c(step.valueCoder)}, ${w(step.windowing)})`, stateful: true };
    case "combinePerKey":
      return { shape: `combinePerKey(key ${c(step.keyCoder)}, accumulator ${c(step.accumulatorCoder)}, ${w(step.windowing)})`, stateful: true };
    case "reshuffle":
      return { shape: "reshuffle", stateful: false };
    case "parDo": {
      if (step.statefulKeyCoder !== undefined) {
        const fn = step.doFn as { state?: Record<string, { coder?: Coder<unknown>; kind?: string }>; timers?: Record<string, unknown> };
        const state = Object.entries(fn.state ?? {})
          .map(([name, spec]) => `${name}:${spec.kind ?? "?"}<${c(spec.coder)}>`)
          .sort()
          .join(", ");
        const timers = Object.keys(fn.timers ?? {}).sort().join(", ");
        return { shape: `statefulParDo(key ${c(step.statefulKeyCoder)}, ${w(step.windowing)}, state [${state}], timers [${timers}])`, stateful: true };
      }
      if (step.splittable) return { shape: "splittableParDo", stateful: true };
      return { shape: "sideInputParDo", stateful: false };
    }
    case "flatten":
    case "assignWindows":
      return { shape: step.kind, stateful: false };
  }
}
