/**
 * Query "10", log to sharded files (Beam's Query10, not in the original suite): every
 * `windowSizeSec`, the events of the window are written to `maxNumWorkers` × 5 shards of
 * log files, one file per shard and pane; once a window is complete, an index of its files
 * is written and a Done record is output for it.
 *
 * As in Beam: the events are keyed by shard, windowed into fixed windows with Beam's
 * trigger (a pane every `maxLogEvents` events until the watermark passes the window, then
 * late panes every `maxLogEvents` events or 10 s after a late pane's first event),
 * discarding, with a day of allowed lateness; each pane of each shard becomes a file
 * `LOG-<window max timestamp>-<shard>-<pane index, 3 digits>-<E|O|L|U>-<random hex>` of
 * the events in Beam's Event coder; the files' records are re-windowed under the default
 * trigger and grouped per window into `INDEX-<window max timestamp>`, one line per file.
 * With an empty `outputPath` nothing is written (Beam's null output path).
 *
 * The shard of an event is |hash % shards| as in Beam, but the hash is Java's
 * String.hashCode of the event's canonical JSON, not Beam's Event.hashCode() (which mixes
 * Joda instants' chronology hashes).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BufferWriter,
  Durations,
  Triggers,
  fixedWindows,
  groupByKey,
  jsValueCoder,
  kv,
  kvCoder,
  parDo,
  ptransform,
  stringUtf8Coder,
  windowInto,
  type BoundedWindow,
  type KV,
  type PCollection,
  type PaneTiming,
} from "../../../src/index.js";
import { eventCoder } from "../coders.js";
import type { NexmarkConfiguration } from "../config.js";
import { hasAnnotation, type Done, type Event } from "../model.js";
import { canonical } from "../models/model-util.js";
import type { QueryFactory } from "./query-util.js";

/** Shards per worker (Beam's NUM_SHARDS_PER_WORKER). */
export const NUM_SHARDS_PER_WORKER = 5;
/** How long a late pane waits for more events (Beam's LATE_BATCHING_PERIOD). */
const LATE_BATCHING_PERIOD_MS = Durations.seconds(10);
/** Allowed lateness: a day, so that a forgotten hold stalls the pipeline visibly (Beam). */
const ONE_DAY_MS = Durations.days(1);

/** What Query 10 records about one log file (Beam's Query10.OutputFile). */
export interface OutputFile {
  /** The window's maximum timestamp, in ms. */
  readonly maxTimestamp: number;
  readonly shard: string;
  /** The pane's index among the shard's panes of the window. */
  readonly index: number;
  readonly timing: PaneTiming;
  /** Path of the file, or null when nothing is written. */
  readonly filename: string | null;
}

/** Java's String.hashCode. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The shard of `event` among `numShards`: `shard-NNNNN-of-NNNNN` (Beam's format). */
export function shardOf(event: Event, numShards: number): string {
  const n = Math.abs(javaStringHash(canonical(event)) % numShards);
  return `shard-${String(n).padStart(5, "0")}-of-${String(numShards).padStart(5, "0")}`;
}

/** A window's maximum timestamp as Joda prints an Instant (ISO 8601, ms, UTC). */
export function instantString(ms: number): string {
  return new Date(ms).toISOString();
}

/** Beam's one-letter timing in file names. */
const TIMING_LETTER: Record<PaneTiming, string> = { EARLY: "E", ON_TIME: "O", LATE: "L", UNKNOWN: "U" };

/** The log file name of a pane (Beam's outputFileFor; the suffix is a random long in hex). */
export function logFileName(outputPath: string, maxTimestamp: number, shard: string, index: number, timing: PaneTiming): string {
  const suffix = BigInt.asUintN(64, randomBytes(8).readBigInt64BE()).toString(16);
  return join(outputPath, `LOG-${instantString(maxTimestamp)}-${shard}-${String(index).padStart(3, "0")}-${TIMING_LETTER[timing]}-${suffix}`);
}

/** The index file of a window (Beam's indexPathFor). */
export function indexFileName(outputPath: string, maxTimestamp: number): string {
  return join(outputPath, `INDEX-${instantString(maxTimestamp)}`);
}

/** A line of an index file (Beam's OutputFile.toString). */
export function indexLine(f: OutputFile): string {
  return `${instantString(f.maxTimestamp)} ${f.shard} ${f.index} ${f.timing} ${f.filename ?? "null"}\n`;
}

const maxTimestampOf = (w: BoundedWindow): number => w.maxTimestamp();

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

function writeLog(config: NexmarkConfiguration, events: Iterable<Event>, filename: string): number {
  const writer = new BufferWriter();
  let n = 0;
  for (const e of events) {
    eventCoder.encode(e, writer, false);
    n++;
  }
  ensureDir(config.outputPath);
  writeFileSync(filename, writer.finish());
  return n;
}

