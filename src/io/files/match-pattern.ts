import { messageOf } from "../../model/index.js";
import { fileSystemFor, type FileMetadata } from "../filesystems/index.js";
import { emptyMatchAllowed, type EmptyMatchTreatment } from "./empty-match-treatment.js";
import { FileIOError } from "./file-io-error.js";
import { withoutWriteArtifacts } from "./write-artifacts.js";

/**
 * The files a pattern matches now (Beam's `FileSystems.match(pattern, treatment)`), through
 * the file system of the pattern's scheme, sorted by path. A wildcard never matches the
 * files writes keep for themselves (success markers, `.temp-beam-*` directories). An empty
 * match that `treatment` does not allow fails naming the pattern; so does a failing match.
 *
 * @example const files = await matchPattern("gs://bucket/logs/*.gz", "DISALLOW", "matchFiles");
 */
export async function matchPattern(pattern: string, treatment: EmptyMatchTreatment, where: string): Promise<FileMetadata[]> {
  let files: FileMetadata[];
  try {
    const matched = await (await fileSystemFor(pattern)).match(pattern);
    const data = new Set(await withoutWriteArtifacts(pattern, matched.map((m) => m.path)));
    files = matched.filter((m) => data.has(m.path));
  } catch (err) {
    throw new FileIOError(`${where}: cannot match the file pattern "${pattern}": ${messageOf(err)}. Check the path, its permissions and credentials.`, {
      cause: err,
    });
  }
  if (files.length === 0 && !emptyMatchAllowed(pattern, treatment)) {
    const relative = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(pattern) || pattern.startsWith("/") ? "" : ` (relative paths are resolved against ${process.cwd()})`;
    throw new FileIOError(
      `${where}: no file matches the pattern "${pattern}"${relative}, and emptyMatchTreatment is ${treatment}. ` +
        `Check the path and wildcards, or pass { emptyMatchTreatment: "ALLOW" } to match nothing without failing.`,
      { retryable: false },
    );
  }
  return files;
}
