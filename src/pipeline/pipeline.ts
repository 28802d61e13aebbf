import type { Coder, WindowingStrategy } from "../model/index.js";
import { BeamError, ConstructionError, GLOBAL_WINDOWING, describeWindowing } from "../model/index.js";
import { graphFingerprint } from "./fingerprint.js";
import { toDot, toMermaid } from "./graph-render.js";
import { graphView } from "./graph-view.js";
import type { CompositeAnnotation, PCollectionNode, PipelineGraph, PrimitiveSpec, TransformNode } from "./graph.js";
import type { PTransform } from "./ptransform.js";
import { PBegin, PCollection, type PValue } from "./pvalue.js";
import { observeJob } from "./job-observers.js";
import { CapturedRunResult, countRun, runCaptureHandler, runnerFor, type PipelineResult } from "./runner.js";
import { notifyPipelineRun } from "./run-listeners.js";
import { addStateMigration, type StateMigration } from "./state-migration.js";

/** Options as the pipeline sees them: a frozen record, typically from `parseOptions`. */
export type PipelineOptionValues = Readonly<Record<string, unknown>>;

/** What a primitive transform declares about one of its outputs. */
export interface OutputDecl {
  readonly tag: string;
  readonly coder: Coder<unknown>;
  readonly windowing: WindowingStrategy;
  readonly isBounded: boolean;
}

/**
 * A Beam pipeline: the graph of transforms and PCollections built by applying transforms,
 * then handed to a runner with `run()`. A pipeline runs once; the graph is frozen then.
 *
 * @example
 * const p = new Pipeline();
 * p.apply(create(["a", "b"])).apply(map((s: string) => s.toUpperCase()));
 * await p.run().waitUntilFinish();
 */
export class Pipeline {
  readonly options: PipelineOptionValues;
  private readonly transforms = new Map<string, TransformNode>();
  private readonly pcollections = new Map<string, PCollectionNode>();
  private readonly labels = new Map<string, string>();
  private readonly scope: TransformNode[] = [];
  private readonly root: TransformNode;
  private nextId = 0;
  private frozen = false;
  private readonly beforeRun: (() => void)[] = [];
  private readonly migrations = new Map<string, StateMigration[]>();

  constructor(options: PipelineOptionValues = {}) {
    this.options = options;
    this.root = this.newTransform("", "", undefined);
    this.scope.push(this.root);
  }

  /** Applies a root transform (create, impulse, a read) to the pipeline's beginning. */
  apply<Out extends PValue>(transform: PTransform<PBegin, Out>): Out;
  apply<Out extends PValue>(name: string, transform: PTransform<PBegin, Out>): Out;
  apply<Out extends PValue>(a: string | PTransform<PBegin, Out>, b?: PTransform<PBegin, Out>): Out {
    return this.applyTransform(new PBegin(this), a, b);
  }

  /** Hands the pipeline to the runner named by the `runner` option (default: embedded). */
  run(): PipelineResult {
    // Error handlers apply their sinks now, so the graph every runner (and worker) sees is whole.
    for (const hook of this.beforeRun.splice(0)) hook();
    // Submitter and workers alike configure process-wide services (file systems) from the options.
    notifyPipelineRun(this.options);
    // Worker mode (captureRuns): the graph is rebuilt to be served, not run again.
    const capture = runCaptureHandler();
    if (capture !== undefined) {
      this.freeze();
      capture(this);
      return new CapturedRunResult();
    }
    const runnerName = typeof this.options["runner"] === "string" ? (this.options["runner"] as string) : "embedded";
    const runner = runnerFor(runnerName);
    this.freeze();
    countRun();
    return observeJob(this, runner.run(this));
  }

  /**
   * @internal Calls `hook` when `run()` is called, before the graph is frozen: pipeline-level
   * error handlers apply their sinks then.
   */
  onBeforeRun(hook: () => void): void {
    this.checkNotFrozen("onBeforeRun");
    this.beforeRun.push(hook);
  }

  /** Freezes the graph: no transform can be applied after this. */
  freeze(): void {
    this.frozen = true;
  }

  /** The construction graph, for runners. */
  graph(): PipelineGraph {
    return { transforms: this.transforms, pcollections: this.pcollections, rootId: this.root.id, stateMigrations: this.migrations };
  }

