import { encodeToBytes, kvCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { ConstructionError, kv, type Coder, type KV } from "../../model/index.js";
import type { PCollection } from "../../pipeline/index.js";
import { groupByKey, parDo, twoPhaseCommitWrite, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { PaneFileSink } from "./pane-file-sink.js";
import { streamingTempDirectory } from "./temp-directory.js";
import { destinationOf, finalFileOf, type WriteFilesSpec } from "./write-files-spec.js";

/**
 * Keys each element by its destination and its shard: a hash of its encoded bytes, so that
 * a window's panes recomputed after a restore put every element in the shard it had before.
 * (Bounded writes pick shards round-robin from a random start; here a replayed pane whose
 * elements moved between shards would leave the old file of a shard that is now empty
 * beside the new ones, and show an element twice.)
 */
class HashShardDoFn<T, D> implements DoFn<T, KV<KV<D, number>, T>> {
  constructor(
    readonly spec: WriteFilesSpec<T, D> & { readonly numShards: number },
    readonly coder: Coder<T>,
  ) {}

  process(element: T, ctx: ProcessContext<KV<KV<D, number>, T>>): void {
    const value = this.spec.check(element);
    const shard = fnv1a(encodeToBytes(this.coder, value)) % this.spec.numShards;
    ctx.output(kv(kv(destinationOf(this.spec, value), shard), value));
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
 * keyed by destination and shard and grouped, so every pane the input's windowing fires
 * becomes, per destination and shard with elements, one file named by the destination's
 * naming from window, pane and shard (Beam's defaultNaming unless given), committed in two
 * phases by `PaneFileSink` through `twoPhaseCommitWrite`: exactly once with checkpoints,
 * see docs/IO.md. Outputs each file's final name in its pane's window. Needs a fixed
 * `numShards` (per destination), as Beam.
 */
export function expandWindowedWrite<T, D>(input: PCollection<T>, spec: WriteFilesSpec<T, D>): PCollection<string> {
  const { numShards } = spec;
  if (numShards === undefined) {
    throw new ConstructionError(
      `${spec.what} of the unbounded ${input.toString()} needs a fixed number of files per window and pane; ` +
        `pass numShards (e.g. { numShards: 1 }), as Beam's withNumShards for windowed writes.`,
    );
  }
  const coder = spec.elementCoder ?? input.coder;
  const sink = new PaneFileSink<KV<D, number>, T>(
    {
      openShard: (key, file, options) => spec.sinkFor(key.key).open(file, options),
      finalFile: (key, window, pane) => finalFileOf(spec, key.key, window, pane, key.value, numShards),
    },
    streamingTempDirectory(spec.temp.prefix, spec.temp.suffix),
    stringUtf8Coder,
  );
  return input
    .apply("AssignShards", parDo(new HashShardDoFn({ ...spec, numShards }, coder)))
    .withCoder(kvCoder(kvCoder(spec.destinationCoder, varIntCoder), coder))
    .apply("GroupByShard", groupByKey<KV<D, number>, T>())
    .apply("WritePanes", twoPhaseCommitWrite(sink));
}
