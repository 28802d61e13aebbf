import { registerFileSystem } from "./file-systems.js";
import { LocalFileSystem } from "./local-file-system.js";

/**
 * The file systems every beam-ts process knows: local files, and the object stores whose
 * client libraries (optional peers) are imported only when a path of theirs is first used,
 * so a job on local files never loads the AWS or Google SDKs.
 */
registerFileSystem("file", () => new LocalFileSystem());
registerFileSystem("s3", async () => (await import("../s3/s3-file-system.js")).createS3FileSystem());
registerFileSystem("gs", async () => (await import("../gcs/gcs-file-system.js")).createGcsFileSystem());
