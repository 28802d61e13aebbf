import type { GraphView, GraphPCollection, TransformView } from "./graph-view.js";

/**
 * Graph export: a GraphView drawn as Mermaid (renders in GitHub, GitLab and most Markdown
 * viewers) or Graphviz DOT (`dot -Tsvg`). Composites become nested subgraphs (clusters),
 * primitives boxes with their full label, and PCollections the edges between them,
 * labelled with their coder (the element type) and, when not global, their window fn.
 * With fused stages, each primitive also names its stage. Output is deterministic
 * (application order), so it can be checked in and diffed.
 */

/** What an edge between two primitives carries: the PCollection's element type and windows. */
function edgeLabel(pc: GraphPCollection): string {
  return pc.windowFn === "GlobalWindows" ? pc.coder : `${pc.coder} · ${pc.windowFn}`;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly bounded: boolean;
}

/** Producer to consumer, one per (PCollection, consuming primitive). */
function edges(view: GraphView): Edge[] {
  const byId = new Map(view.pcollections.map((pc) => [pc.id, pc]));
  const out: Edge[] = [];
  for (const t of view.transforms) {
    if (t.kind === "composite") continue;
    for (const input of t.inputs) {
      const pc = byId.get(input);
      if (pc === undefined) continue;
      out.push({ from: pc.producer, to: t.id, label: edgeLabel(pc), bounded: pc.bounded });
    }
  }
  return out;
}

/**
 * The stage each transform runs in (the first, for a step fused into several), by id. A
 * composite the runner runs as one step (a lifted Combine, a Reshuffle) has a stage, and
 * its primitives are in it.
 */
function stageOf(view: GraphView): Map<string, string> {
  const byLabel = new Map<string, string>();
  for (const s of view.stages ?? []) for (const step of s.steps) if (!byLabel.has(step)) byLabel.set(step, s.label);
  const parents = new Map(view.transforms.map((t) => [t.id, t]));
  const stages = new Map<string, string>();
  for (const t of view.transforms) {
    for (let at: TransformView | undefined = t; at !== undefined; at = at.parent === undefined ? undefined : parents.get(at.parent)) {
      const stage = byLabel.get(at.label);
      if (stage !== undefined) {
        stages.set(t.id, stage);
        break;
      }
    }
  }
  return stages;
}

function childrenOf(view: GraphView): Map<string | undefined, TransformView[]> {
  const children = new Map<string | undefined, TransformView[]>();
  for (const t of view.transforms) {
    let list = children.get(t.parent);
    if (list === undefined) children.set(t.parent, (list = []));
    list.push(t);
  }
  return children;
}

/** Mermaid flowchart text of the graph. */
export function toMermaid(view: GraphView): string {
  const safe = (id: string) => id.replace(/[^A-Za-z0-9_]/g, "_");
  const text = (s: string) => `"${s.replace(/"/g, "#quot;")}"`;
  const stages = stageOf(view);
  const children = childrenOf(view);
  const lines = ["flowchart TD"];
  const emit = (parent: string | undefined, indent: string) => {
    for (const t of children.get(parent) ?? []) {
      if (t.kind === "composite") {
        lines.push(`${indent}subgraph ${safe(t.id)}[${text(t.label)}]`);
        emit(t.id, `${indent}  `);
        lines.push(`${indent}end`);
      } else {
        const stage = stages.get(t.id);
        const label = stage === undefined ? `${t.label}<br/><small>${t.kind}</small>` : `${t.label}<br/><small>${t.kind} · stage ${stage}</small>`;
        lines.push(`${indent}${safe(t.id)}[${text(label)}]`);
      }
    }
  };
  emit(undefined, "  ");
  for (const e of edges(view)) lines.push(`  ${safe(e.from)} ${e.bounded ? "-->" : "==>"}|${text(e.label)}| ${safe(e.to)}`);
  return `${lines.join("\n")}\n`;
}

/** Graphviz DOT text of the graph (`dot -Tsvg graph.dot > graph.svg`). */
export function toDot(view: GraphView): string {
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  const stages = stageOf(view);
  const children = childrenOf(view);
  const lines = ["digraph pipeline {", "  rankdir=TB;", '  node [shape=box, style="rounded", fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const emit = (parent: string | undefined, indent: string) => {
    for (const t of children.get(parent) ?? []) {
      if (t.kind === "composite") {
        lines.push(`${indent}subgraph ${q(`cluster_${t.id}`)} {`);
        lines.push(`${indent}  label=${q(t.label)};`);
        emit(t.id, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const stage = stages.get(t.id);
        lines.push(`${indent}${q(t.id)} [label=${q(stage === undefined ? `${t.label}\n${t.kind}` : `${t.label}\n${t.kind} · stage ${stage}`)}];`);
      }
    }
  };
  emit(undefined, "  ");
  for (const e of edges(view)) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}${e.bounded ? "" : ", style=bold"}];`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
