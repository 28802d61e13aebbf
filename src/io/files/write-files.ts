import { deterministicJsValueCoder } from "../../coders/index.js";
import { ConstructionError, describeValue, type Coder } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { checkFileSystemPath, schemeOf } from "../filesystems/index.js";
import { expandBoundedWrite } from "./bounded-write.js";
import { FileIOError } from "./file-io-error.js";
import { defaultNaming, unsafeRelativeName, type FileNaming } from "./file-naming.js";
import { joinPath, resolveOutputPath } from "./file-paths.js";
import type { FileSink } from "./file-sink.js";
import { expandWindowedWrite } from "./windowed-write.js";
import type { WriteFilesSpec } from "./write-files-spec.js";

/** Options of writeFiles (Beam's FileIO.write() / writeDynamic() builder, as one object). */
export interface WriteFilesOptions<T, D = string> {
  /** The directory every file name is relative to (local, `s3://`, `gs://`, ...). Beam's `to`. */
  readonly to: string;
  /** How one file is written: a sink, or a sink per destination (Beam's `via`). */
  readonly sink: FileSink<T> | ((destination: D) => FileSink<T>);
  /**
   * The destination of each element (Beam's `by`): elements of one destination are written
   * to their own files. With the default naming a destination is a folder under `to`
   * (`"customer-42"`, `"2024/05"`; never `..`). Without `by` every element goes to `""`.
   */
  readonly by?: (element: T) => D;
  /**
   * The naming of a destination's files (Beam's `withNaming(destination => FileNaming)`).
   * Default: `defaultNaming(\`${destination}/${prefix}\`, suffix)`, or
   * `defaultNaming(prefix, suffix)` for the destination `""`.
   */
  readonly naming?: (destination: D) => FileNaming;
  /** The default naming's file prefix (Beam's `withPrefix`). Default "output", as Beam. */
  readonly prefix?: string;
  /** The default naming's suffix (Beam's `withSuffix`), e.g. ".csv". Default "". */
  readonly suffix?: string;
  /**
   * Files per destination (per window and pane for an unbounded input, where it is
   * required). By default the runner decides: one per destination per bundle.
   */
  readonly numShards?: number;
  /**
   * Where the write's temporary directory is created (Beam's `withTempDirectory`); default
   * `to`. Must be on the same file system as `to` (locally, the same disk: files are renamed
   * into place).
   */
  readonly tempDirectory?: string;
  /** The destinations' coder (deterministic: destinations are grouped by their encoding). Default: the JS value coder. */
  readonly destinationCoder?: Coder<D>;
  /** The elements' coder for the shuffle of `numShards`; default the input's. */
  readonly elementCoder?: Coder<T>;
}

/**
 * Beam's FileIO.write() / writeDynamic(): writes each element, through a format's `sink`,
 * to files of its destination (`by`), named by the destination's `naming`, under `to`, and
 * outputs the final file names.
 *
 * - Bounded input: per destination, one file per bundle or `numShards` files (shards with
 *   no element written empty), written under a temporary directory and made visible at the
 *   end, each destination by itself with writeText's guarantees: with a shard-template
 *   naming (`defaultNaming`, the default) its previous shards are replaced and a success
 *   marker `_${prefix}${suffix}_SUCCESS` lists the new ones; with a custom naming the files
 *   are renamed into place, replacing files of the same names only, with no marker.
 *   Windows are not kept (as writeText). An empty input writes nothing when `by` is given,
 *   and the destination `""`'s empty file(s) otherwise.
 * - Unbounded input (`numShards` required): every pane the windowing fires becomes, per
 *   destination and shard with elements, one file named by window, pane and shard, committed
 *   exactly once when the pane's bundle is checkpointed (docs/IO.md, "Streaming file writes").
 *
 * A `by` that throws, or a destination or naming that would name a file outside `to`, fails
 * the write naming the element (or the destination).
 *
 * @example
 * orders.apply(writeFiles({ to: "out/orders", by: (o: Order) => o.customer, sink: csvSink({ schema: Order }), suffix: ".csv", numShards: 2 }))
 * // out/orders/<customer>/output-00000-of-00002.csv, ...
 */
