import type { Coder } from "../model/index.js";
import { ConstructionError } from "../model/index.js";

/**
 * A declared change of the coder a step's state is written with, for starting a changed
 * pipeline from a checkpoint or savepoint (docs/FAULT_TOLERANCE.md, "Savepoints and
 * updating a job"). The restore decodes the checkpoint's bytes with `from` (the coder the
 * old pipeline used), passes each value through `migrate`, and the step continues with the
 * coder the pipeline declares now. Beam's SDKs leave this to the runner (Dataflow's update
 * refuses coder changes it cannot prove compatible; Flink migrates state whose serializer
 * says "compatible after migration"); here the user states the change.
 *
 * What one value is, by the kind of state:
 * - a stateful ParDo's state cell (`state: "<name>"`): a value cell's value, a combining
 *   cell's accumulator, each element of a bag, set or ordered list, each value of a map;
 * - a GroupByKey (`state` omitted): each buffered value of a pane not yet fired;
 * - a Combine.perKey (`state` omitted): each window's accumulator.
 *
 * Keys cannot be migrated: state is found and split between executors by the key's encoded
 * bytes, so a new key coder would put old state under keys no element reaches.
 *
 * @example
 * // v1 kept a count as a varint; v2 keeps { n, since } rows.
 * p.migrateState("CountPerUser", { state: "count", from: varIntCoder, migrate: (n: number) => ({ n, since: 0 }) });
 */
export interface StateMigration<Old = unknown, New = unknown> {
  /** The state cell's name (a key of the DoFn's `state`); omitted for a GroupByKey's values or a Combine's accumulator. */
  readonly state?: string;
  /** The coder the checkpoint's values were written with: the old pipeline's. */
  readonly from: Coder<Old>;
  /** Turns one old value into the value the step keeps now. Runs once per value, on restore. */
  readonly migrate: (old: Old) => New;
}

/** Migrations by the full label of the step they apply to. */
export type StateMigrations = ReadonlyMap<string, readonly StateMigration[]>;

/**
 * Where a migration's values live in a step's state, as the checkpoint header's coder table
 * names them (stage-shape.ts): `state:<name>` for a cell, `data` for a grouped value or an
 * accumulator.
 */
export function migrationSlot(m: Pick<StateMigration, "state">): string {
  return m.state === undefined ? "data" : `state:${m.state}`;
}

/** Checks a migration as declared and adds it to `into` (one per step and slot). */
export function addStateMigration(into: Map<string, StateMigration[]>, step: string, m: StateMigration): void {
  const where = `migrateState("${step}"${m.state === undefined ? "" : `, { state: "${m.state}" }`})`;
  if (typeof step !== "string" || step === "") throw new ConstructionError(`${where}: name the step by its full label, e.g. "CountPerUser".`);
  if (m.state !== undefined && (typeof m.state !== "string" || m.state === "")) {
    throw new ConstructionError(`${where}: state must be the name of a state cell of the step's DoFn, or omitted for a GroupByKey or Combine.`);
  }
  if (m.from === undefined || typeof m.from.decode !== "function") throw new ConstructionError(`${where}: from must be the coder the old pipeline wrote the state with.`);
  if (typeof m.migrate !== "function") throw new ConstructionError(`${where}: migrate must be a function from the old value to the new one.`);
  const list = into.get(step) ?? [];
  if (list.some((x) => migrationSlot(x) === migrationSlot(m))) {
    throw new ConstructionError(`${where} is declared twice. Declare one migration per state cell; chain conversions inside one migrate function.`);
  }
  into.set(step, [...list, m]);
}
