import { BeamError } from "../../../model/index.js";
import { decodeCheckpoint, type CheckpointHeader, type StageShape } from "./checkpoint-file.js";
import type { CheckpointSettings } from "./checkpoint-settings.js";
import type { CheckpointStorage } from "./checkpoint-storage.js";
import { decodePart } from "./executor-part.js";
import { RESCALE_SECTION, rescaledName } from "./rescale.js";
import type { StageMigrations } from "./stage-shape.js";

/** What a job starts from: the checkpoint's header and each executor's sections, under the pipeline's names. */
export interface RestorePlan {
  readonly location: string;
  readonly header: CheckpointHeader;
  readonly parts: readonly ReadonlyMap<string, Uint8Array>[];
  /** The state slots (`data`, `state:<name>`) each stage decodes with its declared old coder, by the pipeline's label. */
  readonly migrations: ReadonlyMap<string, readonly string[]>;
  /** The state cells (`state:<name>`) and timer families (`timer:<name>`) each stage drops (--allowDroppingState), by label. */
  readonly dropped: ReadonlyMap<string, readonly string[]>;
  /**
   * The checkpoint's --parallelism when the job runs at another (rescale.ts): then every
   * executor's sections are all the old parts' (`part<p>/<name>`) with RESCALE_SECTION.
   */
  readonly rescaledFrom?: number;
}

/** The section of each part that tells executors which stages migrate which slots (JSON: label → slots). */
export const MIGRATIONS_SECTION = "migrations";

/** The section of each part that tells executors which stages drop which cells and timer families (JSON: label → slots). */
export const DROPPED_STATE_SECTION = "droppedState";

/** What the pipeline declares about state coder changes (stage-shape.ts planStageMigrations). */
export interface DeclaredMigrations {
  readonly byStage: ReadonlyMap<string, StageMigrations>;
  /** Declarations that match no keyed step or state cell: refused, as a restore would ignore them. */
  readonly problems: readonly string[];
}

const NO_MIGRATIONS: DeclaredMigrations = { byStage: new Map(), problems: [] };

/**
 * Reads the checkpoint `--restoreFrom` names and checks it against the pipeline about to
 * run, before anything starts: state is matched to stages by their full labels (after
 * `--renameSteps`); a stage whose kind, key coder or WindowFn changed is refused, naming
 * the step and both versions; a stateful ParDo may add state cells and timers (they start
 * empty, as in Flink and Dataflow's update), while one that no longer declares a cell or
 * timer the checkpoint has is refused unless `--allowDroppingState` (then dropped, named
 * to the executors in each part's DROPPED_STATE_SECTION); a changed state coder restores only through a
 * migration the pipeline declares (Pipeline.migrateState), named to the executors in each
 * part's MIGRATIONS_SECTION; a stateful stage that is gone is refused unless
 * `--allowDroppingState`; an added stage starts empty. A checkpoint taken at another
 * --parallelism is rescaled: every executor gets every old part and keeps its share
 * (rescale.ts). Undefined when there is nothing to restore (`latest` in an empty directory:
 * a first start).
 */
