/**
 * A first-in first-out queue with O(1) `shift`: an array with a moving head, compacted when
 * the consumed part is most of it. `Array.prototype.shift` copies the rest of a large array
 * on every call, which made a DoFn whose `process` returns promises quadratic in the bundle
 * size (its calls beyond maxConcurrency wait here).
 */
export class FifoQueue<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
