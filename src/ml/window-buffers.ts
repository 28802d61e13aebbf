import type { BoundedWindow, Instant } from "../model/index.js";

/**
 * The elements of one window waiting for their batch, with what the batch was gathered for
 * (a model). The values array is the batch handed to the model as is, and a hot path of
 * 100,000s of elements a second allocates nothing per element here: no object per element,
 * and no timestamp per element while they share one (a bounded source's elements mostly
 * do), which `timestampAt` reads.
 */
export class WindowBuffer<T, Tag> {
  /** The elements, in arrival order (an exact copy once the buffer is taken, see `seal`). */
  values: T[] = [];
  /**
   * The first element's timestamp (a tagged field, see `add`): the timestamp of every
   * element while `timestamps` is undefined.
   */
  timestamp: Instant = undefined as unknown as Instant;
  /** `timestamps[i]` is the timestamp of `values[i]`, once two of them differ. */
  timestamps: Instant[] | undefined = undefined;

  constructor(
    readonly window: BoundedWindow,
    readonly tag: Tag,
    /** When the first element came (performance.now()), for maxWaitMs. */
    readonly since: number,
  ) {}

  /** Adds an element of the buffer's window. */
  add(value: T, timestamp: Instant): void {
    const n = this.values.push(value);
    // The field starts as undefined so that V8 keeps it tagged: the timestamp object the
    // runner passed is kept and handed on as is. A double field, or an array of doubles,
    // boxes a new number on every read that is passed on (an allocation per result).
    if (n === 1) this.timestamp = timestamp;
    else if (this.timestamps !== undefined) this.timestamps.push(timestamp);
    else if (timestamp !== this.timestamp) {
      const timestamps: Instant[] = [];
      for (let i = 1; i < n; i++) timestamps.push(this.timestamp);
      timestamps.push(timestamp);
      this.timestamps = timestamps;
    }
  }

  /**
   * Replaces `values` by an array of exactly its elements. Pushes grow an array past its
   * length (77 slots for 64 elements), and a taken batch may wait for the model long enough
   * to be copied and promoted by the garbage collector with the rest of its bundle.
   */
  seal(): void {
    this.values = this.values.slice();
  }

  /** The timestamp of `values[i]` (the buffer's window is its window). */
  timestampAt(i: number): Instant {
    return this.timestamps === undefined ? this.timestamp : this.timestamps[i]!;
  }
}

/**
 * The per-window buffers of a batching DoFn, as Beam Python's _WindowAwareBatchingDoFn.
 * A batch holds elements of one window only, so the `process` call that completes a batch
 * can emit every result of it in its own (the same) window, at each element's timestamp;
 * what is left when the bundle ends is emitted by `finishBundle` with explicit windows.
 * Buffers never outlive their bundle.
 */
export class WindowBuffers<T, Tag> {
  private readonly buffers = new Map<string, WindowBuffer<T, Tag>>();
  /**
   * The window last looked up and its buffer (undefined: none), which is always
   * `buffers.get(lastWindow.id())`: consecutive elements mostly share their window, and
   * every element is looked up twice.
   */
  private lastWindow: BoundedWindow | undefined;
  private lastBuffer: WindowBuffer<T, Tag> | undefined;

  /** Adds an element; returns its window's buffer. `tag` starts a new buffer's batch. */
  add(window: BoundedWindow, value: T, timestamp: Instant, tag: Tag): WindowBuffer<T, Tag> {
    let buffer = this.lookup(window);
    if (buffer === undefined) {
      buffer = new WindowBuffer<T, Tag>(window, tag, performance.now());
      this.buffers.set(window.id(), buffer);
      this.lastBuffer = buffer;
    }
    buffer.add(value, timestamp);
    return buffer;
  }

  /** The buffer of `window`, if any. */
  get(window: BoundedWindow): WindowBuffer<T, Tag> | undefined {
    return this.lookup(window);
  }

  /** Removes and returns the buffer of `window`. */
  take(window: BoundedWindow): WindowBuffer<T, Tag> | undefined {
    const buffer = this.lookup(window);
    if (buffer !== undefined) {
      this.buffers.delete(window.id());
      this.lastBuffer = undefined;
      buffer.seal();
    }
    return buffer;
  }

  /** Removes and returns every buffer (the bundle ends). */
  takeAll(): WindowBuffer<T, Tag>[] {
    const all = [...this.buffers.values()];
    for (const buffer of all) buffer.seal();
    this.buffers.clear();
    this.lastWindow = undefined;
    this.lastBuffer = undefined;
    return all;
  }

  private lookup(window: BoundedWindow): WindowBuffer<T, Tag> | undefined {
    if (window === this.lastWindow) return this.lastBuffer;
    this.lastWindow = window;
    return (this.lastBuffer = this.buffers.get(window.id()));
  }
}
