import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { BeamError } from "../../../model/index.js";
import { crashPoint } from "./crash-points.js";

/** A stored checkpoint or savepoint, as storage lists it. */
export interface StoredCheckpoint {
  readonly id: number;
  readonly kind: "checkpoint" | "savepoint";
  /** Where it is (a path for the local directory): what --restoreFrom names. */
  readonly location: string;
}

/**
 * Where checkpoints go. A write is atomic: a checkpoint is listed only once it is complete
 * (a crash during a write leaves nothing a restore would pick up).
 */
export interface CheckpointStorage {
  /** Stores a checkpoint's bytes; resolves once they are durable. */
  write(id: number, kind: "checkpoint" | "savepoint", bytes: Uint8Array): Promise<StoredCheckpoint>;
  /** Complete checkpoints and savepoints, oldest first. */
  list(): StoredCheckpoint[];
  read(location: string): Uint8Array;
  /** Removes a checkpoint (retention). */
  remove(checkpoint: StoredCheckpoint): void;
}

const NAME = /^(chk|svp)-(\d{6,})\.beamckpt$/;

/**
 * Checkpoints in a local directory: `chk-000012.beamckpt` and `svp-000013.beamckpt`
 * (savepoints). A file is written under a temporary name, fsynced, renamed into place,
 * and the directory fsynced, so it appears whole or not at all, and survives a power loss
 * once `write` resolved.
 */
export class LocalCheckpointStorage implements CheckpointStorage {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  async write(id: number, kind: "checkpoint" | "savepoint", bytes: Uint8Array): Promise<StoredCheckpoint> {
    const name = `${kind === "checkpoint" ? "chk" : "svp"}-${String(id).padStart(6, "0")}.beamckpt`;
    const final = path.join(this.dir, name);
    const temp = path.join(this.dir, `.${name}.${process.pid}.tmp`);
    const file = await open(temp, "w");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    crashPoint("write");
    renameSync(temp, final);
    syncDirectory(this.dir);
    return { id, kind, location: final };
  }

  list(): StoredCheckpoint[] {
    const found: StoredCheckpoint[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = NAME.exec(name);
      if (m === null) continue;
      found.push({ id: Number(m[2]), kind: m[1] === "chk" ? "checkpoint" : "savepoint", location: path.join(this.dir, name) });
    }
    return found.sort((a, b) => a.id - b.id);
  }

  read(location: string): Uint8Array {
    try {
      return readFileSync(location);
    } catch (err) {
      throw new BeamError("CHECKPOINT_NOT_FOUND", `Cannot read checkpoint ${location}: ${(err as Error).message}`, { cause: err });
    }
  }

  remove(checkpoint: StoredCheckpoint): void {
    rmSync(checkpoint.location, { force: true });
  }

  /** Removes temporary files of writes that never completed (a crash mid-write). */
  removeIncomplete(): void {
    for (const name of readdirSync(this.dir)) if (name.startsWith(".") && name.endsWith(".tmp")) rmSync(path.join(this.dir, name), { force: true });
  }
}

/** Makes a rename in `dir` durable (a directory's entries are its data). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is then as durable as they make it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
