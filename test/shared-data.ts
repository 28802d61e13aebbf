import { existsSync } from "node:fs";
import path from "node:path";

/**
 * Finds a file of the project's shared test data (Beam's cross-SDK vectors and the like),
 * which lives beside the repository, never inside it. `BEAM_TS_SHARED` overrides the place.
 */
export function sharedData(relative: string): string {
  const repo = path.resolve(import.meta.dirname, "..");
  const candidates = [process.env["BEAM_TS_SHARED"], path.resolve(repo, "../shared"), "/work/shared"].filter(
    (c): c is string => c !== undefined && c !== "",
  );
  for (const dir of candidates) {
    const file = path.join(dir, relative);
    if (existsSync(file)) return file;
  }
  throw new Error(
    `Shared test data ${relative} not found in ${candidates.join(", ")}. Set BEAM_TS_SHARED to the folder that holds testdata/.`,
  );
}
