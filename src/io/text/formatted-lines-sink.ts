import type { FileSink, ShardSink } from "../files/index.js";
import type { CreateOptions } from "../filesystems/index.js";

/**
 * A FileSink of T that writes each element as one line: `format` turns the element into the
 * line, `lines` (a textSink) writes it. The line formats' sinks (jsonLinesSink, csvSink) are
 * this; their writers (writeJsonLines, writeCsv) run the same `format` before their shuffle
 * instead, so that they shuffle strings (any T works, whatever its coder) and write them with
 * the same kind of line sink.
 */
export interface FormattedLinesSink<T> extends FileSink<T> {
  /** The line of one element; throws a message naming the element when it has none. */
  readonly format: (element: T) => string;
  /** The sink the lines go to. */
  readonly lines: FileSink<string>;
}

/** The sink writing `format(element)` through `lines`. */
export function formattedLinesSink<T>(format: (element: T) => string, lines: FileSink<string>): FormattedLinesSink<T> {
  return {
    format,
    lines,
    async open(file: string, options?: CreateOptions): Promise<ShardSink<T>> {
      const shard = await lines.open(file, options);
      return {
        file: shard.file,
        write: (element) => shard.write(format(element)),
        close: () => shard.close(),
        abort: () => shard.abort(),
      };
    },
  };
}
