// File-based writes as a set: temporary directory, finalization into place, success marker.
export { finalizeWrite, type ShardMove, type WriteTarget } from "./finalize-write.js";
export { createTempDirectory, removeStaleTempDirectories, TEMP_DIRECTORY_PREFIX } from "./temp-directory.js";
export { isSuccessMarker, readSuccessMarker, successMarkerFile, type SuccessManifest } from "./success-marker.js";
export { shardFileName, shardNameMatcher } from "./shard-template.js";
export { withoutWriteArtifacts } from "./write-artifacts.js";
export { FileIOError } from "./file-io-error.js";
export { ShardedWrite, type ShardSink, type ShardedWriteSettings } from "./sharded-write.js";
