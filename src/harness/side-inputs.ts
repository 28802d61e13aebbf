import type { BoundedWindow, Coder, WindowedValue } from "../model/index.js";
import { BufferReader, encodeToBytes } from "../coders/index.js";
import type { SideInputReader } from "../runtime/index.js";
import type { PCollectionView } from "../transforms/index.js";

/** Reads the bytes of an iterable side input of one transform and side window. */
export type SideInputFetcher = (transformId: string, sideInputId: string, window: Uint8Array) => Promise<Uint8Array>;

/** A side input of a ParDo in a descriptor. */
export interface SideInputDecl {
  readonly transformId: string;
  readonly sideInputId: string;
  readonly view: PCollectionView<unknown>;
  readonly elementCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
}

/**
 * Side inputs read over the Fn API state channel (Beam's iterable side input): before a
 * frame of elements (or of fired timers) is processed, every side window its elements map to is fetched and
 * materialized with the view (asSingleton, asMap, ...), so `ctx.sideInput` stays
 * synchronous. Values are cached for the bundle's lifetime of this processor.
 */
export class FnApiSideInputs implements SideInputReader {
  private readonly decls = new Map<PCollectionView<unknown>, SideInputDecl>();
  private readonly cache = new Map<PCollectionView<unknown>, Map<string, unknown>>();
  /** Fetches under way or done, per view and side window: a second frame waits for the first's. */
  private readonly loads = new Map<PCollectionView<unknown>, Map<string, Promise<void>>>();

  declare(d: SideInputDecl): void {
    this.decls.set(d.view, d);
  }

  get declaredCount(): number {
    return this.decls.size;
  }

  /** Forgets cached values (a new bundle may see new side-input contents). */
  reset(): void {
    this.cache.clear();
    this.loads.clear();
  }

  async prefetch(elements: readonly WindowedValue<unknown>[], fetch: SideInputFetcher): Promise<void> {
    await this.prefetchWindows(
      elements.flatMap((wv) => wv.windows),
      fetch,
    );
  }

  /** Fetches the side inputs of main-input windows (of elements, or of fired timers) not read yet. */
  async prefetchWindows(mainWindows: Iterable<BoundedWindow>, fetch: SideInputFetcher): Promise<void> {
    const windows = new Map<string, BoundedWindow>();
    for (const w of mainWindows) windows.set(w.id(), w);
    const waits: Promise<void>[] = [];
    for (const d of this.decls.values()) {
      let memo = this.cache.get(d.view);
      if (memo === undefined) this.cache.set(d.view, (memo = new Map()));
      let loads = this.loads.get(d.view);
      if (loads === undefined) this.loads.set(d.view, (loads = new Map()));
      const m = memo;
      for (const w of windows.values()) {
        const side = d.view.pcollection.windowing.windowFn.getSideInputWindow!(w);
        const id = side.id();
        let load = loads.get(id);
        if (load === undefined) {
          load = fetch(d.transformId, d.sideInputId, encodeToBytes(d.windowCoder, side)).then((bytes) => {
            const reader = new BufferReader(bytes);
            const values: unknown[] = [];
            while (reader.remaining > 0) values.push(d.elementCoder.decode(reader, true));
            m.set(id, d.view.materialize(values));
          });
          loads.set(id, load);
        }
        if (!m.has(id)) waits.push(load);
      }
    }
    await Promise.all(waits);
  }

  get<V>(view: PCollectionView<V>, mainWindow: BoundedWindow, label: string): V {
    const side = view.pcollection.windowing.windowFn.getSideInputWindow!(mainWindow);
    const memo = this.cache.get(view as PCollectionView<unknown>);
    if (memo === undefined || !memo.has(side.id())) {
      throw new Error(
        `${label}: side input ${view.toString()} was not fetched for window ${side.toString()} (its window was assigned ` +
          `inside the bundle); re-window before the data reaches this step.`,
      );
    }
    return memo.get(side.id()) as V;
  }
}