  /**
   * Declares that the state of step `step` (its full label) was written with another coder
   * by the pipeline a checkpoint or savepoint comes from: a restore decodes it with
   * `migration.from` and converts each value with `migration.migrate`. It applies only
   * when the checkpoint still has the old coder, so it can stay declared across later
   * restores. Undeclared coder changes are refused (docs/FAULT_TOLERANCE.md).
   *
   * @example
   * p.migrateState("CountPerUser", { state: "count", from: varIntCoder, migrate: (n: number) => ({ n }) });
   * p.migrateState("SumPerKey", { from: varIntCoder, migrate: (sum: number) => BigInt(sum) }); // a Combine's accumulator
   */
  migrateState<Old, New>(step: string, migration: StateMigration<Old, New>): this {
    this.checkNotFrozen(`migrateState("${step}")`);
    addStateMigration(this.migrations, step, migration as unknown as StateMigration);
    return this;
  }

  /**
   * The graph as Mermaid flowchart text: composites as subgraphs, steps with their full
   * labels, edges labelled with the PCollection's coder and window fn (docs/MONITORING.md).
   * For the embedded runner's fused stages, use `beam-ts graph`.
   *
   * @example
   * writeFileSync("pipeline.mmd", p.toMermaid());
   */
  toMermaid(): string {
    return toMermaid(graphView(this.graph()));
  }

  /** The graph as Graphviz DOT text (`dot -Tsvg`), as `toMermaid` describes it. */
  toDot(): string {
    return toDot(graphView(this.graph()));
  }

  /** A stable hash of the graph; equal for pipelines built the same way. */
  fingerprint(): string {
    return graphFingerprint(this.graph()).hash;
  }

  /** @internal Applies `transform` to `input` inside a new scope. Use `.apply(...)`. */
  applyTransform<In extends PValue, Out extends PValue>(
    input: In,
    a: string | PTransform<In, Out>,
    b?: PTransform<In, Out>,
  ): Out {
    const transform = typeof a === "string" ? b : a;
    if (transform === undefined || typeof transform.expand !== "function") {
      throw new ConstructionError(
        `apply() needs a PTransform${typeof a === "string" ? ` after the name "${a}"` : ""}; got ${String(transform)}.`,
      );
    }
    const name = typeof a === "string" ? a : transform.name;
    this.checkNotFrozen(name);
    if (name.length === 0 || name.includes("/")) {
      throw new ConstructionError(
        `Invalid transform name "${name}": names must be non-empty and must not contain "/" ` +
          `(it separates the parts of a full label).`,
      );
    }
    const parent = this.scope[this.scope.length - 1]!;
    const fullLabel = parent.fullLabel ? `${parent.fullLabel}/${name}` : name;
    if (this.labels.has(fullLabel)) {
      throw new ConstructionError(
        `A transform named "${fullLabel}" already exists in this pipeline. Every transform needs a ` +
          `unique name so runners and workers can find it: give this one its own name, e.g. ` +
          `pcoll.apply("${name}2", ...) or a name that says what it does.`,
      );
    }
    const hooksBefore = this.beforeRun.length;
    const node = this.newTransform(name, fullLabel, parent.id);
    Object.assign(node.inputs, pvalueIds(input));
    this.scope.push(node);
    let output: Out;
    try {
      output = transform.expand(input);
    } catch (err) {
      // A failed expansion leaves no trace, so the caller can fix the cause and apply
      // again under the same name (Beam Python likewise only records a transform once
      // its expansion returned).
      this.discardSince(node, hooksBefore);
      throw withLabel(err, fullLabel);
    } finally {
      this.scope.pop();
    }
    for (const [tag, id] of Object.entries(pvalueIds(output))) {
      if (!(tag in node.outputs)) node.outputs[tag] = id;
    }
    return output;
  }

  /**
   * @internal Called from a primitive transform's `expand`: records the primitive on the
   * transform being applied and creates its output PCollections.
   */
  addPrimitive(
    spec: PrimitiveSpec,
    inputs: readonly PCollection<unknown>[],
    outputs: readonly OutputDecl[],
  ): PCollection<unknown>[] {
    const node = this.scope[this.scope.length - 1]!;
    if (node === this.root || node.primitive !== undefined || node.children.length > 0) {
      throw new ConstructionError(
        `Internal: a primitive must be the only content of its transform (${node.fullLabel || "<root>"}).`,
      );
    }
    node.primitive = spec;
    inputs.forEach((pc, i) => {
      this.graphNode(pc).consumers.push(node.id);
      if (!Object.values(node.inputs).includes(pc.id)) node.inputs[`side${i}`] = pc.id;
    });
    return outputs.map((o) => {
      const id = `pc${this.nextId++}`;
      this.pcollections.set(id, {
        id,
        producer: node.id,
        tag: o.tag,
        coder: o.coder,
        windowing: o.windowing,
        isBounded: o.isBounded,
        consumers: [],
      });
      node.outputs[o.tag] = id;
      return new PCollection<unknown>(this, id);
    });
  }