export const query10: QueryFactory<Done> = (config) => {
  const numShards = config.maxNumWorkers * NUM_SHARDS_PER_WORKER;
  const name = "Query10";
  return {
    name,
    transform: ptransform(name, (events: PCollection<Event>) =>
      events
        .apply(
          "ShardEvents",
          parDo<Event, KV<string, Event>>({
            process(e, ctx) {
              ctx.metrics.counter(name, hasAnnotation(e, "LATE") ? "actuallyLateEvent" : "onTimeCounter").inc();
              ctx.output(kv(shardOf(e, numShards), e));
            },
          }),
        )
        .withCoder(kvCoder(stringUtf8Coder, eventCoder))
        .apply(
          "WindowEvents",
          windowInto(fixedWindows(config.windowSizeSec * 1000), {
            trigger: Triggers.afterEach(
              Triggers.orFinally(Triggers.repeatedly(Triggers.afterCount(config.maxLogEvents)), Triggers.afterWatermark()),
              Triggers.repeatedly(Triggers.afterFirst(Triggers.afterCount(config.maxLogEvents), Triggers.afterProcessingTime(LATE_BATCHING_PERIOD_MS))),
            ),
            accumulationMode: "DISCARDING",
            allowedLateness: ONE_DAY_MS,
          }),
        )
        .apply("GroupByKey", groupByKey<string, Event>())
        .apply(
          "CheckForLateEvents",
          parDo<KV<string, Iterable<Event>>, KV<string, Iterable<Event>>>({
            process(shard, ctx) {
              let numLate = 0;
              let numOnTime = 0;
              for (const e of shard.value) {
                if (hasAnnotation(e, "LATE")) numLate++;
                else numOnTime++;
              }
              const m = ctx.metrics;
              if (ctx.pane.timing === "LATE") {
                if (numLate === 0) m.counter(name, "ERROR_unexpectedLatePane").inc();
                if (numOnTime > 0) m.counter(name, "ERROR_unexpectedOnTimeElement").inc();
                m.counter(name, "lateShard").inc();
              } else if (ctx.pane.timing === "EARLY") {
                if (numOnTime + numLate < config.maxLogEvents) m.counter(name, "ERROR_earlyPaneTooSmall").inc();
                m.counter(name, "earlyShard").inc();
              } else {
                m.counter(name, "onTimeShard").inc();
              }
              ctx.output(shard);
            },
          }),
        )
        .apply(
          "UploadEvents",
          parDo<KV<string, Iterable<Event>>, KV<string, OutputFile>>({
            process(shard, ctx) {
              const maxTimestamp = maxTimestampOf(ctx.window);
              const filename =
                config.outputPath === "" ? null : logFileName(config.outputPath, maxTimestamp, shard.key, ctx.pane.index, ctx.pane.timing);
              if (filename !== null) ctx.metrics.counter(name, "writtenRecords").inc(writeLog(config, shard.value, filename));
              ctx.metrics.counter(name, "savedFile").inc();
              ctx.output(kv("", { maxTimestamp, shard: shard.key, index: ctx.pane.index, timing: ctx.pane.timing, filename }));
            },
          }),
        )
        .withCoder(kvCoder(stringUtf8Coder, jsValueCoder as never))
        // Clear the fancy triggering above: one pane per window.
        .apply(
          "WindowLogFiles",
          windowInto(fixedWindows(config.windowSizeSec * 1000), {
            trigger: Triggers.default(),
            allowedLateness: ONE_DAY_MS,
            accumulationMode: "DISCARDING",
          }),
        )
        .apply("GroupByKey2", groupByKey<string, OutputFile>())
        .apply(
          "Index",
          parDo<KV<string, Iterable<OutputFile>>, Done>({
            process(files, ctx) {
              const m = ctx.metrics;
              if (ctx.pane.timing === "LATE") m.counter(name, "ERROR_unexpectedLate").inc();
              else if (ctx.pane.timing === "EARLY") m.counter(name, "ERROR_unexpectedEarly").inc();
              else if (ctx.pane.timing === "ON_TIME" && ctx.pane.index !== 0) m.counter(name, "ERROR_unexpectedIndex").inc();
              else {
                const maxTimestamp = maxTimestampOf(ctx.window);
                if (config.outputPath !== "") {
                  ensureDir(config.outputPath);
                  writeFileSync(indexFileName(config.outputPath, maxTimestamp), [...files.value].map(indexLine).join(""));
                }
                ctx.output({ message: `written for timestamp ${instantString(maxTimestamp)}` });
                m.counter(name, "indexed").inc();
              }
            },
          }),
        ),
    ),
  };
};

/** Shards query 10 spreads a window's events over. */
export const query10Shards = (config: NexmarkConfiguration): number => config.maxNumWorkers * NUM_SHARDS_PER_WORKER;