export function planRestore(
  storage: CheckpointStorage,
  settings: CheckpointSettings,
  stages: readonly StageShape[],
  parallelism: number,
  declared: DeclaredMigrations = NO_MIGRATIONS,
): RestorePlan | undefined {
  const from = settings.restoreFrom;
  if (from === undefined) return undefined;
  let location = from;
  if (from === "latest") {
    const newest = storage.list().at(-1);
    if (newest === undefined) {
      process.emitWarning(`--restoreFrom=latest: ${settings.dir} holds no checkpoint yet; the job starts from the beginning.`, { type: "BeamCheckpointWarning" });
      return undefined;
    }
    location = newest.location;
  }
  const { header, parts } = decodeCheckpoint(storage.read(location), location);
  const current = new Map(stages.map((s) => [s.label, s]));
  const problems: string[] = [...declared.problems];
  const rename = new Map<string, string>();
  const migrations = new Map<string, readonly string[]>();
  const dropped = new Map<string, readonly string[]>();
  for (const old of header.stages) {
    const label = settings.renames.get(old.label) ?? old.label;
    rename.set(old.label, label);
    const now = current.get(label);
    if (now === undefined) {
      if (old.stateful && !settings.allowDroppingState) {
        problems.push(
          `step "${old.label}" holds state in the checkpoint and is not in this pipeline. If it was renamed, map it with --renameSteps="${old.label}=<new name>"; to drop its state, pass --allowDroppingState.`,
        );
      }
      continue;
    }
    const verdict = compareStage(label, old, now, declared.byStage.get(label), settings.allowDroppingState);
    if (typeof verdict === "string") {
      problems.push(verdict);
      continue;
    }
    if (verdict.migrate.length > 0) migrations.set(label, verdict.migrate);
    if (verdict.drop.length > 0) dropped.set(label, verdict.drop);
  }
  for (const [old, label] of settings.renames) {
    if (!header.stages.some((s) => s.label === old)) problems.push(`--renameSteps names "${old}", which the checkpoint does not have.`);
    else if (!current.has(label)) problems.push(`--renameSteps maps "${old}" to "${label}", which this pipeline does not have.`);
  }
  if (problems.length > 0) {
    throw new BeamError("CHECKPOINT_INCOMPATIBLE", `This pipeline cannot start from checkpoint ${location}:\n  ${problems.join("\n  ")}`);
  }
  for (const [label, slots] of dropped) {
    process.emitWarning(`--allowDroppingState: step "${label}" drops ${slots.map((slot) => describeDropped(slot)).join(", ")} of checkpoint ${location}.`, { type: "BeamCheckpointWarning" });
  }
  const asSection = (m: ReadonlyMap<string, readonly string[]>) => (m.size === 0 ? undefined : Buffer.from(JSON.stringify(Object.fromEntries(m)), "utf8"));
  const migrationSection = asSection(migrations);
  const droppedSection = asSection(dropped);
  // Each old part's sections, stage sections under the pipeline's names (a stage gone is dropped).
  const renamed = parts.map((bytes) => {
    const sections = new Map<string, Uint8Array>();
    for (const [name, value] of decodePart(bytes)) {
      if (!name.startsWith("stage:")) {
        sections.set(name, value);
        continue;
      }
      const label = rename.get(name.slice("stage:".length));
      if (label !== undefined && current.has(label)) sections.set(`stage:${label}`, value);
    }
    return sections;
  });
  const withPlan = (sections: Iterable<[string, Uint8Array]>) => {
    const out = new Map<string, Uint8Array>();
    if (migrationSection !== undefined) out.set(MIGRATIONS_SECTION, migrationSection);
    if (droppedSection !== undefined) out.set(DROPPED_STATE_SECTION, droppedSection);
    for (const [name, value] of sections) out.set(name, value);
    return out;
  };
  if (parts.length === parallelism) return { location, header, migrations, dropped, parts: renamed.map(withPlan) };
  // Another --parallelism (rescale.ts): every executor reads every old part and keeps its share.
  const all: [string, Uint8Array][] = [[RESCALE_SECTION, Buffer.from(JSON.stringify({ parts: parts.length }), "utf8")]];
  renamed.forEach((sections, p) => {
    for (const [name, value] of sections) all.push([rescaledName(p, name), value]);
  });
  return { location, header, migrations, dropped, rescaledFrom: parts.length, parts: Array.from({ length: parallelism }, () => withPlan(all)) };
}

/** How a stage takes a checkpoint's state: the slots it migrates and the cells and timer families it drops. */
interface StageVerdict {
  readonly migrate: readonly string[];
  readonly drop: readonly string[];
}

/**
 * Whether stage `label` of the pipeline can take the state of `old`: the slots to migrate
 * and to drop, or the problem. A slot whose coder changed needs a declared migration from
 * exactly the checkpoint's coder; with the declared old coders in place, the rest of the
 * shape (kind, key coder, windowing) must be the checkpoint's, and so must every state cell
 * both declare; cells and timers may be added, and removed only with `allowDropping`.
 */
function compareStage(label: string, old: StageShape, now: StageShape, declared: StageMigrations | undefined, allowDropping: boolean): StageVerdict | string {
  const migrate = new Set<string>();
  const problems: string[] = [];
  if (old.coders !== undefined && now.coders !== undefined) {
    for (const [slot, was] of Object.entries(old.coders)) {
      const is = now.coders[slot];
      if (is === undefined || is === was) continue;
      const from = declared?.from.get(slot);
      if (slot === "key" || slot.endsWith("/key")) {
        problems.push(
          `step "${label}" changed incompatibly: the checkpoint has ${old.shape}, this pipeline has ${now.shape}. Its ${describeSlot(slot)} coder changed from ${was} to ${is}, which cannot be migrated: state is found, and split between executors, ` +
            `by the key's encoded bytes, so old state would sit under keys no element reaches. Keep the old key coder, or start a new job without --restoreFrom.`,
        );
      } else if (from === undefined) {
        problems.push(
          `step "${label}" changed the coder of its ${describeSlot(slot)} from ${was} to ${is} and declares no migration: ` +
            `declare one with p.migrateState("${label}", { ${slot.startsWith("state:") ? `state: "${slot.slice(6)}", ` : ""}from: <the ${was} coder>, migrate: (old) => <new value> }), or keep the old coder.`,
        );
      } else if (from !== was) {
        problems.push(`migrateState("${label}") declares the ${describeSlot(slot)}'s old coder as ${from}, but the checkpoint wrote it with ${was}: declare from: <the ${was} coder>.`);
      } else migrate.add(slot);
    }
    if (problems.length > 0) return problems.join("\n  ");
  } else if (declared !== undefined && old.shape !== now.shape) {
    // A checkpoint without a coder table: the declared migrations apply when, with their old
    // coders in place, the shapes agree.
    const all = new Set([...declared.from].filter(([slot, from]) => now.coders?.[slot] !== from).map(([slot]) => slot));
    if (declared.shapeWith(all) === old.shape) for (const slot of all) migrate.add(slot);
  }
  const expected = migrate.size === 0 || declared === undefined ? now.shape : declared.shapeWith(migrate);
  let drop: readonly string[] = [];
  if (expected !== old.shape) {
    const evolved = compareStatefulParDos(label, parseStatefulParDo(old.shape), parseStatefulParDo(expected), allowDropping);
    if (typeof evolved === "string") return evolved;
    if (evolved === undefined) {
      const withMigrations = migrate.size > 0 ? ` (${expected} with the declared migrations)` : "";
      return `step "${label}" changed incompatibly: the checkpoint has ${old.shape}, this pipeline has ${now.shape}${withMigrations}.`;
    }
    drop = evolved;
  }
  return { migrate: [...migrate].sort(), drop };
}

