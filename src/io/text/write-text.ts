import { randomUUID } from "node:crypto";
import path from "node:path";
import type { GlobalWindow, KV } from "../../model/index.js";
import { ConstructionError, GLOBAL_WINDOW, describeValue, globalWindows, kv } from "../../model/index.js";
import { kvCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import {
  asSingleton,
  combineGlobally,
  groupByKey,
  impulse,
  map,
  parDo,
  toList,
  windowInto,
  type DoFn,
  type FinishBundleContext,
  type PCollectionView,
  type ProcessContext,
} from "../../transforms/index.js";
import { createTempDirectory, finalizeWrite, shardFileName } from "../files/index.js";
import { ShardWriter, type WriteCompression } from "./shard-writer.js";
import { TextIOError } from "./text-io-error.js";

export { shardFileName };

/** Options of writeText. */
export interface WriteTextOptions {
  /** Appended to every file name, e.g. ".txt" or ".csv.gz". Default "". */
  readonly suffix?: string;
  /** A fixed number of output files; by default the runner decides (one per bundle). */
  readonly numShards?: number;
  /** A line written at the top of every file. */
  readonly header?: string;
  /** A line written at the bottom of every file. */
  readonly footer?: string;
  /** "gzip" compresses every file (choose the suffix yourself). Default "none". */
  readonly compression?: WriteCompression;
}

/** @internal WriteTextOptions with defaults applied and checked. */
interface WriteSettings {
  readonly prefix: string;
  readonly suffix: string;
  readonly numShards: number | undefined;
  readonly header: string | undefined;
  readonly footer: string | undefined;
  readonly compression: WriteCompression;
}

/** A written temporary file; `shard` is -1 when the runner chose the sharding. */
interface TempShard {
  readonly tempFile: string;
  readonly shard: number;
}

function checkLine(line: unknown): string {
  if (typeof line === "string") return line;
  throw new TextIOError(
    `writeText writes strings, one per line, but got ${line === null ? "null" : typeof line} ${describeValue(line)}. ` +
      `Convert the elements first, e.g. .apply(map((x) => String(x))), or use writeJsonLines.`,
  );
}

function tempFileIn(tempDir: string): string {
  return path.join(tempDir, randomUUID());
}

/** Without numShards: one temporary file per bundle, opened on the first element. */
class WriteBundleDoFn implements DoFn<string, TempShard> {
  private writer: ShardWriter | undefined;
  private opening: Promise<ShardWriter> | undefined;

  constructor(
    readonly settings: WriteSettings,
    readonly tempDir: PCollectionView<string>,
  ) {}

  startBundle(): void {
    this.writer = undefined;
    this.opening = undefined;
  }

  process(line: string, ctx: ProcessContext<TempShard>): void | Promise<void> {
    const text = checkLine(line);
    if (this.writer !== undefined) return this.writer.write(text);
    if (this.opening === undefined) {
      const file = tempFileIn(ctx.sideInput(this.tempDir));
      this.opening = ShardWriter.open(file, this.settings.compression, this.settings.header);
    }
    return this.opening.then((w) => {
      this.writer = w;
      return w.write(text);
    });
  }

  async finishBundle(ctx: FinishBundleContext<TempShard>): Promise<void> {
    const writer = this.writer ?? (await this.opening);
    this.writer = undefined;
    this.opening = undefined;
    if (writer === undefined) return;
    await writer.close(this.settings.footer);
    ctx.output({ tempFile: writer.file, shard: -1 }, GLOBAL_WINDOW.maxTimestamp(), GLOBAL_WINDOW);
  }

  async teardown(): Promise<void> {
    // After a failed bundle: delete its partial file (the temp dir goes at finalize anyway).
    const writer = this.writer ?? (await this.opening?.catch(() => undefined));
    this.writer = undefined;
    this.opening = undefined;
    await writer?.abort();
  }
}

/** With numShards: keys each line by a shard, round-robin from a random start per bundle. */
class AssignShardDoFn implements DoFn<string, KV<number, string>> {
  private next = 0;
  constructor(readonly numShards: number) {}
  startBundle(): void {
    this.next = Math.floor(Math.random() * this.numShards);
  }
  process(line: string, ctx: ProcessContext<KV<number, string>>): void {
    ctx.output(kv(this.next, checkLine(line)));
    this.next = (this.next + 1) % this.numShards;
  }
}

/** With numShards: writes the lines of one shard to one temporary file. */
class WriteShardDoFn implements DoFn<KV<number, Iterable<string>>, TempShard> {
  private writer: ShardWriter | undefined;

  constructor(
    readonly settings: WriteSettings,
    readonly tempDir: PCollectionView<string>,
  ) {}

  async process(shard: KV<number, Iterable<string>>, ctx: ProcessContext<TempShard>): Promise<void> {
    const file = tempFileIn(ctx.sideInput(this.tempDir));
    const writer = await ShardWriter.open(file, this.settings.compression, this.settings.header);
    this.writer = writer;
    for (const line of shard.value) {
      const wait = writer.write(line);
      if (wait) await wait;
    }
    await writer.close(this.settings.footer);
    this.writer = undefined;
    ctx.output({ tempFile: file, shard: shard.key });
  }

  async teardown(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.abort();
  }
}

/**
 * Runs once with every temporary file: numbers them and hands them to `finalizeWrite`
 * (src/io/files), which replaces the previous output of the prefix with them and writes
 * the success marker. Temporary files of failed bundle attempts never get here.
 */
class FinalizeDoFn implements DoFn<readonly TempShard[], string> {
  constructor(
    readonly settings: WriteSettings,
    readonly tempDir: PCollectionView<string>,
  ) {}

  async process(results: readonly TempShard[], ctx: ProcessContext<string>): Promise<void> {
    const tempDir = ctx.sideInput(this.tempDir);
    const { numShards } = this.settings;
    const ordered: string[] = [];
    if (numShards !== undefined) {
      const byShard = new Map<number, string>();
      for (const r of results) {
        if (byShard.has(r.shard)) {
          throw new TextIOError(`Internal: shard ${r.shard} of "${this.settings.prefix}" was written twice.`);
        }
        byShard.set(r.shard, r.tempFile);
      }
      // Shards no element went to are written empty, so there are always numShards files.
      for (let i = 0; i < numShards; i++) ordered.push(byShard.get(i) ?? (await this.writeEmpty(tempDir)));
    } else {
      ordered.push(...results.map((r) => r.tempFile).sort());
      // As Beam: an empty input still produces one (empty) file.
      if (ordered.length === 0) ordered.push(await this.writeEmpty(tempDir));
    }
    const { prefix, suffix } = this.settings;
    const finals = ordered.map((_, i) => shardFileName(prefix, i, ordered.length, suffix));
    await finalizeWrite({ prefix, suffix }, tempDir, ordered.map((tempFile, i) => ({ tempFile, finalFile: finals[i]! })));
    for (const f of finals) ctx.output(f);
  }

  private async writeEmpty(tempDir: string): Promise<string> {
    const writer = await ShardWriter.open(tempFileIn(tempDir), this.settings.compression, this.settings.header);
    await writer.close(this.settings.footer);
    return writer.file;
  }
}

function resolveWriteSettings(what: string, prefix: string, options: WriteTextOptions): WriteSettings {
  if (typeof prefix !== "string" || prefix.length === 0) {
    throw new ConstructionError(`${what} needs a non-empty output prefix such as "out/part"; got ${String(prefix)}.`);
  }
  const { numShards, compression = "none", suffix = "", header, footer } = options;
  if (numShards !== undefined && (!Number.isInteger(numShards) || numShards < 1)) {
    throw new ConstructionError(
      `${what}: numShards must be a positive integer, got ${String(numShards)}. Leave it out to let the runner choose.`,
    );
  }
  if (compression !== "none" && compression !== "gzip") {
    throw new ConstructionError(`${what}: compression must be "none" or "gzip", got ${String(compression)}.`);
  }
  for (const [name, v] of [["suffix", suffix], ["header", header], ["footer", footer]] as const) {
    if (v !== undefined && typeof v !== "string") {
      throw new ConstructionError(`${what}: ${name} must be a string, got ${typeof v}.`);
    }
  }
  return { prefix: path.resolve(prefix), suffix, numShards, header, footer, compression };
}

/**
 * Beam's TextIO.write: writes each string as one line ("\n"-terminated) to files named
 * `${prefix}-SSSSS-of-NNNNN${suffix}` and outputs the final file names. Files are written
 * under a temporary directory next to the output and renamed into place only when all
 * are complete; an empty input still writes one empty file. Without `numShards` the
 * runner chooses the number of files (one per bundle). Windows are not kept: all
 * elements are written together.
 *
 * The write replaces the previous output of the same prefix and suffix (its shards, of any
 * count; no other file) and then writes the success marker `_${basename}${suffix}_SUCCESS`
 * listing the new files: a consumer that sees the marker sees one complete run, even after
 * a crash at any point. readText and matchFiles skip markers matched by a wildcard.
 *
 * @example lines.apply(writeText("out/words", { suffix: ".txt", numShards: 3 }))
 */
export function writeText(prefix: string, options: WriteTextOptions = {}): PTransform<PCollection<string>, PCollection<string>> {
  return new WriteText(resolveWriteSettings("writeText", prefix, options));
}

class WriteText extends PTransform<PCollection<string>, PCollection<string>> {
  constructor(private readonly settings: WriteSettings) {
    super("WriteText");
  }

  expand(input: PCollection<string>): PCollection<string> {
    if (!input.isBounded) {
      throw new ConstructionError(
        `writeText needs a bounded input; ${input.toString()} is unbounded. Streaming file writes are not supported yet.`,
      );
    }
    const s = this.settings;
    const p = input.pipeline;
    // Created when the pipeline runs (as Beam Python's initialize_write), shared as a side
    // input; its name tells later writes of this prefix that it belongs to an earlier job.
    const tempDir = asSingleton(
      p
        .apply("TempDir", impulse())
        .apply("ChooseTempDir", map(() => createTempDirectory(s.prefix, s.suffix)))
        .withCoder(stringUtf8Coder),
    );
    const lines =
      input.windowing.windowFn.urn === "beam:window_fn:global_windows:v1"
        ? input
        : input.apply("RewindowGlobally", windowInto<string, GlobalWindow>(globalWindows()));
    const written =
      s.numShards === undefined
        ? lines.apply("WriteBundles", parDo(new WriteBundleDoFn(s, tempDir), { sideInputs: [tempDir], maxConcurrency: 1 }))
        : lines
            .apply("AssignShards", parDo(new AssignShardDoFn(s.numShards)))
            .withCoder(kvCoder(varIntCoder, stringUtf8Coder))
            .apply("GroupByShard", groupByKey<number, string>())
            .apply("WriteShards", parDo(new WriteShardDoFn(s, tempDir), { sideInputs: [tempDir], maxConcurrency: 1 }));
    return written
      .apply("GatherTempFiles", combineGlobally(toList<TempShard>()))
      .apply("Finalize", parDo(new FinalizeDoFn(s, tempDir), { sideInputs: [tempDir] }))
      .withCoder(stringUtf8Coder);
  }
}
