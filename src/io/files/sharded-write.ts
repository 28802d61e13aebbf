import { stringUtf8Coder } from "../../coders/index.js";
import type { Coder } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import type { CreateOptions } from "../filesystems/index.js";
import { defaultNaming } from "./file-naming.js";
import { basenameOf, dirnameOf } from "./file-paths.js";
import { expandWriteFiles } from "./write-files.js";
import type { WriteFilesSpec } from "./write-files-spec.js";

/**
 * One temporary file being written by a format's writer: elements in, a complete file out
 * on `close`. `write` returns a promise only when the writer asks to wait (backpressure).
 */
export interface ShardSink<T> {
  readonly file: string;
  write(element: T): void | Promise<void>;
  /** Ends the file and waits until it is fully written. */
  close(): Promise<void>;
  /** Stops writing and deletes the file (after a failure). */
  abort(): Promise<void>;
}

/** What a sharded write needs from its format: where, how many files, how to write one. */
export interface ShardedWriteSettings<T> {
  /** The writer's name, for messages ("writeText"). */
  readonly what: string;
  /** Absolute prefix of the output files (a local path, or `<scheme>://bucket/key` of any registered file system). */
  readonly prefix: string;
  readonly suffix: string;
  /** A fixed number of files; undefined lets the runner choose (one per bundle). */
  readonly numShards: number | undefined;
  /**
   * Opens a new temporary file (never an existing one) on the file system of its path,
   * with these create options (`durable` for two-phase commits).
   */
  readonly openShard: (file: string, options?: CreateOptions) => Promise<ShardSink<T>>;
  /** Checks an element before it is written or shuffled, throwing a message for the user. */
  readonly check: (element: unknown) => T;
  /** The elements' coder, for the shuffle of `numShards`; the input's coder when absent. */
  readonly elementCoder?: Coder<T>;
}

/**
 * The write of every file writer of one prefix (writeText, writeAvro, writeParquet, and
 * through writeText writeJsonLines and writeCsv): `writeFiles` with a single destination,
 * named `${prefix}-SSSSS-of-NNNNN${suffix}` (Beam's defaultNaming, per window and pane for
 * an unbounded input). Elements are written to temporary files, one per bundle or, with
 * `numShards`, one per shard, and the complete ones are finalized together by
 * `finalizeWrite` with a success marker; an unbounded input's fired panes are committed in
 * two phases (`expandWindowedWrite`). Outputs the final file names. The format only says
 * how to write one file (`openShard`).
 *
 * @example input.apply(new ShardedWrite("WriteText", settings))
 */
export class ShardedWrite<T> extends PTransform<PCollection<T>, PCollection<string>> {
  constructor(
    name: string,
    private readonly settings: ShardedWriteSettings<T>,
  ) {
    super(name);
  }

  expand(input: PCollection<T>): PCollection<string> {
    return expandWriteFiles(input, singleDestination(this.settings));
  }
}

/** The settings of a one-prefix write as a `writeFiles` spec: the destination "" in the prefix's directory. */
export function singleDestination<T>(s: ShardedWriteSettings<T>): WriteFilesSpec<T, string> {
  const naming = defaultNaming(basenameOf(s.prefix), s.suffix);
  const sink = { open: (file: string, options?: CreateOptions) => s.openShard(file, options) };
  return {
    what: s.what,
    to: dirnameOf(s.prefix),
    dynamic: false,
    by: () => "",
    fixedDestination: "",
    destinationCoder: stringUtf8Coder,
    sinkFor: () => sink,
    namingFor: () => naming,
    numShards: s.numShards,
    check: s.check,
    elementCoder: s.elementCoder,
    temp: { prefix: s.prefix, suffix: s.suffix },
  };
}
