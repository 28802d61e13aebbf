import type { WindowedValue } from "../../model/index.js";
import { BeamError } from "../../model/index.js";
import {
  AssignWindowsOperation,
  CombineTable,
  DoFnOperation,
  GroupTable,
  SideInputStore,
  fanOut,
  type Operation,
  type Receiver,
} from "../../runtime/index.js";
import type { PCollectionView } from "../../transforms/index.js";
import type { BundleMetrics } from "./bundle-metrics.js";
import { readsMaterializedInput, stepOutputs, type PlanStep } from "./plan.js";
import { bufferRoot, impulseRoot, type Root } from "./roots.js";
import { BufferSink, SideInputSink, TableSink, type Sink } from "./sinks.js";

/** Settings of one execution. */
export interface ExecutorSettings {
  readonly bundleSize: number;
  readonly maxBundleRetries: number;
  readonly isCancelled: () => boolean;
  readonly metrics: BundleMetrics;
}

interface RootPlan {
  readonly root: Root;
  /** Operations a bundle of this root reaches, upstream first. */
  readonly ops: readonly Operation[];
  readonly sinks: readonly Sink[];
  readonly doFnOps: readonly DoFnOperation[];
}

/** Signals cancellation out of a running bundle loop. */
export class CancelledSignal extends Error {}

/**
 * Runs a plan to completion: builds one operation per step, wires fused edges as direct
 * calls and materialized edges as sinks and roots, then repeatedly runs the roots whose
 * inputs are complete. Bundles are all-or-nothing: sinks commit only when every operation
 * of the bundle finished, and a failed bundle is retried with fresh DoFn instances.
 */
export class Executor {
  private readonly roots: Root[] = [];
  private readonly rootPlans = new Map<Root, RootPlan>();
  private readonly allOps: Operation[] = [];
  /** Fused consumers and sinks of each PCollection. */
  private readonly consumers = new Map<string, Operation[]>();
  private readonly order = new Map<Operation, number>();
  private readonly outputsOf = new Map<Operation, readonly string[]>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly sideInputs = new SideInputStore();

  constructor(
    private readonly steps: readonly PlanStep[],
    private readonly settings: ExecutorSettings,
  ) {
    this.build();
  }

  /** Runs every root; resolves when all PCollections are complete. */
  async run(): Promise<void> {
    const exhausted = new Set<Root>();
    const feeders = this.feedersByPCollection();
    const complete = (pc: string) => [...(feeders.get(pc) ?? [])].every((r) => exhausted.has(r));
    try {
      while (exhausted.size < this.roots.length) {
        const ready = this.roots.filter((r) => !exhausted.has(r) && r.waitsFor.every(complete));
        if (ready.length === 0) {
          const stuck = this.roots.filter((r) => !exhausted.has(r)).map((r) => r.label);
          throw new BeamError("INTERNAL", `The embedded runner found no runnable step; waiting: ${stuck.join(", ")}.`);
        }
        for (const root of ready) {
          await this.runRoot(root);
          exhausted.add(root);
        }
      }
    } finally {
      await Promise.all(this.allOps.map((op) => op.teardown?.()));
    }
  }

  private async runRoot(root: Root): Promise<void> {
    const plan = this.rootPlans.get(root)!;
    for (const bundle of root.bundles(this.settings.bundleSize)) {
      if (this.settings.isCancelled()) throw new CancelledSignal();
      await this.runBundle(plan, bundle);
    }
  }

  private async runBundle(plan: RootPlan, elements: readonly WindowedValue<unknown>[]): Promise<void> {
    const { maxBundleRetries } = this.settings;
    for (let attempt = 0; ; attempt++) {
      const metrics = this.settings.metrics.startBundle(plan.doFnOps);
      try {
        for (const op of plan.ops) await op.startBundle();
        const entry = plan.root.entry;
        const backpressure = plan.doFnOps;
        for (let i = 0; i < elements.length; i++) {
          entry.receive(elements[i]!);
          if ((i & 15) === 15) {
            for (const op of backpressure) {
              const wait = op.whenReady();
              if (wait) await wait;
            }
          }
        }
        for (const op of plan.ops) await op.finishBundle();
        for (const sink of plan.sinks) sink.commit();
        metrics.commit();
        return;
      } catch (err) {
        for (const sink of plan.sinks) sink.abort();
        metrics.abort();
        // Beam discards DoFn instances after a failure; the retry gets fresh ones.
        await Promise.all(plan.doFnOps.map((op) => op.teardown()));
        const deterministic = err instanceof BeamError && err.code === "ASSERTION";
        if (attempt >= maxBundleRetries || deterministic) {
          if (err instanceof BeamError && attempt > 0) {
            err.message += ` (failed ${attempt + 1} times; see --maxBundleRetries)`;
          }
          throw err;
        }
      }
    }
  }

  /** Creates operations from the last step to the first, so every output has its receiver. */
  private build(): void {
    const sideInputPcs = new Set<string>();
    for (const s of this.steps) if (s.kind === "parDo") for (const v of s.sideInputs) sideInputPcs.add(v.pcollection.id);
    for (const pc of sideInputPcs) this.addConsumer(pc, new SideInputSink(`SideInput(${pc})`, this.sideInputs, pc), Infinity);

    for (let i = this.steps.length - 1; i >= 0; i--) this.buildStep(this.steps[i]!, i);

    for (const root of this.roots) this.rootPlans.set(root, this.planRoot(root));
  }

