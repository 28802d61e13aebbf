import type { CreateOptions } from "../filesystems/index.js";
import type { ShardSink } from "./sharded-write.js";

/**
 * Beam's FileIO.Sink: how a format writes one file. `writeFiles` opens one per temporary
 * file it writes and decides everything else (which elements, how many files, their
 * names, when they become visible). `open` must create a new file at `file` (never reuse
 * an existing one) on the file system of its path (`fileSystemFor(file).create(file,
 * { exclusive: true, ...options })`), passing `options` on: a streaming write asks for
 * `durable` files.
 *
 * The formats' sinks: `textSink`, `jsonLinesSink` (beam-ts/io/text), `csvSink`
 * (beam-ts/io/csv), `avroSink` (beam-ts/io/avro), `parquetSink` (beam-ts/io/parquet).
 *
 * @example
 * const linesSink: FileSink<string> = {
 *   async open(file, options) {
 *     const out = writableFileStream(await (await fileSystemFor(file)).create(file, { exclusive: true, ...options }));
 *     return { file, write: (line) => void out.write(`${line}\n`), close: async () => { out.end(); await finished(out); }, abort: async () => void out.destroy() };
 *   },
 * };
 */
export interface FileSink<T> {
  open(file: string, options?: CreateOptions): Promise<ShardSink<T>>;
}
