import { randomUUID } from "node:crypto";
import { BufferReader, BufferWriter, bytesCoder, decodeFromBytes, kvCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { GLOBAL_WINDOW, ON_TIME_AND_ONLY_FIRING, describeValue, globalWindows, kv, type Coder, type GlobalWindow, type KV } from "../../model/index.js";
import type { PCollection } from "../../pipeline/index.js";
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
import { fileSystemFor } from "../filesystems/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
import { joinPath } from "./file-paths.js";
import { finalizeNamedFiles, finalizeWrite, type ShardMove } from "./finalize-write.js";
import { shardFileName } from "./shard-template.js";
import type { ShardSink } from "./sharded-write.js";
import { createTempDirectory, removeStaleTempDirectories } from "./temp-directory.js";
import {
  destinationKey,
  destinationOf,
  destinationTempDir,
  encodeDestination,
  finalFileOf,
  templateOf,
  type WriteFilesSpec,
} from "./write-files-spec.js";

/** A written temporary file of a destination (its encoding); `shard` is -1 when the runner chose the sharding. */
interface TempShard {
  readonly tempFile: string;
  readonly shard: number;
  readonly destination: Uint8Array;
}

/** An open temporary file of one destination in a bundle. */
interface OpenFile<T> {
  readonly destination: Uint8Array;
  writer: ShardSink<T> | undefined;
  opening: Promise<ShardSink<T>> | undefined;
}

/** Without numShards: one temporary file per destination per bundle, opened on its first element. */
class WriteBundleDoFn<T, D> implements DoFn<T, TempShard> {
  private files = new Map<string, OpenFile<T>>();

  constructor(
    readonly spec: WriteFilesSpec<T, D>,
    readonly tempDir: PCollectionView<string>,
  ) {}

  startBundle(): void {
    this.files = new Map();
  }

  process(element: T, ctx: ProcessContext<TempShard>): void | Promise<void> {
    const value = this.spec.check(element);
    const destination = destinationOf(this.spec, value);
    // Without destinations every element has the same one: no need to encode it to find its file.
    const encoded = this.spec.dynamic ? encodeDestination(this.spec, destination) : undefined;
    const key = encoded === undefined ? "" : destinationKey(encoded);
    let file = this.files.get(key);
    if (file === undefined) {
      file = { destination: encoded ?? encodeDestination(this.spec, destination), writer: undefined, opening: undefined };
      this.files.set(key, file);
    }
    if (file.writer !== undefined) return file.writer.write(value);
    const open = file;
    const dir = destinationTempDir(this.spec, ctx.sideInput(this.tempDir), file.destination);
    open.opening ??= this.spec.sinkFor(destination).open(joinPath(dir, randomUUID()));
    return open.opening.then((w) => {
      open.writer = w;
      return w.write(value);
    });
  }

  async finishBundle(ctx: FinishBundleContext<TempShard>): Promise<void> {
    const files = [...this.files.values()];
    this.files = new Map();
    for (const f of files) {
      const writer = f.writer ?? (await f.opening);
      if (writer === undefined) continue;
      await writer.close();
      ctx.output({ tempFile: writer.file, shard: -1, destination: f.destination }, GLOBAL_WINDOW.maxTimestamp(), GLOBAL_WINDOW);
    }
  }

  async teardown(): Promise<void> {
    // After a failed bundle: delete its partial files (the temporary directory goes at finalize anyway).
    const files = [...this.files.values()];
    this.files = new Map();
    for (const f of files) {
      const writer = f.writer ?? (await f.opening?.catch(() => undefined));
      await writer?.abort();
    }
  }
}

/** Bytes of a shard's batch that AssignShardDoFn outputs as soon as they are reached. */
const BATCH_BYTES = 1 << 20;

/** One destination's shard's elements of a bundle, encoded one after another. */
interface ShardBatch<D> {
  readonly key: KV<D, number>;
  readonly encoded: BufferWriter;
}

/**
 * With numShards: assigns each element a shard of its destination, round-robin from a
 * random start per bundle (as Beam's WriteFiles), and encodes it with the elements' coder
 * into that shard's batch, output at the end of the bundle (or on reaching BATCH_BYTES) for
 * the GroupByKey. The GroupByKey still groups every element of a shard; batching only makes
 * its values cheap to carry: each element is encoded once here and decoded once in
 * WriteShardDoFn, where a value per element would be encoded again by every check of a
 * materialized edge (the embedded runner's encodability and immutability checks encode a
 * group's whole iterable when it is read and at the end of its bundle), and where a byte
 * array per element would cost the garbage collector an ArrayBuffer each.
 */
class AssignShardDoFn<T, D> implements DoFn<T, KV<KV<D, number>, Uint8Array>> {
  private next = 0;
  private batches = new Map<string, ShardBatch<D>>();

  constructor(
    readonly spec: WriteFilesSpec<T, D> & { readonly numShards: number },
    readonly elementCoder: Coder<T>,
  ) {}

  startBundle(): void {
    this.next = Math.floor(Math.random() * this.spec.numShards);
    // A failed bundle's partial batches are dropped with it.
    this.batches = new Map();
  }

  process(element: T, ctx: ProcessContext<KV<KV<D, number>, Uint8Array>>): void {
    const value = this.spec.check(element);
    const shard = this.next;
    this.next = (shard + 1) % this.spec.numShards;
    const batch = this.batchOf(value, shard);
    try {
      // Nested: the batch's encodings follow one another, each must know where it ends.
      this.elementCoder.encode(value, batch.encoded, true);
    } catch (err) {
      throw new FileIOError(
        `${this.spec.what}: ${this.elementCoder.toString()} cannot encode the element ${describeValue(value)} for the shuffle of numShards: ` +
          `${messageOf(err)}. Give the input a coder that encodes its elements.`,
        { cause: err, retryable: false },
      );
    }
    if (batch.encoded.length >= BATCH_BYTES) {
      ctx.output(kv(batch.key, batch.encoded.finish()));
      batch.encoded.reset();
    }
  }

  finishBundle(ctx: FinishBundleContext<KV<KV<D, number>, Uint8Array>>): void {
    for (const batch of this.batches.values()) {
      if (batch.encoded.length > 0) ctx.output(kv(batch.key, batch.encoded.finish()), GLOBAL_WINDOW.maxTimestamp(), GLOBAL_WINDOW);
    }
    this.batches = new Map();
  }

  private batchOf(value: T, shard: number): ShardBatch<D> {
    const destination = destinationOf(this.spec, value);
    // Without destinations every element has the same one: no need to encode it to find its batch.
    const id = this.spec.dynamic ? `${destinationKey(encodeDestination(this.spec, destination))}/${shard}` : String(shard);
    let batch = this.batches.get(id);
    if (batch === undefined) {
      batch = { key: kv(destination, shard), encoded: new BufferWriter(4096) };
      this.batches.set(id, batch);
    }
    return batch;
  }
}

/** With numShards: writes the elements of one destination's shard (batches encoded by AssignShardDoFn) to one temporary file. */
class WriteShardDoFn<T, D> implements DoFn<KV<KV<D, number>, Iterable<Uint8Array>>, TempShard> {
  private writer: ShardSink<T> | undefined;

  constructor(
    readonly spec: WriteFilesSpec<T, D>,
    readonly tempDir: PCollectionView<string>,
    readonly elementCoder: Coder<T>,
  ) {}

  async process(shard: KV<KV<D, number>, Iterable<Uint8Array>>, ctx: ProcessContext<TempShard>): Promise<void> {
    const destination = shard.key.key;
    const encoded = encodeDestination(this.spec, destination);
    const file = joinPath(destinationTempDir(this.spec, ctx.sideInput(this.tempDir), encoded), randomUUID());
    const writer = await this.spec.sinkFor(destination).open(file);
    this.writer = writer;
    for (const batch of shard.value) {
      const reader = new BufferReader(batch);
      while (reader.remaining > 0) {
        const wait = writer.write(this.elementCoder.decode(reader, true));
        if (wait) await wait;
      }
    }
    await writer.close();
    this.writer = undefined;
    ctx.output({ tempFile: file, shard: shard.key.value, destination: encoded });
  }

  async teardown(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.abort();
  }
}

/**
 * Runs once with every temporary file: per destination, numbers its files and makes them
 * its output (`finalizeWrite` for a shard template: the previous shards replaced and a
 * success marker; `finalizeNamedFiles` for a custom naming). Temporary files of failed
 * bundle attempts never get here.
 */
class FinalizeDoFn<T, D> implements DoFn<readonly TempShard[], string> {
  constructor(
    readonly spec: WriteFilesSpec<T, D>,
    readonly tempDir: PCollectionView<string>,
  ) {}

  async process(results: readonly TempShard[], ctx: ProcessContext<string>): Promise<void> {
    const tempDir = ctx.sideInput(this.tempDir);
    const byDestination = new Map<string, { destination: Uint8Array; shards: TempShard[] }>();
    for (const r of results) {
      const key = destinationKey(r.destination);
      const entry = byDestination.get(key) ?? { destination: r.destination, shards: [] };
      entry.shards.push(r);
      byDestination.set(key, entry);
    }
    // As Beam: an empty input still writes its (empty) file(s); with destinations there is none to write to.
    if (!this.spec.dynamic && byDestination.size === 0) {
      const destination = encodeDestination(this.spec, this.spec.fixedDestination);
      byDestination.set(destinationKey(destination), { destination, shards: [] });
    }
    const seen = new Map<string, string>();
    const written: string[] = [];
    for (const key of [...byDestination.keys()].sort()) {
      const { destination: encoded, shards } = byDestination.get(key)!;
      const destination = decodeFromBytes(this.spec.destinationCoder, encoded);
      const destTempDir = destinationTempDir(this.spec, tempDir, encoded);
      const ordered = await this.order(shards, destTempDir, destination);
      const template = templateOf(this.spec, destination);
      const finals = ordered.map((_, i) =>
        template === undefined
          ? finalFileOf(this.spec, destination, GLOBAL_WINDOW, ON_TIME_AND_ONLY_FIRING, i, ordered.length)
          : shardFileName(template.prefix, i, ordered.length, template.suffix),
      );
      for (const f of finals) {
        const other = seen.get(f);
        if (other !== undefined) {
          throw new FileIOError(
            `${this.spec.what}: two files would be written to "${f}" (destinations ${other} and ${describeValue(destination)}). ` +
              `A naming must give a different name for every destination, shard, window and pane.`,
            { retryable: false },
          );
        }
        seen.set(f, describeValue(destination));
      }
      const moves: ShardMove[] = ordered.map((tempFile, i) => ({ tempFile, finalFile: finals[i]! }));
      if (template !== undefined) await finalizeWrite(template, destTempDir, moves);
      else await finalizeNamedFiles(destTempDir, moves);
      written.push(...finals);
    }
    if (this.spec.dynamic) {
      // Each destination removed its own folder; now the write's, and those of crashed earlier runs.
      const fs = await fileSystemFor(tempDir);
      await fs.deleteDirectory(tempDir).catch(() => undefined);
      await removeStaleTempDirectories(this.spec.temp.prefix, this.spec.temp.suffix, tempDir).catch(() => undefined);
    }
    for (const f of written) ctx.output(f);
  }

  /** The destination's temporary files in shard order; missing shards written empty, so there are always numShards. */
  private async order(shards: readonly TempShard[], destTempDir: string, destination: D): Promise<string[]> {
    const { numShards } = this.spec;
    if (numShards === undefined) {
      const files = shards.map((r) => r.tempFile).sort();
      if (files.length === 0) files.push(await this.writeEmpty(destTempDir, destination));
      return files;
    }
    const byShard = new Map<number, string>();
    for (const r of shards) {
      if (byShard.has(r.shard)) {
        throw new FileIOError(`Internal: shard ${r.shard} of ${this.spec.what}'s destination ${describeValue(destination)} was written twice.`);
      }
      byShard.set(r.shard, r.tempFile);
    }
    const files: string[] = [];
    for (let i = 0; i < numShards; i++) files.push(byShard.get(i) ?? (await this.writeEmpty(destTempDir, destination)));
    return files;
  }

  private async writeEmpty(destTempDir: string, destination: D): Promise<string> {
    const writer = await this.spec.sinkFor(destination).open(joinPath(destTempDir, randomUUID()));
    await writer.close();
    return writer.file;
  }
}

/**
 * The bounded write (Beam's WriteFiles): elements written to temporary files, one per
 * destination per bundle or, with `numShards`, per destination and shard (round-robin,
 * grouped), all finalized together at the end, each destination on its own. Windows are
 * not kept: the input is rewindowed into the global window. Outputs the final file names.
 */
export function expandBoundedWrite<T, D>(input: PCollection<T>, spec: WriteFilesSpec<T, D>): PCollection<string> {
  const p = input.pipeline;
  // Created when the pipeline runs (as Beam Python's initialize_write), shared as a side
  // input; its name tells later writes of the same files that it belongs to an earlier job.
  const tempDir = asSingleton(
    p
      .apply("TempDir", impulse())
      .apply("ChooseTempDir", map(() => createTempDirectory(spec.temp.prefix, spec.temp.suffix)))
      .withCoder(stringUtf8Coder),
  );
  const elements =
    input.windowing.windowFn.urn === "beam:window_fn:global_windows:v1"
      ? input
      : input.apply("RewindowGlobally", windowInto<T, GlobalWindow>(globalWindows()));
  const { numShards } = spec;
  const elementCoder = spec.elementCoder ?? input.coder;
  const written =
    numShards === undefined
      ? elements.apply("WriteBundles", parDo(new WriteBundleDoFn(spec, tempDir), { sideInputs: [tempDir], maxConcurrency: 1 }))
      : elements
          .apply("AssignShards", parDo(new AssignShardDoFn({ ...spec, numShards }, elementCoder)))
          .withCoder(kvCoder(kvCoder(spec.destinationCoder, varIntCoder), bytesCoder))
          .apply("GroupByShard", groupByKey<KV<D, number>, Uint8Array>())
          .apply("WriteShards", parDo(new WriteShardDoFn(spec, tempDir, elementCoder), { sideInputs: [tempDir], maxConcurrency: 1 }));
  return written
    .apply("GatherTempFiles", combineGlobally(toList<TempShard>()))
    .apply("Finalize", parDo(new FinalizeDoFn(spec, tempDir), { sideInputs: [tempDir] }))
    .withCoder(stringUtf8Coder);
}