  private buildStep(step: PlanStep, index: number): void {
    const out = (pc: string) => this.receiverOf(pc);
    switch (step.kind) {
      case "impulse":
        this.roots.push(impulseRoot(step.label, step.output, out(step.output)));
        return;
      case "flatten": {
        const target = out(step.output);
        const op: Operation = { label: step.label, startBundle() {}, finishBundle() {}, receive: (wv) => target.receive(wv) };
        this.register(op, index, [step.output]);
        for (const pc of step.inputs) this.addConsumer(pc, op, index);
        return;
      }
      case "assignWindows": {
        const op = new AssignWindowsOperation(step.label, step.windowing.windowFn, out(step.output));
        this.register(op, index, [step.output]);
        this.addConsumer(step.input, op, index);
        return;
      }
      case "parDo": {
        const tagged = new Map<string, Receiver>();
        for (const [tag, pc] of Object.entries(step.outputs)) if (tag !== "main") tagged.set(tag, out(pc));
        const op = new DoFnOperation({
          label: step.label,
          template: step.doFn,
          mainOutput: step.outputs["main"] !== undefined ? out(step.outputs["main"]) : fanOut([]),
          taggedOutputs: tagged,
          sideInputs: this.sideInputs,
          declaredViews: new Set<PCollectionView<unknown>>(step.sideInputs),
          maxConcurrency: step.maxConcurrency,
        });
        this.register(op, index, stepOutputs(step));
        if (!readsMaterializedInput(step)) {
          this.addConsumer(step.input, op, index);
          return;
        }
        const sink = new BufferSink(`${step.label}/MainInput`);
        this.addConsumer(step.input, sink, Infinity);
        const waits = [step.input, ...step.sideInputs.map((v) => v.pcollection.id)];
        this.roots.push(bufferRoot(step.label, waits, op, undefined, () => sink.buffer));
        return;
      }
      case "groupByKey": {
        const make = () => new GroupTable(step.keyCoder, step.windowing);
        const table = make();
        this.addConsumer(step.input, new TableSink(step.label, table, make), Infinity);
        this.roots.push(bufferRoot(step.label, [step.input], out(step.output), step.output, () => table.output()));
        return;
      }
      case "combinePerKey": {
        const make = () => new CombineTable(step.keyCoder, step.windowing, step.combineFn);
        const table = make();
        this.addConsumer(step.input, new TableSink(step.label, table, make), Infinity);
        this.roots.push(bufferRoot(step.label, [step.input], out(step.output), step.output, () => table.output()));
        return;
      }
      case "reshuffle": {
        const sink = new BufferSink(step.label);
        this.addConsumer(step.input, sink, Infinity);
        this.roots.push(bufferRoot(step.label, [step.input], out(step.output), step.output, () => sink.buffer));
        return;
      }
    }
  }

  private register(op: Operation, index: number, outputs: readonly string[]): void {
    this.order.set(op, index);
    this.outputsOf.set(op, outputs);
    this.allOps.push(op);
  }

  private addConsumer(pc: string, op: Operation, index: number): void {
    if (this.receivers.has(pc)) {
      throw new BeamError("INTERNAL", `Receiver of ${pc} was built before all its consumers (step order).`);
    }
    if (!this.order.has(op)) this.register(op, index, []);
    let list = this.consumers.get(pc);
    if (list === undefined) this.consumers.set(pc, (list = []));
    list.push(op);
  }

  private receiverOf(pc: string): Receiver {
    let r = this.receivers.get(pc);
    if (r === undefined) {
      r = fanOut(this.consumers.get(pc) ?? []);
      this.receivers.set(pc, r);
    }
    return r;
  }

  /** The operations and sinks a root's bundles reach through fused edges. */
  private planRoot(root: Root): RootPlan {
    const reached = new Set<Operation>();
    const visitPc = (pc: string) => {
      for (const op of this.consumers.get(pc) ?? []) visitOp(op);
    };
    const visitOp = (op: Operation) => {
      if (reached.has(op)) return;
      reached.add(op);
      for (const pc of this.outputsOf.get(op) ?? []) visitPc(pc);
    };
    for (const pc of this.entryPcs(root)) visitPc(pc);
    if (root.entry instanceof DoFnOperation) visitOp(root.entry);
    const ops = [...reached].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    return {
      root,
      ops,
      sinks: ops.filter((op): op is Sink => "commit" in op),
      doFnOps: ops.filter((op): op is DoFnOperation => op instanceof DoFnOperation),
    };
  }

  private entryPcs(root: Root): string[] {
    return root.entryPc === undefined ? [] : [root.entryPc];
  }

  /** For each PCollection, the roots whose bundles can reach it. */
  private feedersByPCollection(): Map<string, Set<Root>> {
    const feeders = new Map<string, Set<Root>>();
    for (const [root, plan] of this.rootPlans) {
      const pcs = new Set<string>(this.entryPcs(root));
      for (const op of plan.ops) for (const pc of this.outputsOf.get(op) ?? []) pcs.add(pc);
      for (const pc of pcs) {
        let set = feeders.get(pc);
        if (set === undefined) feeders.set(pc, (set = new Set()));
        set.add(root);
      }
    }
    return feeders;
  }
}
