import { pathSegments } from "./file-paths.js";
import { isSuccessMarker } from "./success-marker.js";
import { TEMP_DIRECTORY_PREFIX } from "./temp-directory.js";

/**
 * The files of a glob's match that are data: without the files writes use for their own
 * protocol, which a reader must never take for data. Those are success markers (checked
 * by content, see `isSuccessMarker`) and files under a `.temp-beam-*` directory (the
 * partial output of a write running now or killed earlier), unless the pattern names
 * such a directory itself. A pattern without wildcards names its file: kept as is.
 *
 * @example const files = await withoutWriteArtifacts("out/*", await expandGlob("out/*"));
 */
export async function withoutWriteArtifacts(pattern: string, files: readonly string[]): Promise<string[]> {
  // Glob syntax, as filesystems/local-glob.ts's hasWildcard: a literal path is read whatever it names.
  if (!/[*?[{]/.test(pattern)) return [...files];
  const keepTemp = pattern.includes(TEMP_DIRECTORY_PREFIX);
  const out: string[] = [];
  for (const file of files) {
    if (!keepTemp && pathSegments(file).some((segment) => segment.startsWith(TEMP_DIRECTORY_PREFIX))) continue;
    if (await isSuccessMarker(file)) continue;
    out.push(file);
  }
  return out;
}
