import type { Coder, TestStreamEvent, WindowingStrategy } from "../../model/index.js";
import type { StateMigration } from "../../pipeline/index.js";
import type { CombineFn, PCollectionView, Source } from "../../transforms/index.js";

/**
 * The embedded runner's executable plan: the graph's primitives, with lifted Combines and
 * Reshuffles collapsed into single steps. Edges into shuffle-like steps and into ParDos
 * with side inputs are materialized (buffered); every other edge is fused.
 */
export type PlanStep =
  | { readonly kind: "impulse"; readonly label: string; readonly output: string }
  | { readonly kind: "read"; readonly label: string; readonly output: string; readonly source: Source<unknown> }
  | { readonly kind: "testStream"; readonly label: string; readonly output: string; readonly events: readonly TestStreamEvent[] }
  | {
      readonly kind: "parDo";
      readonly label: string;
      readonly input: string;
      readonly outputs: Readonly<Record<string, string>>;
      readonly doFn: object;
      readonly sideInputs: readonly PCollectionView<unknown>[];
      readonly maxConcurrency: number;
      readonly allowedTimestampSkew: number;
      /** For a stateful DoFn: the deterministic key coder of its KV input. */
      readonly statefulKeyCoder: Coder<unknown> | undefined;
      /** For a stateful DoFn: the value coder of its KV input (it may run sorted through the disk). */
      readonly statefulValueCoder: Coder<unknown> | undefined;
      readonly inputBounded: boolean;
      readonly splittable: boolean;
      readonly windowing: WindowingStrategy;
      /** State coder changes declared with Pipeline.migrateState for this step, applied on restore. */
      readonly migrations?: readonly StateMigration[];
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
      /** Where elements dropped as too late go, when the GroupByKey asked for them. */
      readonly lateOutput: string | undefined;
      readonly keyCoder: Coder<unknown>;
      /** The value coder of the KV input (a spilling GroupByKey writes values with it). */
      readonly valueCoder: Coder<unknown>;
      readonly inputBounded: boolean;
      readonly windowing: WindowingStrategy;
      /** State coder changes declared with Pipeline.migrateState for this step, applied on restore. */
      readonly migrations?: readonly StateMigration[];
    }
  | {
      readonly kind: "combinePerKey";
      readonly label: string;
      readonly input: string;
      readonly output: string;
      readonly keyCoder: Coder<unknown>;
      /** The coder of the CombineFn's accumulators (a spilling Combine writes them with it). */
      readonly accumulatorCoder: Coder<unknown>;
      readonly inputBounded: boolean;
      readonly windowing: WindowingStrategy;
      readonly combineFn: CombineFn<unknown, unknown, unknown>;
      /** State coder changes declared with Pipeline.migrateState for this step, applied on restore. */
      readonly migrations?: readonly StateMigration[];
    }
  | { readonly kind: "reshuffle"; readonly label: string; readonly input: string; readonly output: string };

/** Steps that read their (main) input from a materialized buffer rather than fused. */
export function readsMaterializedInput(step: PlanStep): boolean {
  return (
    step.kind === "groupByKey" ||
    step.kind === "combinePerKey" ||
    step.kind === "reshuffle" ||
    (step.kind === "parDo" && (step.sideInputs.length > 0 || step.statefulKeyCoder !== undefined || step.splittable))
  );
}

/** The main inputs of a step. */
export function stepInputs(step: PlanStep): readonly string[] {
  switch (step.kind) {
    case "impulse":
    case "read":
    case "testStream":
      return [];
    case "flatten":
      return step.inputs;
    default:
      return [step.input];
  }
}

/** The outputs of a step. */
export function stepOutputs(step: PlanStep): readonly string[] {
  if (step.kind === "parDo") return Object.values(step.outputs);
  if (step.kind === "groupByKey" && step.lateOutput !== undefined) return [step.output, step.lateOutput];
  return [step.output];
}
