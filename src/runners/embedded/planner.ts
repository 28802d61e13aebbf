import type { Coder, KV } from "../../model/index.js";
import { UnsupportedFeatureError } from "../../model/index.js";
import { jsValueCoder } from "../../coders/index.js";
import type { PipelineGraph, StateMigrations, TransformNode } from "../../pipeline/index.js";
import { deterministicKeyCoder, kvComponents, type CombineFn, type PCollectionView, type Source } from "../../transforms/index.js";
import type { PlanStep } from "./plan.js";

/** Options that change how the graph is planned. */
export interface PlannerOptions {
  /** Pre-combine Combine.perKey before the shuffle (Beam's combiner lifting). Default true. */
  readonly liftCombines?: boolean;
  /**
   * Run annotated composites (Combine.perKey, Reshuffle) through their primitive
   * expansion, as a runner without these optimisations would. Default false.
   */
  readonly expandComposites?: boolean;
}

/**
 * Turns the construction graph into plan steps in topological (application) order.
 * Composite Combine.perKey over non-merging windows becomes one lifted step; Reshuffle
 * becomes one re-bundling step; everything else maps to its primitive.
 */
export function planGraph(graph: PipelineGraph, options: PlannerOptions = {}): PlanStep[] {
  const steps: PlanStep[] = [];
  const root = graph.transforms.get(graph.rootId)!;
  const visit = (t: Readonly<TransformNode>) => {
    const special = specialComposite(graph, t, options);
    if (special) {
      steps.push(special);
      return;
    }
    if (t.primitive) {
      steps.push(primitiveStep(graph, t));
      return;
    }
    for (const c of t.children) visit(graph.transforms.get(c)!);
  };
  for (const c of root.children) visit(graph.transforms.get(c)!);
  return graph.stateMigrations === undefined || graph.stateMigrations.size === 0 ? steps : steps.map((s) => withMigrations(s, graph.stateMigrations!));
}

/** Hands a keyed step the state migrations declared for its label (Pipeline.migrateState). */
function withMigrations(step: PlanStep, all: StateMigrations): PlanStep {
  const migrations = all.get(step.label);
  if (migrations === undefined) return step;
  if (step.kind === "parDo" || step.kind === "groupByKey" || step.kind === "combinePerKey") return { ...step, migrations };
  return step;
}

function specialComposite(graph: PipelineGraph, t: Readonly<TransformNode>, options: PlannerOptions): PlanStep | undefined {
  const a = t.annotation;
  if (a === undefined || options.expandComposites === true) return undefined;
  const input = Object.values(t.inputs)[0];
  const output = Object.values(t.outputs)[0];
  if (input === undefined || output === undefined) return undefined;
  const inNode = graph.pcollections.get(input)!;
  if (a.kind === "reshuffle") return { kind: "reshuffle", label: t.fullLabel, input, output };
  if (a.kind === "combinePerKey" && options.liftCombines !== false && !inNode.windowing.windowFn.isMerging) {
    const [k] = kvComponents(inNode.coder as Coder<KV<unknown, unknown>>);
    return {
      kind: "combinePerKey",
      label: t.fullLabel,
      input,
      output,
      keyCoder: deterministicKeyCoder(k, t.fullLabel),
      accumulatorCoder: (a.combineFn as CombineFn<unknown, unknown, unknown>).accumulatorCoder ?? jsValueCoder,
      inputBounded: inNode.isBounded,
      windowing: inNode.windowing,
      combineFn: a.combineFn as CombineFn<unknown, unknown, unknown>,
    };
  }
  return undefined;
}

function primitiveStep(graph: PipelineGraph, t: Readonly<TransformNode>): PlanStep {
  const p = t.primitive!;
  const label = t.fullLabel;
  const output = t.outputs["main"] ?? Object.values(t.outputs)[0]!;
  switch (p.kind) {
    case "impulse":
      return { kind: "impulse", label, output };
    case "read":
      return { kind: "read", label, output, source: p.source as Source<unknown> };
    case "testStream":
      return { kind: "testStream", label, output, events: p.events };
    case "parDo": {
      const sideIds = new Set(p.sideInputs.map((s) => s.pcollection));
      const input = Object.values(t.inputs).find((id) => !sideIds.has(id)) ?? Object.values(t.inputs)[0]!;
      return {
        kind: "parDo",
        label,
        input,
        outputs: t.outputs,
        doFn: p.doFn,
        sideInputs: p.sideInputs.map((s) => s.view as PCollectionView<unknown>),
        maxConcurrency: p.maxConcurrency,
        allowedTimestampSkew: p.allowedTimestampSkew,
        statefulKeyCoder: p.stateful ? statefulKeyCoder(graph, input, label) : undefined,
        statefulValueCoder: p.stateful ? kvComponents(graph.pcollections.get(input)!.coder as Coder<KV<unknown, unknown>>)[1] : undefined,
        inputBounded: graph.pcollections.get(input)!.isBounded,
        splittable: p.splittable,
        windowing: graph.pcollections.get(input)!.windowing,
      };
    }
    case "flatten":
      return { kind: "flatten", label, inputs: Object.values(t.inputs), output };
    case "assignWindows":
      return { kind: "assignWindows", label, input: Object.values(t.inputs)[0]!, output, windowing: p.windowing };
    case "external":
      throw crossLanguageUnsupported(label, p.urn, p.expansionService);
    case "groupByKey": {
      const input = Object.values(t.inputs)[0]!;
      const inNode = graph.pcollections.get(input)!;
      const [k, v] = kvComponents(inNode.coder as Coder<KV<unknown, unknown>>);
      const lateOutput = p.lateOutputTag === undefined ? undefined : t.outputs[p.lateOutputTag];
      return {
        kind: "groupByKey",
        label,
        input,
        output: t.outputs["main"]!,
        lateOutput,
        keyCoder: deterministicKeyCoder(k, label),
        valueCoder: v,
        inputBounded: inNode.isBounded,
        windowing: inNode.windowing,
      };
    }
  }
}

/**
 * The error for a cross-language transform on the embedded runner: its expansion (Java,
 * Python, ... code) can only run on a portable runner, which runs every SDK's workers.
 */
export function crossLanguageUnsupported(label: string, urn: string, expansionService: string): UnsupportedFeatureError {
  return new UnsupportedFeatureError(
    urn,
    `Transform "${label}" is a cross-language transform (${urn}, expanded by ${expansionService}): ` +
      `cross-language transforms need a portable runner: --runner=flink (or --runner=prism, --runner=spark, or ` +
      `--runner=portable --jobEndpoint=host:port). The embedded runner runs beam-ts transforms only.`,
  );
}

/** The deterministic key coder of a stateful ParDo's KV input. */
function statefulKeyCoder(graph: PipelineGraph, input: string, label: string): Coder<unknown> {
  const [k] = kvComponents(graph.pcollections.get(input)!.coder as Coder<KV<unknown, unknown>>);
  return deterministicKeyCoder(k, label);
}
