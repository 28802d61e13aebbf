/**
 * A binary min-heap of items ordered by a numeric key. Items whose key changed are not
 * moved; the owner pushes them again and skips stale copies when it pops (lazy deletion),
 * which keeps updates O(log n) without an index.
 */
export class MinHeap<T> {
  private keys: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, item: T): void {
    const keys = this.keys;
    const items = this.items;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  /** The smallest key, or +Infinity when empty. */
  peekKey(): number {
    return this.keys.length === 0 ? Infinity : this.keys[0]!;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const keys = this.keys;
    const items = this.items;
    const n = keys.length;
    if (n === 0) return undefined;
    const top = items[0];
    const lastKey = keys.pop()!;
    const lastItem = items.pop()!;
    if (n > 1) {
      let i = 0;
      const size = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && keys[r]! < keys[l]! ? r : l;
        if (keys[c]! >= lastKey) break;
        keys[i] = keys[c]!;
        items[i] = items[c]!;
        i = c;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.keys = [];
    this.items = [];
  }

  /**
   * Every (key, item) in storage order, stale copies included (for checkpoints). Pushing
   * them in this order into an empty heap rebuilds the same heap: each one's parent is
   * already in place with a key no greater, so it never moves. Ties then pop in the same
   * order as before, which keeps a restored job's firing order that of the original.
   */
  /** What `stored` gives, as two arrays copied at once (a snapshot of a large heap). */
  storedCopy(): { readonly keys: number[]; readonly items: T[] } {
    return { keys: this.keys.slice(), items: this.items.slice() };
  }

  *stored(): IterableIterator<[number, T]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.items[i]!];
  }
}
