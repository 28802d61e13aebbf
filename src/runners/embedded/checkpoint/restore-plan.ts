import { BeamError } from "../../../model/index.js";
import { decodeCheckpoint, type CheckpointHeader, type StageShape } from "./checkpoint-file.js";
import type { CheckpointSettings } from "./checkpoint-settings.js";
import type { CheckpointStorage } from "./checkpoint-storage.js";
import { decodePart } from "./executor-part.js";

/** What a job starts from: the checkpoint's header and each executor's sections, under the pipeline's names. */
export interface RestorePlan {
  readonly location: string;
  readonly header: CheckpointHeader;
  readonly parts: readonly ReadonlyMap<string, Uint8Array>[];
}

/**
 * Reads the checkpoint `--restoreFrom` names and checks it against the pipeline about to
 * run, before anything starts: state is matched to stages by their full labels (after
 * `--renameSteps`); a stage whose key coder, state cells or WindowFn changed is refused,
 * naming the step and both versions; a stateful stage that is gone is refused unless
 * `--allowDroppingState`; an added stage starts empty. Undefined when there is nothing to
 * restore (`latest` in an empty directory: a first start).
 */
export function planRestore(
  storage: CheckpointStorage,
  settings: CheckpointSettings,
  stages: readonly StageShape[],
  parallelism: number,
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
  const problems: string[] = [];
  const rename = new Map<string, string>();
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
    if (now.shape !== old.shape) problems.push(`step "${label}" changed incompatibly: the checkpoint has ${old.shape}, this pipeline has ${now.shape}.`);
  }
  for (const [old, label] of settings.renames) {
    if (!header.stages.some((s) => s.label === old)) problems.push(`--renameSteps names "${old}", which the checkpoint does not have.`);
    else if (!current.has(label)) problems.push(`--renameSteps maps "${old}" to "${label}", which this pipeline does not have.`);
  }
  if (problems.length > 0) {
    throw new BeamError("CHECKPOINT_INCOMPATIBLE", `This pipeline cannot start from checkpoint ${location}:\n  ${problems.join("\n  ")}`);
  }
  return {
    location,
    header,
    parts: parts.map((bytes) => {
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
    }),
  };
}
