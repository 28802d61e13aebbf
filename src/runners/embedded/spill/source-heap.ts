import { compareBytes, type RecordSource } from "./run-files.js";

/**
 * A binary min-heap of sorted record sources for a k-way merge: ordered by their head
 * group's bytes, then by their age (their index in the list given), so that a group's
 * records come out oldest source first and its values keep their arrival order. A merge
 * of k sources costs O(log k) comparisons per record instead of the k of a linear scan.
 * Exhausted sources (head undefined) never enter and leave when they run out.
 */
export class SourceHeap<S extends RecordSource> {
  private readonly heap: number[] = [];

  /** A heap of the sources that have a record, in the order given (oldest first). */
  constructor(private readonly sources: readonly S[]) {
    for (let i = 0; i < sources.length; i++) if (sources[i]!.head !== undefined) this.heap.push(i);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** The source with the least head (the oldest among equal heads); undefined once all ran out. */
  get top(): S | undefined {
    const i = this.heap[0];
    return i === undefined ? undefined : this.sources[i];
  }

  /** Advances the top source past its head record and restores the order. */
  advanceTop(): void {
    const source = this.sources[this.heap[0]!]!;
    source.advance();
    if (source.head === undefined) {
      const last = this.heap.pop()!;
      if (this.heap.length === 0) return;
      this.heap[0] = last;
    }
    this.siftDown(0);
  }

  private less(a: number, b: number): boolean {
    const c = compareBytes(this.sources[a]!.head!, this.sources[b]!.head!);
    return c < 0 || (c === 0 && a < b);
  }

  private siftDown(at: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[at]!;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(h[child + 1]!, h[child]!)) child++;
      if (!this.less(h[child]!, item)) break;
      h[at] = h[child]!;
      at = child;
    }
    h[at] = item;
  }
}
