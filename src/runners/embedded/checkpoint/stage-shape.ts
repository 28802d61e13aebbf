import type { Coder, WindowingStrategy } from "../../../model/index.js";
import { jsValueCoder } from "../../../coders/index.js";
import { migrationSlot, type StateMigrations } from "../../../pipeline/index.js";
import type { StateSpec } from "../../../transforms/index.js";
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
    const coders = stateCoderTable(step);
    out.push({ label: step.label, ...stageShape(step, false), ...(coders !== undefined ? { coders } : {}) });
    if (step.kind === "groupByKey" && step.lateOutput !== undefined) out.push({ label: `${step.label}/LateData`, ...stageShape(step, true) });
  }
  return out;
}

/**
 * What a declared state migration can change in a stage: the coders a restore may decode
 * with (slot to the old coder's name) and the shape the stage had with them.
 */
export interface StageMigrations {
  /** The declared migrations' old coders, by slot (`data`, `state:<name>`). */
  readonly from: ReadonlyMap<string, string>;
  /** The stage's shape string with the coders of `slots` replaced by the declared old ones. */
  shapeWith(slots: ReadonlySet<string>): string;
}

/**
 * For each step with migrations declared (Pipeline.migrateState), what they may change;
 * `problems` names declarations that match no keyed step or no state cell of it.
 */
export function planStageMigrations(steps: readonly PlanStep[], declared: StateMigrations | undefined): { byStage: Map<string, StageMigrations>; problems: string[] } {
  const out = new Map<string, StageMigrations>();
  const problems: string[] = [];
  const keyed = new Map(steps.map((s) => [s.label, stateCoderTable(s)]));
  for (const [label, list] of declared ?? []) {
    const table = keyed.get(label);
    if (table === undefined) {
      problems.push(`migrateState("${label}") names no step of this pipeline that keeps keyed state (a stateful ParDo, GroupByKey or Combine.perKey): use the step's full label.`);
      continue;
    }
    for (const m of list) {
      if (table[migrationSlot(m)] !== undefined) continue;
      problems.push(
        m.state === undefined
          ? `migrateState("${label}") names no state cell: step "${label}" is a stateful ParDo; say which cell with { state: "<name>" }.`
          : `migrateState("${label}", { state: "${m.state}" }): step "${label}" has no state cell "${m.state}".`,
      );
    }
  }
  for (const step of steps) {
    if (step.kind !== "parDo" && step.kind !== "groupByKey" && step.kind !== "combinePerKey") continue;
    const declared = step.migrations;
    if (declared === undefined || declared.length === 0) continue;
    const bySlot = new Map(declared.map((m) => [migrationSlot(m), m.from]));
    out.set(step.label, {
      from: new Map([...bySlot].map(([slot, coder]) => [slot, coder.toString()])),
      shapeWith: (slots) => stageShape(step, false, (slot) => (slots.has(slot) ? bySlot.get(slot) : undefined)).shape,
    });
  }
  return { byStage: out, problems };
}

/**
 * The coders of a keyed stage's state by slot, recorded in the checkpoint header so a
 * restore can tell which one changed: `key`, `data` (a GroupByKey's value coder, a
 * Combine's accumulator coder), `state:<name>` per state cell (a combining cell's
 * accumulator coder, a map cell's value coder) and `state:<name>/key` for a map cell's keys.
 * Undefined for other stages.
 */
export function stateCoderTable(step: PlanStep): Record<string, string> | undefined {
  const name = (coder: Coder<unknown> | undefined) => (coder ?? jsValueCoder).toString();
  switch (step.kind) {
    case "groupByKey":
      return { key: name(step.keyCoder), data: name(step.valueCoder) };
    case "combinePerKey":
      return { key: name(step.keyCoder), data: name(step.accumulatorCoder) };
    case "parDo": {
      if (step.statefulKeyCoder === undefined) return undefined;
      const table: Record<string, string> = { key: name(step.statefulKeyCoder) };
      const specs = (step.doFn as { state?: Record<string, StateSpec<unknown>> }).state ?? {};
      for (const cell of Object.keys(specs).sort()) {
        const spec = specs[cell]!;
        table[`state:${cell}`] = name(cellCoder(spec));
        if (spec.kind === "map") table[`state:${cell}/key`] = name(spec.keyCoder);
      }
      return table;
    }
    default:
      return undefined;
  }
}

/** The coder of a state cell's values (what a migration of the cell converts). */
export function cellCoder(spec: StateSpec<unknown>): Coder<unknown> | undefined {
  switch (spec.kind) {
    case "combining":
      return spec.combineFn.accumulatorCoder;
    case "map":
      return spec.valueCoder;
    default:
      return spec.coder;
  }
}

/**
 * What a restored stage must agree on with the one that wrote the checkpoint, as a string
 * compared on restore: the kind of step, the coders its state is written with (a key coder
 * decides which state a key finds), and the WindowFn of keyed steps (state lives per
 * window). Triggers and DoFn code may change between runs, as in Dataflow's update.
 */
export function stageShape(
  step: PlanStep,
  derived: boolean,
  replaced: (slot: string) => Coder<unknown> | undefined = () => undefined,
): { shape: string; stateful: boolean } {
  const c = (coder: Coder<unknown> | undefined) => (coder === undefined ? "?" : coder.toString());
  const old = (slot: string, now: Coder<unknown> | undefined) => replaced(slot) ?? now;
  // A state cell declared without a coder (it uses the JS value coder) shows "?".
  const oldCell = (slot: string, now: Coder<unknown> | undefined) => {
    const from = replaced(slot);
    return from === undefined ? now : from === jsValueCoder ? undefined : from;
  };
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
      return { shape: `groupByKey(key ${c(step.keyCoder)}, value ${c(old("data", step.valueCoder))}, ${w(step.windowing)})`, stateful: true };
    case "combinePerKey":
      return { shape: `combinePerKey(key ${c(step.keyCoder)}, accumulator ${c(old("data", step.accumulatorCoder))}, ${w(step.windowing)})`, stateful: true };
    case "reshuffle":
      return { shape: "reshuffle", stateful: false };
    case "parDo": {
      if (step.statefulKeyCoder !== undefined) {
        const fn = step.doFn as { state?: Record<string, { coder?: Coder<unknown>; kind?: string }>; timers?: Record<string, unknown> };
        const state = Object.entries(fn.state ?? {})
          .map(([name, spec]) => `${name}:${spec.kind ?? "?"}<${c(spec.kind === "combining" || spec.kind === "map" ? spec.coder : oldCell(`state:${name}`, spec.coder))}>`)
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
