import { BufferWriter } from "../coders/index.js";
import type { ByteWriter } from "../model/index.js";

/** How many items are encoded between two looks at the clock. */
const CLOCK_EVERY = 256;

/**
 * Writes a list of items taken at one moment (a checkpoint's keyed state) in slices while
 * they may still change afterwards: copy on write. `advance` encodes the items in order; an
 * item about to change before its turn is encoded first, as it is (`touch`), and its bytes
 * are put in its place when its turn comes. The bytes are those of encoding every item at
 * the moment the list was taken, one after another, after `header`.
 */
export class CopyOnWriteWriter<T> {
  private readonly written = new BufferWriter();
  /** Items at `next` or later encoded early, because they were about to change. */
  private readonly early = new Map<number, Uint8Array>();
  private next = 0;

  constructor(
    private readonly items: readonly T[],
    header: (out: ByteWriter) => void,
    private readonly encode: (item: T, out: ByteWriter) => void,
  ) {
    header(this.written);
  }

  /** True once every item is written. */
  get done(): boolean {
    return this.next >= this.items.length;
  }

  /** Encodes items in order until `deadline` (performance.now()); true when all are written. */
  advance(deadline: number): boolean {
    const { items, written, early } = this;
    while (this.next < items.length) {
      for (let k = 0; k < CLOCK_EVERY && this.next < items.length; k++) {
        const i = this.next++;
        const ahead = early.get(i);
        if (ahead === undefined) this.encode(items[i]!, written);
        else {
          written.writeBytes(ahead);
          early.delete(i);
        }
      }
      if (performance.now() >= deadline) break;
    }
    return this.done;
  }

  /** Before item `slot` changes: encodes it as it is now, unless it was written already. */
  touch(slot: number): void {
    if (slot < this.next || this.early.has(slot)) return;
    const out = new BufferWriter(64);
    this.encode(this.items[slot]!, out);
    this.early.set(slot, out.finish());
  }

  /** Every item written (what is left now), then `trailer`: the bytes. Call once. */
  finish(trailer: (out: ByteWriter) => void = () => {}): Uint8Array {
    this.advance(Infinity);
    trailer(this.written);
    return this.written.finish();
  }
}