  /** @internal Marks the transform being applied as a composite runners may special-case. */
  annotate(annotation: CompositeAnnotation): void {
    const node = this.scope[this.scope.length - 1]!;
    node.annotation = annotation;
  }

  /** @internal The full label of the transform being applied (for defaults and errors). */
  currentLabel(): string {
    return this.scope[this.scope.length - 1]!.fullLabel;
  }

  /** @internal */
  graphNode(pc: PCollection<unknown>): PCollectionNode {
    const node = this.pcollections.get(pc.id);
    if (node === undefined || pc.pipeline !== this) {
      throw new ConstructionError(`${pc.id} does not belong to this pipeline; PCollections cannot be shared between pipelines.`);
    }
    return node;
  }

  /** @internal */
  setCoder(pc: PCollection<unknown>, coder: Coder<unknown>): void {
    this.checkNotFrozen("withCoder");
    this.graphNode(pc).coder = coder;
  }

  /**
   * @internal Sets the windowing of a PCollection an expansion produced, for composites
   * (like Reshuffle) that restore their input's windowing without re-assigning windows.
   */
  setWindowing(pc: PCollection<unknown>, windowing: WindowingStrategy): void {
    this.checkNotFrozen("setWindowing");
    this.graphNode(pc).windowing = windowing;
  }

  /** @internal */
  transformLabel(id: string): string {
    return this.transforms.get(id)?.fullLabel ?? id;
  }

  /** @internal */
  describePCollection(pc: PCollection<unknown>): string {
    const node = this.pcollections.get(pc.id);
    if (!node) return pc.id;
    const producer = this.transformLabel(node.producer);
    return `${producer}.${node.tag} (${node.coder.toString()}, ${describeWindowing(node.windowing)})`;
  }

  private newTransform(name: string, fullLabel: string, parent: string | undefined): TransformNode {
    const id = `t${this.nextId++}`;
    const node: TransformNode = {
      id,
      name,
      fullLabel,
      parent,
      children: [],
      inputs: {},
      outputs: {},
      primitive: undefined,
      annotation: undefined,
    };
    this.transforms.set(id, node);
    if (parent !== undefined) {
      this.labels.set(fullLabel, id);
      this.transforms.get(parent)!.children.push(id);
    }
    return node;
  }

  /**
   * Removes `node` and everything created while it expanded: ids come from one counter,
   * so those are exactly the transforms and PCollections with a larger number. Consumer
   * edges they added to older PCollections and their run hooks go too.
   */
  private discardSince(node: TransformNode, hooksBefore: number): void {
    const first = idNumber(node.id);
    const discarded = new Set<string>();
    for (const [id, t] of this.transforms) {
      if (idNumber(id) < first) continue;
      discarded.add(id);
      this.transforms.delete(id);
      this.labels.delete(t.fullLabel);
    }
    for (const [id, pc] of this.pcollections) {
      if (idNumber(id) >= first) {
        this.pcollections.delete(id);
        continue;
      }
      const kept = pc.consumers.filter((c) => !discarded.has(c));
      pc.consumers.splice(0, pc.consumers.length, ...kept);
    }
    const siblings = this.transforms.get(node.parent!)!.children;
    siblings.splice(0, siblings.length, ...siblings.filter((c) => !discarded.has(c)));
    this.beforeRun.splice(hooksBefore);
  }

  private checkNotFrozen(what: string): void {
    if (this.frozen) {
      throw new ConstructionError(
        `Cannot apply "${what}": this pipeline has already been run and its graph is frozen. ` +
          `Build a new Pipeline to run again.`,
      );
    }
  }
}

/** Default windowing for new PCollections. */
export const DEFAULT_WINDOWING = GLOBAL_WINDOWING;

function pvalueIds(value: PValue): Record<string, string> {
  if (value === undefined || value instanceof PBegin) return {};
  if (value instanceof PCollection) return { main: value.id };
  const out: Record<string, string> = {};
  for (const [tag, pc] of Object.entries(value as Record<string, unknown>)) {
    if (pc instanceof PCollection) out[tag] = pc.id;
  }
  return out;
}

/** The number of a transform or PCollection id (`t12`, `pc13`): creation order. */
function idNumber(id: string): number {
  return Number(id.replace(/^\D+/, ""));
}

const LABELED = Symbol("beam-ts.labeled");

/** Prefixes a construction error with the innermost transform label, once. */
function withLabel(err: unknown, fullLabel: string): unknown {
  if (err instanceof BeamError && !(LABELED in err)) {
    err.message = `In transform "${fullLabel}": ${err.message}`;
    Object.defineProperty(err, LABELED, { value: true });
  }
  return err;
}
