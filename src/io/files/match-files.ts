import { ConstructionError, type Duration } from "../../model/index.js";
import { stringUtf8Coder } from "../../coders/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { create, parDo, reshuffle, splittableParDo, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { checkFileSystemPath, type FileMetadata } from "../filesystems/index.js";
import { checkEmptyMatchTreatment, type EmptyMatchTreatment } from "./empty-match-treatment.js";
import { fileMetadataCoder } from "./file-metadata-coder.js";
import { matchPattern } from "./match-pattern.js";
import { Growth, type TerminationCondition } from "./termination-condition.js";
import { WatchFilesFn, type WatchSettings } from "./watch-files-fn.js";

/** Options of matchFiles and matchAll. */
export interface MatchOptions {
  /**
   * What a pattern matching no file does (Beam's EmptyMatchTreatment). Defaults as Beam's:
   * DISALLOW for matchFiles, ALLOW_IF_WILDCARD for matchAll. A continuous match polls with ALLOW.
   */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
}

/** Options of `.continuously(...)` (Beam's `MatchConfiguration.continuously`). */
export interface ContinuouslyOptions {
  /** Time between two polls of a pattern, in milliseconds (processing time). */
  readonly interval: Duration;
  /**
   * When to stop polling a pattern: a Growth termination condition, or a duration in ms
   * (shorthand for `Growth.afterTotalOf(ms)`). Default `Growth.never()`.
   */
  readonly stopAfter?: TerminationCondition | Duration;
  /** Also emit a file again when its modification time changes (Beam's matchUpdatedFiles). Default false. */
  readonly matchUpdatedFiles?: boolean;
}

function resolveWatch(options: ContinuouslyOptions, where: string): WatchSettings {
  const { interval, stopAfter = Growth.never(), matchUpdatedFiles = false } = options;
  if (!Number.isFinite(interval) || interval < 0) {
    throw new ConstructionError(`${where}.continuously: interval must be a finite number of milliseconds >= 0, got ${String(interval)}.`);
  }
  if (typeof matchUpdatedFiles !== "boolean") {
    throw new ConstructionError(`${where}.continuously: matchUpdatedFiles must be a boolean, got ${String(matchUpdatedFiles)}.`);
  }
  const condition = typeof stopAfter === "number" ? Growth.afterTotalOf(stopAfter) : stopAfter;
  if (typeof condition?.canStopPolling !== "function") {
    throw new ConstructionError(`${where}.continuously: stopAfter must be a Growth termination condition or a duration in ms, got ${String(stopAfter)}.`);
  }
  return { interval, stopAfter: condition, matchUpdatedFiles, where };
}

/** Matches each pattern once (Beam's MatchAll MatchFn). */
class MatchFn implements DoFn<string, FileMetadata> {
  constructor(
    readonly treatment: EmptyMatchTreatment,
    readonly where: string,
  ) {}
  async process(pattern: string, ctx: ProcessContext<FileMetadata>): Promise<void> {
    for (const file of await matchPattern(pattern, this.treatment, this.where)) ctx.output(file);
  }
}

/**
 * Beam's FileIO.matchAll: each file pattern of the input (Beam's glob syntax, any registered
 * scheme: local paths, `s3://`, `gs://`) becomes the metadata of the files it matches
 * (path, size, modification time), reshuffled so they are read in parallel. A file
 * matching two patterns comes twice, as in Beam. An empty match follows
 * `emptyMatchTreatment` (default ALLOW_IF_WILDCARD: a missing literal path fails).
 * `.continuously(...)` watches each pattern instead (an unbounded output).
 *
 * @example const files = patterns.apply(matchAll({ emptyMatchTreatment: "DISALLOW" }));
 */
export function matchAll(options: MatchOptions = {}): MatchAll {
  return new MatchAll(checkEmptyMatchTreatment(options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD", "matchAll"), undefined);
}

/**
 * The transform of matchAll; `.continuously()` returns a watching copy.
 *
 * @example const watching: MatchAll = matchAll().continuously({ interval: 60_000 });
 */
export class MatchAll extends PTransform<PCollection<string>, PCollection<FileMetadata>> {
  constructor(
    private readonly treatment: EmptyMatchTreatment,
    private readonly watch: WatchSettings | undefined,
    private readonly where = "matchAll",
  ) {
    super("MatchAll");
  }

  /**
   * Beam's MatchAll.continuously: polls every pattern each `interval` until `stopAfter`,
   * emitting each file once (again on change with `matchUpdatedFiles`), timestamped with the
   * poll's processing time, which is also the watermark. The output is unbounded.
   *
   * @example patterns.apply(matchAll().continuously({ interval: 30_000, stopAfter: Growth.afterTimeSinceNewOutput(3_600_000) }))
   */
  continuously(options: ContinuouslyOptions): MatchAll {
    return new MatchAll(this.treatment, resolveWatch(options, this.where), this.where);
  }

  expand(input: PCollection<string>): PCollection<FileMetadata> {
    const matched =
      this.watch === undefined
        ? input.apply("MatchFilepatterns", parDo(new MatchFn(this.treatment, this.where)))
        : input.apply("WatchFilepatterns", splittableParDo(new WatchFilesFn(this.watch), { unbounded: true }));
    return matched.withCoder(fileMetadataCoder).apply("Reshuffle", reshuffle<FileMetadata>()).withCoder(fileMetadataCoder);
  }
}

/**
 * Beam's FileIO.match: the metadata (path, size, modification time) of the files matching
 * one pattern, in Beam's glob syntax on any registered scheme, matched when the pipeline
 * runs. No match fails the job naming the pattern unless `emptyMatchTreatment` allows it
 * (default DISALLOW, as Beam). `.continuously(...)` watches the pattern for new files.
 * A wildcard never matches writes' own files (success markers, `.temp-beam-*`).
 *
 * @example const files = p.apply(matchFiles("data/2024-*.csv.gz")).apply(readMatches());
 * @example const arriving = p.apply(matchFiles("inbox/*.json").continuously({ interval: 10_000 }));
 */
export function matchFiles(pattern: string, options: MatchOptions = {}): MatchFiles {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new ConstructionError(`matchFiles needs a non-empty file pattern (a path or a glob such as "logs/*.txt"); got ${String(pattern)}.`);
  }
  checkFileSystemPath(pattern, "matchFiles");
  return new MatchFiles(pattern, new MatchAll(checkEmptyMatchTreatment(options.emptyMatchTreatment ?? "DISALLOW", "matchFiles"), undefined, "matchFiles"));
}

/**
 * The transform of matchFiles; `.continuously()` returns a watching copy.
 *
 * @example const watching: MatchFiles = matchFiles("in/*.csv").continuously({ interval: 60_000 });
 */
export class MatchFiles extends PTransform<PBegin, PCollection<FileMetadata>> {
  constructor(
    private readonly pattern: string,
    private readonly all: MatchAll,
  ) {
    super("MatchFiles");
  }

  /**
   * Beam's Match.continuously: watches the pattern (see MatchAll.continuously).
   *
   * @example p.apply(matchFiles("inbox/*.csv").continuously({ interval: 5_000, stopAfter: Growth.afterIterations(100) }))
   */
  continuously(options: ContinuouslyOptions): MatchFiles {
    return new MatchFiles(this.pattern, this.all.continuously(options));
  }

  expand(input: PBegin): PCollection<FileMetadata> {
    return input.apply("Filepattern", create([this.pattern], { coder: stringUtf8Coder })).apply("ViaMatchAll", this.all);
  }
}
