import type { Coder, KV, WindowedValue } from "../../../model/index.js";
import { BufferReader, BufferWriter, encodeToBytes } from "../../../coders/index.js";
import type { Sink } from "../sinks.js";
import type { Shard } from "./shard.js";

/**
 * Where the elements of a materialized edge go in a parallel job:
 * - `byKey`: to the executor owning the key (hash of its encoded bytes), so a key's
 *   groups, accumulators, state and timers live in one executor;
 * - `roundRobin`: spread evenly (Reshuffle: redistributing work is its point);
 * - `broadcast`: to every executor (side inputs, the input of a splittable DoFn).
 */
export type Partitioning =
  | { readonly kind: "byKey"; readonly keyCoder: Coder<unknown> }
  | { readonly kind: "roundRobin" }
  | { readonly kind: "broadcast" };

/** FNV-1a over the key's deterministic encoding: the same owner in every executor. */
export function keyOwner(keyCoder: Coder<unknown>, key: unknown, count: number): number {
  return (fnv1a(encodeToBytes(keyCoder, key, true)) >>> 0) % count;
}

/** 32-bit FNV-1a of `bytes` (signed). */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h | 0;
}

/**
 * A sink in front of a materialized edge's real sink. Elements this executor keeps go to
 * the real sink inside the bundle; the others are encoded, one buffer per destination,
 * and sent when the bundle commits (a failed bundle sends nothing). Elements received
 * from other executors are applied as a bundle of their own between passes (`deliver`).
 */
export class ExchangeSink implements Sink {
  readonly label: string;
  private readonly writers: BufferWriter[];
  private readonly counts: number[];
  private next: number;

  constructor(
    private readonly inner: Sink,
    readonly channel: number,
    private readonly shard: Shard,
    private readonly coder: Coder<WindowedValue<unknown>>,
    readonly partitioning: Partitioning,
  ) {
    this.label = inner.label;
    this.writers = Array.from({ length: shard.count }, () => new BufferWriter(1 << 16));
    this.counts = new Array<number>(shard.count).fill(0);
    this.next = shard.index;
  }

  startBundle(): void | Promise<void> {
    this.reset();
    return this.inner.startBundle();
  }

  finishBundle(): void | Promise<void> {
    return this.inner.finishBundle();
  }

  receive(wv: WindowedValue<unknown>): void {
    const { index, count } = this.shard;
    const p = this.partitioning;
    if (p.kind === "broadcast") {
      this.inner.receive(wv);
      for (let to = 0; to < count; to++) if (to !== index) this.write(to, wv);
      return;
    }
    const to = p.kind === "byKey" ? keyOwner(p.keyCoder, (wv.value as KV<unknown, unknown>).key, count) : this.next++ % count;
    if (to === index) this.inner.receive(wv);
    else this.write(to, wv);
  }

  commit(): void {
    this.inner.commit();
    for (let to = 0; to < this.counts.length; to++) {
      if (this.counts[to] === 0) continue;
      this.shard.sendData(to, this.channel, this.writers[to]!.finish(), this.counts[to]!);
    }
    this.reset();
  }

  abort(): void {
    this.inner.abort();
    this.reset();
  }

  /** Applies elements another executor sent: a bundle of the real sink, committed at once. */
  deliver(bytes: Uint8Array, count: number): void {
    const reader = new BufferReader(bytes);
    void this.inner.startBundle();
    for (let i = 0; i < count; i++) this.inner.receive(this.coder.decode(reader, true));
    void this.inner.finishBundle();
    this.inner.commit();
  }

  /**
   * The elements of a message another executor sent, decoded (a restore at another
   * --parallelism re-routes the recorded ones: checkpoint/rescale.ts).
   */
  decode(bytes: Uint8Array, count: number): WindowedValue<unknown>[] {
    return decodeElements(this.coder, bytes, count);
  }

  /** Applies decoded elements as one bundle of the real sink, committed at once (as `deliver`). */
  deliverDecoded(elements: readonly WindowedValue<unknown>[]): void {
    deliverAsBundle(this.inner, elements);
  }

  /** An element's encoding, to compare elements by their bytes. */
  encode(wv: WindowedValue<unknown>): Uint8Array {
    return encodeToBytes(this.coder, wv, true);
  }

  private write(to: number, wv: WindowedValue<unknown>): void {
    this.coder.encode(wv, this.writers[to]!, true);
    this.counts[to]!++;
  }

  private reset(): void {
    for (let to = 0; to < this.counts.length; to++) {
      if (this.counts[to] === 0) continue;
      this.writers[to]!.reset();
      this.counts[to] = 0;
    }
  }
}

/** `count` elements encoded one after another (nested) in `bytes`. */
export function decodeElements(coder: Coder<WindowedValue<unknown>>, bytes: Uint8Array, count: number): WindowedValue<unknown>[] {
  const reader = new BufferReader(bytes);
  const out: WindowedValue<unknown>[] = [];
  for (let i = 0; i < count; i++) out.push(coder.decode(reader, true));
  return out;
}

/** Applies `elements` to `sink` as one bundle, committed at once; nothing for none. */
export function deliverAsBundle(sink: Sink, elements: readonly WindowedValue<unknown>[]): void {
  if (elements.length === 0) return;
  void sink.startBundle();
  for (const wv of elements) sink.receive(wv);
  void sink.finishBundle();
  sink.commit();
}
