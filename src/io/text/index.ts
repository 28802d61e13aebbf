// Text file IO: read and write line-oriented text and JSON Lines files (Beam's TextIO).
export { matchFiles, readText, type EmptyMatchTreatment, type MatchFilesOptions, type ReadTextOptions } from "./read-text.js";
export { shardFileName, writeText, type WriteTextOptions } from "./write-text.js";
export { textSink, type TextSinkOptions } from "./text-sink.js";
export { jsonLinesSink } from "./json-lines-sink.js";
export {
  readJsonLines,
  writeJsonLines,
  type ReadJsonLinesOptions,
} from "./json-lines.js";
export { expandGlob } from "../filesystems/local-glob.js";
export type { ReadCompression } from "./lines.js";
export type { WriteCompression } from "./shard-writer.js";
export { TextIOError } from "./text-io-error.js";
export { INVALID_UTF8_LINES_METRIC, type InvalidUtf8Treatment } from "./invalid-utf8.js";
