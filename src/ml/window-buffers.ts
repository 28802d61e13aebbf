import type { BoundedWindow, Instant } from "../model/index.js";

/**
 * The elements of one window waiting for their batch, with what the batch was gathered for
 * (a model). Values and timestamps are parallel arrays, not an object per element: the
 * values array is the batch handed to the model as is, and a hot path of 100,000s of
 * elements a second allocates nothing per element here.
 */
export interface WindowBuffer<T, Tag> {
  readonly window: BoundedWindow;
  readonly tag: Tag;
  /** The elements, in arrival order. */
  readonly values: T[];
  /** `timestamps[i]` is the timestamp of `values[i]` (its window is the buffer's). */
  readonly timestamps: Instant[];
  /** When the first element came (performance.now()), for maxWaitMs. */
  readonly since: number;
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
      buffer = { window, tag, values: [], timestamps: [], since: performance.now() };
      this.buffers.set(window.id(), buffer);
      this.lastBuffer = buffer;
    }
    buffer.values.push(value);
    buffer.timestamps.push(timestamp);
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
    }
    return buffer;
  }

  /** Removes and returns every buffer (the bundle ends). */
  takeAll(): WindowBuffer<T, Tag>[] {
    const all = [...this.buffers.values()];
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
