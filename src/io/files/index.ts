// File-based writes as a set: temporary directory, finalization into place, success marker.
export { finalizeWrite, type FinalizeHooks, type ShardMove, type WriteTarget } from "./finalize-write.js";
export { createTempDirectory, removeStaleTempDirectories, TEMP_DIRECTORY_PREFIX } from "./temp-directory.js";
export { isSuccessMarker, readSuccessMarker, successMarkerFile, type SuccessManifest } from "./success-marker.js";
export { shardFileName, shardNameMatcher } from "./shard-template.js";
export { withoutWriteArtifacts } from "./write-artifacts.js";
export { FileIOError } from "./file-io-error.js";
export { ShardedWrite, type ShardSink, type ShardedWriteSettings } from "./sharded-write.js";
export { basenameOf, dirnameOf, joinPath, resolveOutputPath } from "./file-paths.js";
// FileIO (Beam's FileIO.match / matchAll / readMatches): matching patterns, once or continuously, and reading matched files.
export { matchFiles, matchAll, MatchFiles, MatchAll, type MatchOptions, type ContinuouslyOptions } from "./match-files.js";
export { EMPTY_MATCH_TREATMENTS, type EmptyMatchTreatment } from "./empty-match-treatment.js";
export { Growth, type TerminationCondition } from "./termination-condition.js";
// Beam Python's WatchFilePattern: the newest file of a pattern, as a slowly-changing side input (RunInference's model updates).
export { watchFilePattern, WatchFilePattern, type WatchFilePatternOptions } from "./watch-file-pattern.js";
export { readMatches, type DirectoryTreatment, type ReadMatchesOptions } from "./read-matches.js";
export { ReadableFileHandle, readableFileHandleCoder, type ResolvedCompression } from "./readable-file-handle.js";
export { fileMetadataCoder } from "./file-metadata-coder.js";
export type { Compression, FileMetadata } from "../filesystems/index.js";
// FileIO.write / writeDynamic: files per destination, named by a FileNaming, through a format's FileSink.
export { writeFiles, WriteFiles, type WriteFilesOptions } from "./write-files.js";
export { defaultNaming, type FileNaming, type ShardName } from "./file-naming.js";
export type { FileSink } from "./file-sink.js";
export { firstInvalidUtf8Offset } from "./utf8-validation.js";