/** A stateful ParDo's shape (stage-shape.ts stageShape) taken apart: what must agree, its cells by name, its timers. */
interface StatefulParDoShape {
  /** Key coder and WindowFn. */
  readonly keyed: string;
  /** Each cell's `kind<coder>`, by name. */
  readonly cells: ReadonlyMap<string, string>;
  readonly timers: ReadonlySet<string>;
}

/** Undefined for other shapes. */
function parseStatefulParDo(shape: string): StatefulParDoShape | undefined {
  const m = /^statefulParDo\((.*), state \[(.*)\], timers \[([^\]]*)\]\)$/s.exec(shape);
  if (m === null) return undefined;
  const cells = new Map<string, string>();
  for (const item of splitTopLevel(m[2]!)) {
    const colon = item.indexOf(":");
    if (colon < 0) return undefined;
    cells.set(item.slice(0, colon), item.slice(colon + 1));
  }
  return { keyed: m[1]!, cells, timers: new Set(splitTopLevel(m[3]!)) };
}

/** Splits a shape's list at the commas outside brackets (coder names such as kv<a, b> hold commas). */
function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]!;
    if (ch === "<" || ch === "(" || ch === "[") depth++;
    else if (ch === ">" || ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      out.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (list.trim() !== "") out.push(list.slice(start).trim());
  return out;
}

/**
 * The state evolution a stateful ParDo may go through between a checkpoint and its restore,
 * as Flink's savepoints and Dataflow's update allow: added cells and timers start empty (a
 * cell reads its default in every key and window). Undefined when the step changed in a way
 * that is no evolution (its kind, key coder or WindowFn); the problem when a cell changed
 * kind or was removed without `allowDropping`; else the slots to drop.
 */
function compareStatefulParDos(label: string, old: StatefulParDoShape | undefined, now: StatefulParDoShape | undefined, allowDropping: boolean): readonly string[] | string | undefined {
  if (old === undefined || now === undefined || old.keyed !== now.keyed) return undefined;
  const problems: string[] = [];
  const drop: string[] = [];
  for (const [name, was] of old.cells) {
    const is = now.cells.get(name);
    if (is === undefined) drop.push(`state:${name}`);
    else if (is !== was) {
      problems.push(
        `step "${label}" changed incompatibly: its state cell "${name}" changed from ${was} to ${is}. Keep it ${was}` +
          (was.split("<")[0] === is.split("<")[0] ? ` or declare a migration with p.migrateState("${label}", { state: "${name}", from: <the old coder>, migrate })` : "") +
          `, or declare the new cell under another name (it starts empty) and drop "${name}" with --allowDroppingState.`,
      );
    }
  }
  for (const timer of old.timers) if (!now.timers.has(timer)) drop.push(`timer:${timer}`);
  if (problems.length > 0) return problems.join("\n  ");
  if (drop.length > 0 && !allowDropping) {
    return (
      `step "${label}" no longer declares ${drop.map((slot) => describeDropped(slot, old)).join(", ")}, which the checkpoint holds: restoring would lose ${drop.length === 1 ? "it" : "them"}. ` +
      `Declare ${drop.length === 1 ? "it" : "them"} again, or pass --allowDroppingState to drop ${drop.length === 1 ? "it" : "them"}.`
    );
  }
  return drop;
}

/** A dropped slot in words: `state cell "seen" (bag<varint>)`, `timer "flush" and its set timers`. */
function describeDropped(slot: string, old?: StatefulParDoShape): string {
  const name = slot.slice(slot.indexOf(":") + 1);
  if (slot.startsWith("timer:")) return `timer "${name}" (with any timers set for it)`;
  const kind = old?.cells.get(name);
  return `state cell "${name}"${kind === undefined ? "" : ` (${kind})`}`;
}

/** A state slot in words, for messages. */
function describeSlot(slot: string): string {
  if (slot === "key") return "key";
  if (slot === "data") return "grouped value or accumulator";
  if (slot.endsWith("/key")) return `map state "${slot.slice(6, -4)}"'s key`;
  return `state cell "${slot.slice(6)}"`;
}
