import type { Coder, WindowingStrategy } from "../../model/index.js";
import type { CombineFn, PCollectionView } from "../../transforms/index.js";

/**
 * The embedded runner's executable plan: the graph's primitives, with lifted Combines and
 * Reshuffles collapsed into single steps. Edges into shuffle-like steps and into ParDos
 * with side inputs are materialized (buffered); every other edge is fused.
 */
export type PlanStep =
  | { readonly kind: "impulse"; readonly label: string; readonly output: string }
  | {
      readonly kind: "parDo";
      readonly label: string;
      readonly input: string;
      readonly outputs: Readonly<Record<string, string>>;
      readonly doFn: object;
      readonly sideInputs: readonly PCollectionView<unknown>[];
      readonly maxConcurrency: number;
    }
  | { readonly kind: "flatten"; readonly label: string; readonly inputs: readonly string[]; readonly output: string }
  | {
      readonly kind: "assignWindows";
      readonly label: string;
      readonly input: string;
      readonly output: string;
      readonly windowing: WindowingStrategy;
    }
  | {
      readonly kind: "groupByKey";
      readonly label: string;
      readonly input: string;
      readonly output: string;
      readonly keyCoder: Coder<unknown>;
      readonly windowing: WindowingStrategy;
    }
  | {
      readonly kind: "combinePerKey";
      readonly label: string;
      readonly input: string;
      readonly output: string;
      readonly keyCoder: Coder<unknown>;
      readonly windowing: WindowingStrategy;
      readonly combineFn: CombineFn<unknown, unknown, unknown>;
    }
  | { readonly kind: "reshuffle"; readonly label: string; readonly input: string; readonly output: string };

/** Steps that read their (main) input from a materialized buffer rather than fused. */
export function readsMaterializedInput(step: PlanStep): boolean {
  return (
    step.kind === "groupByKey" ||
    step.kind === "combinePerKey" ||
    step.kind === "reshuffle" ||
    (step.kind === "parDo" && step.sideInputs.length > 0)
  );
}

/** The main inputs of a step. */
export function stepInputs(step: PlanStep): readonly string[] {
  switch (step.kind) {
    case "impulse":
      return [];
    case "flatten":
      return step.inputs;
    default:
      return [step.input];
  }
}

/** The outputs of a step. */
export function stepOutputs(step: PlanStep): readonly string[] {
  return step.kind === "parDo" ? Object.values(step.outputs) : [step.output];
}
