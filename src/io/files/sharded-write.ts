import { randomUUID } from "node:crypto";
import type { Coder } from "../../model/index.js";
import { kvCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import type { GlobalWindow, KV } from "../../model/index.js";
import { GLOBAL_WINDOW, globalWindows, kv } from "../../model/index.js";
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
import type { CreateOptions } from "../filesystems/index.js";
import { FileIOError } from "./file-io-error.js";
import { joinPath } from "./file-paths.js";
import { finalizeWrite } from "./finalize-write.js";
import { shardFileName } from "./shard-template.js";
import { createTempDirectory } from "./temp-directory.js";
import { expandWindowedWrite } from "./windowed-write.js";

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

/** A written temporary file; `shard` is -1 when the runner chose the sharding. */
interface TempShard {
  readonly tempFile: string;
  readonly shard: number;
}

function tempFileIn(tempDir: string): string {
  return joinPath(tempDir, randomUUID());
}

/** Without numShards: one temporary file per bundle, opened on the first element. */
class WriteBundleDoFn<T> implements DoFn<T, TempShard> {
  private writer: ShardSink<T> | undefined;
  private opening: Promise<ShardSink<T>> | undefined;

  constructor(
    readonly settings: ShardedWriteSettings<T>,
    readonly tempDir: PCollectionView<string>,
  ) {}

  startBundle(): void {
    this.writer = undefined;
    this.opening = undefined;
  }

  process(element: T, ctx: ProcessContext<TempShard>): void | Promise<void> {
    const value = this.settings.check(element);
    if (this.writer !== undefined) return this.writer.write(value);
    this.opening ??= this.settings.openShard(tempFileIn(ctx.sideInput(this.tempDir)));
    return this.opening.then((w) => {
      this.writer = w;
      return w.write(value);
    });
  }

  async finishBundle(ctx: FinishBundleContext<TempShard>): Promise<void> {
    const writer = this.writer ?? (await this.opening);
    this.writer = undefined;
    this.opening = undefined;
    if (writer === undefined) return;
    await writer.close();
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

/** With numShards: keys each element by a shard, round-robin from a random start per bundle. */
class AssignShardDoFn<T> implements DoFn<T, KV<number, T>> {
  private next = 0;
  constructor(
    readonly numShards: number,
    readonly check: (element: unknown) => T,
  ) {}
  startBundle(): void {
    this.next = Math.floor(Math.random() * this.numShards);
  }
  process(element: T, ctx: ProcessContext<KV<number, T>>): void {
    ctx.output(kv(this.next, this.check(element)));
    this.next = (this.next + 1) % this.numShards;
  }
}

/** With numShards: writes the elements of one shard to one temporary file. */
class WriteShardDoFn<T> implements DoFn<KV<number, Iterable<T>>, TempShard> {
  private writer: ShardSink<T> | undefined;

  constructor(
    readonly settings: ShardedWriteSettings<T>,
    readonly tempDir: PCollectionView<string>,
  ) {}

  async process(shard: KV<number, Iterable<T>>, ctx: ProcessContext<TempShard>): Promise<void> {
    const file = tempFileIn(ctx.sideInput(this.tempDir));
    const writer = await this.settings.openShard(file);
    this.writer = writer;
    for (const element of shard.value) {
      const wait = writer.write(element);
      if (wait) await wait;
    }
    await writer.close();
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
 * Runs once with every temporary file: numbers them and hands them to `finalizeWrite`,
 * which replaces the previous output of the prefix with them and writes the success
 * marker. Temporary files of failed bundle attempts never get here.
 */
class FinalizeDoFn<T> implements DoFn<readonly TempShard[], string> {
  constructor(
    readonly settings: ShardedWriteSettings<T>,
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
          throw new FileIOError(`Internal: shard ${r.shard} of "${this.settings.prefix}" was written twice.`);
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
    const writer = await this.settings.openShard(tempFileIn(tempDir));
    await writer.close();
    return writer.file;
  }
}

/**
 * The write pipeline every file writer shares (Beam's WriteFiles): elements are written
 * to temporary files, one per bundle or, with `numShards`, one per shard (round-robin,
 * grouped), and the complete ones are finalized together by `finalizeWrite` into
 * `${prefix}-SSSSS-of-NNNNN${suffix}` with a success marker. Outputs the final file names.
 * The format only says how to write one file (`openShard`).
 *
 * An unbounded input is written per window and pane instead (`expandWindowedWrite`): each
 * fired pane's shards become files named by window, pane and shard, committed in two
 * phases, with no success marker; `numShards` is then required.
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
    const s = this.settings;
    // Unbounded: each fired pane becomes its own files, committed in two phases.
    if (!input.isBounded) return expandWindowedWrite(input, s);
    const p = input.pipeline;
    // Created when the pipeline runs (as Beam Python's initialize_write), shared as a side
    // input; its name tells later writes of this prefix that it belongs to an earlier job.
    const tempDir = asSingleton(
      p
        .apply("TempDir", impulse())
        .apply("ChooseTempDir", map(() => createTempDirectory(s.prefix, s.suffix)))
        .withCoder(stringUtf8Coder),
    );
    const elements =
      input.windowing.windowFn.urn === "beam:window_fn:global_windows:v1"
        ? input
        : input.apply("RewindowGlobally", windowInto<T, GlobalWindow>(globalWindows()));
    const written =
      s.numShards === undefined
        ? elements.apply("WriteBundles", parDo(new WriteBundleDoFn(s, tempDir), { sideInputs: [tempDir], maxConcurrency: 1 }))
        : elements
            .apply("AssignShards", parDo(new AssignShardDoFn(s.numShards, s.check)))
            .withCoder(kvCoder(varIntCoder, s.elementCoder ?? input.coder))
            .apply("GroupByShard", groupByKey<number, T>())
            .apply("WriteShards", parDo(new WriteShardDoFn(s, tempDir), { sideInputs: [tempDir], maxConcurrency: 1 }));
    return written
      .apply("GatherTempFiles", combineGlobally(toList<TempShard>()))
      .apply("Finalize", parDo(new FinalizeDoFn(s, tempDir), { sideInputs: [tempDir] }))
      .withCoder(stringUtf8Coder);
  }
}
