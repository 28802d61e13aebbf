import { encodeToBytes, kvCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { ConstructionError, kv, type Coder, type KV } from "../../model/index.js";
import type { PCollection } from "../../pipeline/index.js";
import { groupByKey, parDo, twoPhaseCommitWrite, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { PaneFileSink } from "./pane-file-sink.js";
import type { ShardedWriteSettings } from "./sharded-write.js";
import { streamingTempDirectory } from "./temp-directory.js";

/**
 * Keys each element by its shard: a hash of its encoded bytes, so that a window's panes
 * recomputed after a restore put every element in the shard it had before. (Bounded
 * writes pick shards round-robin from a random start; here a replayed pane whose elements
 * moved between shards would leave the old file of a shard that is now empty beside the
 * new ones, and show an element twice.)
 */
class HashShardDoFn<T> implements DoFn<T, KV<number, T>> {
  constructor(
    readonly numShards: number,
    readonly check: (element: unknown) => T,
    readonly coder: Coder<T>,
  ) {}

  process(element: T, ctx: ProcessContext<KV<number, T>>): void {
    const value = this.check(element);
    ctx.output(kv(fnv1a(encodeToBytes(this.coder, value)) % this.numShards, value));
  }
}

/** 32-bit FNV-1a: cheap, and spreads similar encodings (consecutive numbers) over shards. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/**
 * The write of an unbounded input (Beam's WriteFiles with windowed writes): elements are
 * keyed by shard and grouped, so every pane the input's windowing fires becomes, per
 * shard with elements, one file named by window, pane and shard
 * (`windowedShardFileName`), committed in two phases by `PaneFileSink` through
 * `twoPhaseCommitWrite`: exactly once with checkpoints, see docs/IO.md. Outputs each
 * file's final name in its pane's window. Needs a fixed `numShards`, as Beam.
 */
export function expandWindowedWrite<T>(input: PCollection<T>, settings: ShardedWriteSettings<T>): PCollection<string> {
  const { numShards } = settings;
  if (numShards === undefined) {
    throw new ConstructionError(
      `${settings.what} of the unbounded ${input.toString()} needs a fixed number of files per window and pane; ` +
        `pass numShards (e.g. { numShards: 1 }), as Beam's withNumShards for windowed writes.`,
    );
  }
  const coder = settings.elementCoder ?? input.coder;
  const sink = new PaneFileSink({ ...settings, numShards }, streamingTempDirectory(settings.prefix, settings.suffix), stringUtf8Coder);
  return input
    .apply("AssignShards", parDo(new HashShardDoFn(numShards, settings.check, coder)))
    .withCoder(kvCoder(varIntCoder, coder))
    .apply("GroupByShard", groupByKey<number, T>())
    .apply("WritePanes", twoPhaseCommitWrite(sink));
}
