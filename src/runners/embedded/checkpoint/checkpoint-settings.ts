import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";

/** The embedded runner's checkpoint settings (docs/FAULT_TOLERANCE.md). */
export interface CheckpointSettings {
  /** Where checkpoints go. */
  readonly dir: string;
  /** Milliseconds between the start of one checkpoint and the next. */
  readonly intervalMillis: number;
  /** Checkpoints kept (savepoints are never removed). */
  readonly retained: number;
  /** "latest" or the path of a checkpoint to start from; undefined: a fresh start. */
  readonly restoreFrom: string | undefined;
  /** Restore even when a stateful step of the checkpoint is gone. */
  readonly allowDroppingState: boolean;
  /** Old step name to new, for steps renamed since the checkpoint. */
  readonly renames: ReadonlyMap<string, string>;
  /**
   * Testing aid: the job stops (CANCELLED, finalizations held) right after its n-th
   * checkpoint is durable, as if the process had died there.
   */
  readonly stopAfterCheckpoint: number | undefined;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
const DEFAULT_RETAINED = 3;

const DURATION_UNITS: Readonly<Record<string, number>> = { "": 1, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parses 10s, 500ms, 2m, 1h or a number of milliseconds; undefined when it is none of them. */
export function parseDurationMillis(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i.exec(v);
  if (m === null) return undefined;
  return Number(m[1]) * DURATION_UNITS[(m[2] ?? "").toLowerCase()]!;
}

/**
 * Reads the checkpoint options; undefined without --checkpointDir (and without
 * --restoreFrom naming a file). Problems are appended to `problems`, each with its fix.
 */
export function checkpointSettings(options: Readonly<Record<string, unknown>>, problems: string[]): CheckpointSettings | undefined {
  const dirOption = options["checkpointDir"];
  const restoreOption = options["restoreFrom"];
  const restoreFrom = restoreOption === undefined || restoreOption === "" ? undefined : String(restoreOption);
  let dir = dirOption === undefined || dirOption === "" ? undefined : String(dirOption);
  if (dir === undefined && restoreFrom !== undefined && restoreFrom !== "latest") dir = path.dirname(restoreFrom);
  if (dir === undefined) {
    if (restoreFrom === "latest") problems.push("--restoreFrom=latest needs --checkpointDir: the directory whose newest checkpoint to start from.");
    for (const name of ["checkpointInterval", "checkpointsRetained", "allowDroppingState", "renameSteps"]) {
      if (options[name] !== undefined && options[name] !== "" && options[name] !== false) problems.push(`--${name} needs --checkpointDir (a directory for the checkpoints).`);
    }
    return undefined;
  }
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) problems.push(`--checkpointDir=${dir}: not a directory. Name a directory (it is created if missing).`);
    else accessSync(dir, constants.W_OK);
  } catch (err) {
    problems.push(`--checkpointDir=${dir}: cannot be created or written (${(err as NodeJS.ErrnoException).code ?? String(err)}). Name a writable directory.`);
  }
  if (restoreFrom !== undefined && restoreFrom !== "latest" && !existsSync(restoreFrom)) {
    problems.push(`--restoreFrom=${restoreFrom}: no such file. Name a checkpoint file (chk-*.beamckpt or svp-*.beamckpt), or use latest.`);
  }
  const interval = options["checkpointInterval"];
  let intervalMillis = DEFAULT_CHECKPOINT_INTERVAL_MS;
  if (interval !== undefined && interval !== "") {
    const parsed = parseDurationMillis(interval);
    if (parsed === undefined) problems.push(`--checkpointInterval must be a duration such as 10s, 500ms or 2m (or milliseconds), got ${String(interval)}.`);
    else intervalMillis = parsed;
  }
  const retainedOption = options["checkpointsRetained"] ?? DEFAULT_RETAINED;
  const retained = Number(retainedOption);
  if (!Number.isInteger(retained) || retained < 1) problems.push(`--checkpointsRetained must be an integer >= 1, got ${String(retainedOption)}.`);
  const stop = options["stopAfterCheckpoint"];
  return {
    dir,
    intervalMillis,
    retained: Number.isInteger(retained) && retained >= 1 ? retained : DEFAULT_RETAINED,
    restoreFrom,
    allowDroppingState: options["allowDroppingState"] === true || options["allowDroppingState"] === "true",
    renames: parseRenames(options["renameSteps"], problems),
    stopAfterCheckpoint: stop === undefined || stop === "" ? undefined : Number(stop),
  };
}

/** `--renameSteps=Old/Name=New/Name,Other=Renamed`. */
function parseRenames(v: unknown, problems: string[]): Map<string, string> {
  const renames = new Map<string, string>();
  if (v === undefined || v === "") return renames;
  for (const pair of String(v).split(",")) {
    const i = pair.lastIndexOf("=");
    if (i <= 0 || i === pair.length - 1) {
      problems.push(`--renameSteps takes old=new pairs separated by commas, got "${pair}".`);
      continue;
    }
    renames.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  return renames;
}
