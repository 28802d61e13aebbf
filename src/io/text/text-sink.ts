import { ConstructionError, describeValue } from "../../model/index.js";
import type { FileSink, ShardSink } from "../files/index.js";
import type { CreateOptions } from "../filesystems/index.js";
import { ShardWriter, type WriteCompression } from "./shard-writer.js";
import { TextIOError } from "./text-io-error.js";

/** Options of textSink: what every file holds besides the lines. */
export interface TextSinkOptions {
  /** A line written at the top of every file. */
  readonly header?: string;
  /** A line written at the bottom of every file. */
  readonly footer?: string;
  /** "gzip" compresses every file (choose the suffix yourself). Default "none". */
  readonly compression?: WriteCompression;
}

/**
 * Beam's TextIO.sink(): a FileSink of lines (each string, "\n"-terminated), for writeFiles.
 * writeText writes through it. A non-string element fails naming it.
 *
 * @example events.apply(map(toLine)).apply(writeFiles({ to: "out/logs", by: (line) => line.slice(0, 10), sink: textSink(), suffix: ".txt" }))
 */
export function textSink(options: TextSinkOptions = {}, what = "textSink"): FileSink<string> {
  const { header, footer, compression = "none" } = options;
  if (compression !== "none" && compression !== "gzip") {
    throw new ConstructionError(`${what}: compression must be "none" or "gzip", got ${String(compression)}.`);
  }
  for (const [name, v] of [["header", header], ["footer", footer]] as const) {
    if (v !== undefined && typeof v !== "string") throw new ConstructionError(`${what}: ${name} must be a string, got ${typeof v}.`);
  }
  return {
    async open(file: string, createOptions?: CreateOptions): Promise<ShardSink<string>> {
      const writer = await ShardWriter.open(file, compression, header, createOptions);
      return {
        file,
        write: (line) => writer.write(checkLine(line, what)),
        close: () => writer.close(footer),
        abort: () => writer.abort(),
      };
    },
  };
}

/** A line to write, or a message that says how to make one. */
export function checkLine(line: unknown, what: string): string {
  if (typeof line === "string") return line;
  throw new TextIOError(
    `${what} writes strings, one per line, but got ${line === null ? "null" : typeof line} ${describeValue(line)}. ` +
      `Convert the elements first, e.g. .apply(map((x) => String(x))), or use writeJsonLines.`,
  );
}
