import { ConstructionError, Triggers, globalWindows, kv, type Duration, type KV } from "../../model/index.js";
import { kvCoder, stringUtf8Coder } from "../../coders/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { StateSpecs, combineGlobally, map, statefulParDo, windowInto, type CombineFn, type StateSpec, type StatefulDoFn, type ValueState } from "../../transforms/index.js";
import type { FileMetadata } from "../filesystems/index.js";
import { fileMetadataCoder } from "./file-metadata-coder.js";
import { matchFiles } from "./match-files.js";
import type { TerminationCondition } from "./termination-condition.js";

/** Options of `watchFilePattern`. */
export interface WatchFilePatternOptions {
  /** Time between two polls of the pattern, in ms of processing time (default 360 000, Beam's 360 s). */
  readonly interval?: Duration;
  /**
   * When to stop polling: a Growth termination condition or a duration in ms (Beam's
   * stop_timestamp, as a duration from the first poll). Default `Growth.never()`.
   */
  readonly stopAfter?: TerminationCondition | Duration;
}

/**
 * Beam Python's WatchFilePattern (apache_beam.ml.inference.utils): watches a file pattern
 * (Beam's glob syntax, any registered scheme) and emits the path of the newest matching
 * file, by modification time, each time a newer one appears. Each path comes once (but for
 * the last pane, below); a file older than the newest seen so far is ignored, so new models
 * need new names (as in Beam).
 * Unlike Beam, the newest file already there when the job starts is emitted too, so the
 * job starts on it rather than on the handler's own model.
 *
 * The output is in the global window with a trigger firing on every newer file, so
 * `asSingleton` of it is the slowly-changing side input runInference's `modelUpdates`
 * reads: the latest pane wins. The panes accumulate: the last one, when the watch stops,
 * names the newest path again (so the side input keeps it) rather than nothing; undefined
 * comes only from a pane before any file matched (runInference then keeps the handler's
 * own model). Unbounded: run it in a streaming job.
 *
 * @example
 * const latest = asSingleton(p.apply(watchFilePattern("models/*.onnx", { interval: 60_000 })));
 * const scored = rows.apply(runInference(onnxModelHandler({ path: "models/v1.onnx" }), { modelUpdates: latest }));
 */
export function watchFilePattern(pattern: string, options: WatchFilePatternOptions = {}): WatchFilePattern {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new ConstructionError(`watchFilePattern needs a non-empty file pattern such as "models/*.onnx"; got ${String(pattern)}.`);
  }
  const interval = options.interval ?? 360_000;
  // matchFiles checks the pattern's scheme and the options (interval, stopAfter) with messages naming them.
  const match = matchFiles(pattern).continuously({ interval, ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}) });
  return new WatchFilePattern(match);
}

/** The transform `watchFilePattern` returns. */
export class WatchFilePattern extends PTransform<PBegin, PCollection<string | undefined>> {
  constructor(private readonly match: PTransform<PBegin, PCollection<FileMetadata>>) {
    super("WatchFilePattern");
  }

  expand(input: PBegin): PCollection<string | undefined> {
    return (
      input
        .apply("MatchContinuously", this.match)
        .apply("KeyByVoid", map((file: FileMetadata) => kv("", file)))
        .withCoder(kvCoder(stringUtf8Coder, fileMetadataCoder))
        // Before the trigger, as state loses panes: only a file newer than every one before passes, so each pane below has a new newest file.
        .apply("NewerFilesOnly", statefulParDo(newerFilesOnly))
        .withCoder(fileMetadataCoder)
        // A pane per batch of new files; accumulating, so that the pane that ends the watch names the newest file again rather than nothing.
        .apply("EveryNewFile", windowInto(globalWindows(), { trigger: Triggers.repeatedly(Triggers.afterCount(1)), accumulationMode: "ACCUMULATING" }))
        .apply("NewestPath", combineGlobally(newestPath))
    );
  }
}

/** The file with the latest modification time (ties: the greater path, so every worker agrees). */
function newer(a: FileMetadata | undefined, b: FileMetadata | undefined): FileMetadata | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.lastModifiedMillis !== b.lastModifiedMillis) return a.lastModifiedMillis > b.lastModifiedMillis ? a : b;
  return a.path >= b.path ? a : b;
}

/** The path of the newest file of a pane (undefined: none yet). */
const newestPath: CombineFn<FileMetadata, FileMetadata | undefined, string | undefined> = {
  name: "NewestPath",
  createAccumulator: () => undefined,
  addInput: (newest, file) => newer(newest, file),
  mergeAccumulators: (all) => {
    let newest: FileMetadata | undefined;
    for (const a of all) newest = newer(newest, a);
    return newest;
  },
  // Accumulators and outputs may be undefined: the JS value coder (the default) carries that.
  extractOutput: (newest) => newest?.path,
};

type Newest = { newest: StateSpec<ValueState<FileMetadata>> };

/** Passes a file only when it is newer than every file passed before (Beam's _GetLatestFileByTimeStamp, over all paths). */
const newerFilesOnly: StatefulDoFn<string, FileMetadata, FileMetadata, Newest> = {
  state: { newest: StateSpecs.value<FileMetadata>(fileMetadataCoder) },
  process(element: KV<string, FileMetadata>, ctx) {
    const file = element.value;
    const newest = ctx.state.newest.read();
    if (newest !== undefined && newer(newest, file) === newest) return;
    ctx.state.newest.write(file);
    ctx.output(file);
  },
};
