import { encodeToBytes } from "../../../coders/index.js";
import type { Coder, WindowedValue } from "../../../model/index.js";
import { BeamError } from "../../../model/index.js";
import { decodeElements, deliverAsBundle, keyOwner, type Partitioning } from "../parallel/exchange-sink.js";
import type { Sink } from "../sinks.js";

/*
 * Restoring a checkpoint at another --parallelism (issue #21). A checkpoint taken by N
 * executors has N parts; a job of M executors gives every executor all N parts, and each
 * keeps its share while reading them (no second format: every stage reads its sections with
 * its own reader, layout versions and "reads to the last byte" checks included):
 *
 * - keyed contents (GroupByKey and Combine tables with trigger state and holds, stateful
 *   ParDo cells, timers, expiries, their buffered and pushed-back inputs, recorded channel
 *   elements of a by-key edge) go to the key's owner at M: FNV-1a of the encoded key mod M,
 *   the rule the exchanges route new elements by (parallel/exchange-sink.ts), so a key's
 *   state is where its next elements arrive;
 * - unkeyed contents that any executor may hold (Reshuffle and late-data buffers, the
 *   pushed-back main input of a ParDo with side inputs, panes not yet emitted, recorded
 *   elements of a round-robin edge, held commit recoveries) go whole to executor p mod M;
 * - a splittable DoFn's work items (restrictions with their watermark estimator state) are
 *   dealt out one by one; its not yet split input, broadcast to every executor, is taken
 *   from part 0 (see checkBroadcastInputs);
 * - what every executor holds alike (side inputs, broadcast channel elements) is taken
 *   from part 0: it is one consistent view of a broadcast PCollection;
 * - sources (Impulse, read(source), TestStream) run in executor 0 only: it restores part 0;
 * - a stage's watermarks are the minimum over the old parts.
 *
 * Nothing is kept twice: every new executor reads every old part, and each item is kept by
 * exactly one of them (or by all, for broadcast contents). The cost is N × M reads, where
 * Flink's key groups let each new subtask read only the ranges it owns.
 */

/** The section telling each executor that its sections are the old parts' (JSON: { parts: N }). */
export const RESCALE_SECTION = "rescale";

/** The name under which old part `part`'s section `name` reaches every executor of a rescaled restore. */
export function rescaledName(part: number, name: string): string {
  return `part${part}/${name}`;
}

/** The checkpoint's executor count when these sections are a rescaled restore's, else undefined. */
export function rescaledFrom(sections: ReadonlyMap<string, Uint8Array>): number | undefined {
  const marker = sections.get(RESCALE_SECTION);
  return marker === undefined ? undefined : (JSON.parse(Buffer.from(marker).toString("utf8")) as { parts: number }).parts;
}

