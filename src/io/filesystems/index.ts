// File systems by scheme (Beam's FileSystems): local, s3://, gs://, and user-registered ones.
// Importing this module registers the built-in schemes (file, s3, gs).
import "./builtin-file-systems.js";

export type { CreateOptions, FileMetadata, FileMove, FileSystem, ReadableFile, WritableFile } from "./file-system.js";
export {
  checkFileSystemPath,
  fileSystemFor,
  registerFileSystem,
  registeredSchemes,
  schemeOf,
  setDefaultFileSystemOptions,
  defaultFileSystemOptions,
  type FileSystemFactory,
  type FileSystemOptions,
} from "./file-systems.js";
export { LocalFileSystem } from "./local-file-system.js";
export { expandGlob, hasWildcard } from "./local-glob.js";
export { readableFileStream } from "./readable-file-stream.js";
export { writableFileStream } from "./writable-file-stream.js";
export {
  checkCompression,
  compressionSuffix,
  COMPRESSIONS,
  createCompressor,
  decompress,
  detectCompression,
  isCompression,
  resolveCompression,
  type Compression,
} from "./compression.js";
// Shared by the object stores (src/io/s3, src/io/gcs).
export { globMatcher, hasGlobWildcard, type GlobMatcher } from "./glob-matcher.js";
export { directoryPrefix, joinObjectPath, objectBasename, objectDirname, objectPathOf, parseObjectPath, type ObjectPath } from "./object-path.js";
export { DEFAULT_READ_WINDOW_BYTES, rangedReadableFile, type RangeFetcher, type RangedReadableFile, type RangedReadOptions } from "./ranged-readable-file.js";