export function writeFiles<T, D = string>(options: WriteFilesOptions<T, D>): WriteFiles<T, D> {
  return new WriteFiles(resolveWriteFiles("writeFiles", options));
}

/** The transform of `writeFiles`. */
export class WriteFiles<T, D> extends PTransform<PCollection<T>, PCollection<string>> {
  constructor(private readonly spec: WriteFilesSpec<T, D>) {
    super("WriteFiles");
  }

  expand(input: PCollection<T>): PCollection<string> {
    return expandWriteFiles(input, this.spec);
  }
}

/** @internal The write pipeline of a spec: bounded (finalized at the end) or windowed (per pane). */
export function expandWriteFiles<T, D>(input: PCollection<T>, spec: WriteFilesSpec<T, D>): PCollection<string> {
  return input.isBounded ? expandBoundedWrite(input, spec) : expandWindowedWrite(input, spec);
}

/** Checks writeFiles' options at construction, failing with what to fix. */
function resolveWriteFiles<T, D>(what: string, options: WriteFilesOptions<T, D>): WriteFilesSpec<T, D> {
  const { to, sink, by, naming, prefix = "output", suffix = "", numShards, tempDirectory, destinationCoder, elementCoder } = options;
  if (typeof to !== "string" || to.length === 0) {
    throw new ConstructionError(`${what} needs { to }: the output directory, such as "out/orders" or "s3://bucket/orders"; got ${String(to)}.`);
  }
  checkFileSystemPath(to, what);
  if (typeof sink !== "function" && (typeof sink !== "object" || sink === null || typeof sink.open !== "function")) {
    throw new ConstructionError(`${what} needs { sink }: a FileSink (e.g. textSink(), csvSink({ schema })) or a function from destination to FileSink.`);
  }
  if (by !== undefined && typeof by !== "function") throw new ConstructionError(`${what}: by must be a function from element to destination.`);
  if (naming !== undefined && typeof naming !== "function") {
    throw new ConstructionError(`${what}: naming must be a function from destination to FileNaming, e.g. (d) => defaultNaming(\`\${d}/part\`, ".csv").`);
  }
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(`${what}: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`);
  }
  if (typeof suffix !== "string") throw new ConstructionError(`${what}: suffix must be a string, got ${typeof suffix}.`);
  const prefixProblem = unsafeRelativeName(prefix);
  if (prefixProblem !== undefined) throw new ConstructionError(`${what}: the prefix ${describeValue(prefix)} cannot name files: ${prefixProblem}.`);
  const dir = resolveOutputPath(to);
  let tempBase = dir;
  if (tempDirectory !== undefined) {
    checkFileSystemPath(tempDirectory, what);
    if (schemeOf(tempDirectory) !== schemeOf(to)) {
      throw new ConstructionError(
        `${what}: tempDirectory "${tempDirectory}" is on another file system than "${to}"; files are moved from one to the other, so use the same scheme.`,
      );
    }
    tempBase = resolveOutputPath(tempDirectory);
  }
  const fixed = "" as unknown as D;
  const namingFor =
    naming ??
    ((destination: D): FileNaming => {
      if (typeof destination !== "string") {
        throw new FileIOError(
          `${what}: the default naming puts a destination's files in the folder it names, so destinations must be strings; got ${describeValue(destination)}. ` +
            `Return a string from by, or pass naming: (destination) => defaultNaming(...).`,
          { retryable: false },
        );
      }
      return defaultNaming(destination === "" ? prefix : `${destination}/${prefix}`, suffix);
    });
  return {
    what,
    to: dir,
    dynamic: by !== undefined,
    by: by ?? (() => fixed),
    fixedDestination: fixed,
    destinationCoder: destinationCoder ?? (deterministicJsValueCoder as Coder<D>),
    sinkFor: typeof sink === "function" ? sink : () => sink,
    namingFor,
    numShards,
    check: (element) => element as T,
    elementCoder,
    temp: { prefix: joinPath(tempBase, prefix), suffix },
  };
}
