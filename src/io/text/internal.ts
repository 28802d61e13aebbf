// The reading machinery of text/ that the other line-based file connectors of src/io reuse
// (CSV; Avro uses matchFiles and StatFilesDoFn): not part of the package's public `beam-ts/io/text` surface (index.ts).
export { ReadFileLinesFn, StatFilesDoFn, UnsplittableOffsetRangeTracker, type FileLine, type TextFile } from "./read-file-fn.js";
export { matchFiles, resolveReadOptions, toMaybeInvalidLine, type EmptyMatchTreatment, type ResolvedReadOptions } from "./read-text.js";
export { lineNumberAt } from "./byte-range-lines.js";
export { openFileStream, openReadableFile } from "./open-file.js";
export { isGzipped, type ReadCompression } from "./lines.js";
export type { MaybeInvalidLine } from "./invalid-utf8.js";
export { TextIOError, messageOf, truncate } from "./text-io-error.js";
export { writeText, type WriteTextOptions } from "./write-text.js";
export { formattedLinesSink, type FormattedLinesSink } from "./formatted-lines-sink.js";
export { textSink } from "./text-sink.js";
export type { WriteCompression } from "./shard-writer.js";
