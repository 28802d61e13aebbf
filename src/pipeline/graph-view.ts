import { describeWindowing } from "../model/index.js";
import type { PipelineGraph } from "./graph.js";

/**
 * A pipeline's graph as plain data, for people and tools rather than runners: what graph
 * export (Mermaid, DOT, JSON) draws and what a JobSnapshot carries. Built from the
 * construction graph; a runner that fuses steps adds its stages.
 */
export interface GraphView {
  /** Every applied transform but the root, in application order (parents before children). */
  readonly transforms: readonly TransformView[];
  readonly pcollections: readonly GraphPCollection[];
  /** Fused stages, when a runner planned them (the embedded runner does). */
  readonly stages?: readonly StageView[];
}

export interface TransformView {
  readonly id: string;
  /** The unique full label, e.g. `CountWords/Split`. */
  readonly label: string;
  /** The last segment of the label. */
  readonly name: string;
  /** The enclosing composite's id; undefined at the top level. */
  readonly parent: string | undefined;
  /** A primitive's kind (`parDo`, `groupByKey`, ...), or `composite`. */
  readonly kind: string;
  /** Input PCollection ids (main and side inputs). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface GraphPCollection {
  readonly id: string;
  /** The producing transform's id. */
  readonly producer: string;
  /** `<producer label>.<tag>`, stable across runs. */
  readonly name: string;
  /** The element coder, as its toString describes it (the element type). */
  readonly coder: string;
  /** The full windowing strategy (window fn, trigger, accumulation, lateness, timestamps). */
  readonly windowing: string;
  /** Only the window fn, e.g. `FixedWindows(60000ms)`: what a drawing shows. */
  readonly windowFn: string;
  readonly bounded: boolean;
}

/** Steps run together, fused into one stage's bundles. */
export interface StageView {
  readonly label: string;
  /** Full labels of the primitive steps in the stage, upstream first. */
  readonly steps: readonly string[];
}

/** The graph view of a construction graph; `stages` as a runner planned them. */
export function graphView(graph: PipelineGraph, stages?: readonly StageView[]): GraphView {
  const transforms: TransformView[] = [];
  for (const t of graph.transforms.values()) {
    if (t.id === graph.rootId) continue;
    transforms.push({
      id: t.id,
      label: t.fullLabel,
      name: t.name,
      parent: t.parent === graph.rootId ? undefined : t.parent,
      kind: t.primitive?.kind ?? "composite",
      inputs: Object.values(t.inputs),
      outputs: Object.values(t.outputs),
    });
  }
  const pcollections: GraphPCollection[] = [];
  for (const pc of graph.pcollections.values()) {
    const producer = graph.transforms.get(pc.producer);
    pcollections.push({
      id: pc.id,
      producer: pc.producer,
      name: `${producer?.fullLabel ?? pc.producer}.${pc.tag}`,
      coder: pc.coder.toString(),
      windowing: describeWindowing(pc.windowing),
      windowFn: pc.windowing.windowFn.toString(),
      bounded: pc.isBounded,
    });
  }
  return { transforms, pcollections, ...(stages !== undefined ? { stages } : {}) };
}