/** Splits a rescaled executor's sections back into the old parts (undefined: not a rescale). */
export function oldParts(sections: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array>[] | undefined {
  const parts = rescaledFrom(sections);
  if (parts === undefined) return undefined;
  const out = Array.from({ length: parts }, () => new Map<string, Uint8Array>());
  for (const [name, bytes] of sections) {
    const m = /^part(\d+)\/(.*)$/s.exec(name);
    if (m === null) continue;
    const part = out[Number(m[1])];
    if (part === undefined) throw new BeamError("CHECKPOINT_CORRUPT", `A rescaled restore names section "${name}" of part ${m[1]}, beyond the checkpoint's ${parts} parts.`);
    part.set(m[2]!, bytes);
  }
  return out;
}

/**
 * What a stage keeps of one old part's section when the job restores at another
 * --parallelism. Stages read every old part's section in order (part 0 first) into the
 * same freshly built stage, merging.
 */
export interface RestoreShare {
  /** This executor's index and the job's executor count now. */
  readonly index: number;
  readonly count: number;
  /** The old part this section comes from, and how many the checkpoint has. */
  readonly part: number;
  readonly parts: number;
  /** True for part 0, read first: the stage sets what later parts merge into (watermarks: the minimum). */
  readonly first: boolean;
  /** True when this executor takes the part's unkeyed contents (part mod count). */
  readonly takesUnkeyed: boolean;
  /** True when `key` belongs to this executor now: the owner function of the exchanges at `count`. */
  ownsKey(keyCoder: Coder<unknown>, key: unknown): boolean;
  /** True when this executor takes the `n`-th item (from 0) of the part's dealt-out contents (splittable work items). */
  dealt(n: number): boolean;
}

/** The share executor `index` of `count` takes of old part `part` of `parts`. */
export function restoreShare(index: number, count: number, part: number, parts: number): RestoreShare {
  return {
    index,
    count,
    part,
    parts,
    first: part === 0,
    takesUnkeyed: part % count === index,
    ownsKey: (keyCoder, key) => keyOwner(keyCoder, key, count) === index,
    dealt: (n) => (part + n) % count === index,
  };
}

/**
 * A splittable DoFn's input is broadcast: every executor splits each element into the same
 * pieces and runs its fixed share of them. An element an old executor had not split yet
 * (still in its buffer, or in flight to it) stands for that executor's share of pieces, which
 * no work item holds; the rescaled job takes the not yet split input from part 0, so that is
 * right only when every old part waits for the same elements. `pending[p]` lists old part
 * p's waiting elements (buffer and recorded channel elements, encoded); a difference
 * (a checkpoint taken while one element reached some executors and not others) is refused.
 */
export function checkBroadcastInputs(step: string, pending: readonly (readonly string[])[]): void {
  const key = (list: readonly string[]) => [...list].sort().join("\u0000");
  const first = key(pending[0] ?? []);
  const differing = pending.findIndex((list) => key(list) !== first);
  if (differing < 0) return;
  throw new BeamError(
    "CHECKPOINT_INCOMPATIBLE",
    `Splittable DoFn "${step}" cannot be rescaled from this checkpoint: executor 0 waits to split ${pending[0]?.length ?? 0} input element(s) and executor ${differing} ` +
      `${pending[differing]!.length}, different ones (the checkpoint was taken while an input element had reached some executors and not others), and each executor's ` +
      `share of an element's pieces exists only once it split it. Restore at the checkpoint's --parallelism ${pending.length}, let it take another checkpoint, and rescale from that one.`,
  );
}

/** The watermark a rescaled stage starts from: the minimum over the old parts read so far. */
export function mergedWatermark(share: RestoreShare | undefined, current: number, restored: number): number {
  return share === undefined || share.first ? restored : Math.min(current, restored);
}

/**
 * A materialized edge as a rescaled restore sees it: channel numbers in a checkpoint's
 * `channels` section are edges in the order the executor built them, the same at every
 * parallelism. In a parallel job the edge is its ExchangeSink; in a job of one executor, a
 * LocalEdge in front of the real sink.
 */
export interface RestoredEdge {
  /** The real sink's label (`<step>/MainInput` for a stateful or splittable step's input). */
  readonly label: string;
  readonly partitioning: Partitioning;
  decode(bytes: Uint8Array, count: number): WindowedValue<unknown>[];
  /** Applies elements as one bundle of the real sink, committed at once. */
  deliverDecoded(elements: readonly WindowedValue<unknown>[]): void;
  encode(wv: WindowedValue<unknown>): Uint8Array;
}

/** The edge of a job run by one executor: no exchange, the real sink. */
export class LocalEdge implements RestoredEdge {
  readonly label: string;
  constructor(
    private readonly sink: Sink,
    private readonly coder: Coder<WindowedValue<unknown>>,
    readonly partitioning: Partitioning,
  ) {
    this.label = sink.label;
  }

  decode(bytes: Uint8Array, count: number): WindowedValue<unknown>[] {
    return decodeElements(this.coder, bytes, count);
  }

  deliverDecoded(elements: readonly WindowedValue<unknown>[]): void {
    deliverAsBundle(this.sink, elements);
  }

  encode(wv: WindowedValue<unknown>): Uint8Array {
    return encodeToBytes(this.coder, wv, true);
  }
}

/**
 * The elements of old part `part`'s recorded channel message that executor `index` of
 * `count` applies: a by-key edge's to the key's owner now, a round-robin edge's whole to
 * one executor, a broadcast edge's from part 0 only (every part recorded its own copies).
 */
export function rescaledChannelShare(edge: RestoredEdge, bytes: Uint8Array, count: number, share: RestoreShare): WindowedValue<unknown>[] {
  const p = edge.partitioning;
  if (p.kind === "broadcast") return share.first ? edge.decode(bytes, count) : [];
  if (p.kind === "roundRobin") return share.takesUnkeyed ? edge.decode(bytes, count) : [];
  return edge.decode(bytes, count).filter((wv) => share.ownsKey(p.keyCoder, (wv.value as { key: unknown }).key));
}
