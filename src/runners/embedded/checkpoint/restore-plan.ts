import { BeamError } from "../../../model/index.js";
import { decodeCheckpoint, type CheckpointHeader, type StageShape } from "./checkpoint-file.js";
import type { CheckpointSettings } from "./checkpoint-settings.js";
import type { CheckpointStorage } from "./checkpoint-storage.js";
import { decodePart } from "./executor-part.js";
import type { StageMigrations } from "./stage-shape.js";

/** What a job starts from: the checkpoint's header and each executor's sections, under the pipeline's names. */
export interface RestorePlan {
  readonly location: string;
  readonly header: CheckpointHeader;
  readonly parts: readonly ReadonlyMap<string, Uint8Array>[];
  /** The state slots (`data`, `state:<name>`) each stage decodes with its declared old coder, by the pipeline's label. */
  readonly migrations: ReadonlyMap<string, readonly string[]>;
}

/** The section of each part that tells executors which stages migrate which slots (JSON: label → slots). */
export const MIGRATIONS_SECTION = "migrations";

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
 * `--renameSteps`); a stage whose key coder, state cells or WindowFn changed is refused,
 * naming the step and both versions; a changed state coder restores only through a
 * migration the pipeline declares (Pipeline.migrateState), named to the executors in each
 * part's MIGRATIONS_SECTION; a stateful stage that is gone is refused unless
 * `--allowDroppingState`; an added stage starts empty. Undefined when there is nothing to
 * restore (`latest` in an empty directory: a first start).
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
  if (parts.length !== parallelism) {
    throw new BeamError(
      "CHECKPOINT_INCOMPATIBLE",
      `Checkpoint ${location} was taken at --parallelism ${parts.length}; this job runs at ${parallelism}. Keyed state is split between executors by key, ` +
        `so a restore needs the same --parallelism (rescaling a checkpoint is not supported yet): run with --parallelism ${parts.length}.`,
    );
  }
  const current = new Map(stages.map((s) => [s.label, s]));
  const problems: string[] = [...declared.problems];
  const rename = new Map<string, string>();
  const migrations = new Map<string, readonly string[]>();
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
    const verdict = compareStage(label, old, now, declared.byStage.get(label));
    if (typeof verdict === "string") problems.push(verdict);
    else if (verdict.length > 0) migrations.set(label, verdict);
  }
  for (const [old, label] of settings.renames) {
    if (!header.stages.some((s) => s.label === old)) problems.push(`--renameSteps names "${old}", which the checkpoint does not have.`);
    else if (!current.has(label)) problems.push(`--renameSteps maps "${old}" to "${label}", which this pipeline does not have.`);
  }
  if (problems.length > 0) {
    throw new BeamError("CHECKPOINT_INCOMPATIBLE", `This pipeline cannot start from checkpoint ${location}:\n  ${problems.join("\n  ")}`);
  }
  const migrationSection = migrations.size === 0 ? undefined : Buffer.from(JSON.stringify(Object.fromEntries(migrations)), "utf8");
  return {
    location,
    header,
    migrations,
    parts: parts.map((bytes) => {
      const sections = new Map<string, Uint8Array>();
      if (migrationSection !== undefined) sections.set(MIGRATIONS_SECTION, migrationSection);
      for (const [name, value] of decodePart(bytes)) {
        if (!name.startsWith("stage:")) {
          sections.set(name, value);
          continue;
        }
        const label = rename.get(name.slice("stage:".length));
        if (label !== undefined && current.has(label)) sections.set(`stage:${label}`, value);
      }
      return sections;
    }),
  };
}

/**
 * Whether stage `label` of the pipeline can take the state of `old`: the slots to migrate
 * (empty: none), or the problem. A slot whose coder changed needs a declared migration from
 * exactly the checkpoint's coder; with the declared old coders in place, the rest of the
 * shape (kind, key coder, windowing, state cells, timers) must be the checkpoint's.
 */
function compareStage(label: string, old: StageShape, now: StageShape, declared: StageMigrations | undefined): readonly string[] | string {
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
  if (expected !== old.shape) {
    const withMigrations = migrate.size > 0 ? ` (${expected} with the declared migrations)` : "";
    return `step "${label}" changed incompatibly: the checkpoint has ${old.shape}, this pipeline has ${now.shape}${withMigrations}.`;
  }
  return [...migrate].sort();
}

/** A state slot in words, for messages. */
function describeSlot(slot: string): string {
  if (slot === "key") return "key";
  if (slot === "data") return "grouped value or accumulator";
  if (slot.endsWith("/key")) return `map state "${slot.slice(6, -4)}"'s key`;
  return `state cell "${slot.slice(6)}"`;
}
