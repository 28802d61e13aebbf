import type { BoundedWindow, Coder } from "../model/index.js";
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

/** A side window's elements as read, and the view's value once something asked for it. */
interface SideWindowContents {
  readonly values: readonly unknown[];
  materialized?: { readonly value: unknown };
}

/**
 * Side inputs read over the Fn API state channel (Beam's iterable side input). A ParDo's
 * main-input windows are only known when its elements reach it, which inside a fused stage
 * can be after a windowInto or a DoFn that re-timestamps them; so the ParDo's
 * SideInputPushback asks `load` for the side windows of the windows its elements carry
 * there, and holds the elements back until they are read (Beam Java's
 * PushbackSideInputDoFnRunner; Python and Go block on the state call instead, which a
 * synchronous DoFn call cannot do here). `ctx.sideInput` then stays synchronous. A view
 * is materialized (asSingleton, asMap, ...) when first read, as Beam's view functions run
 * on access: an empty singleton fails only the DoFn that reads it. Values are cached for
 * the bundle's lifetime of this processor.
 */
export class FnApiSideInputs implements SideInputReader {
  private readonly decls = new Map<PCollectionView<unknown>, SideInputDecl>();
  /** Read side windows, per view and side-window id. */
  private readonly cache = new Map<PCollectionView<unknown>, Map<string, SideWindowContents>>();
  /** Reads under way or done, per view and side-window id: a second request waits for the first's. */
  private readonly loads = new Map<PCollectionView<unknown>, Map<string, Promise<void>>>();
  private fetch: SideInputFetcher | undefined;

  declare(d: SideInputDecl): void {
    this.decls.set(d.view, d);
  }

  get declaredCount(): number {
    return this.decls.size;
  }

  /** Forgets cached values (a new bundle may see new side-input contents) and reads through `fetch` from now on. */
  reset(fetch?: SideInputFetcher): void {
    this.cache.clear();
    this.loads.clear();
    this.fetch = fetch;
  }

  /** Whether every one of `views` has been read for the side window `mainWindow` maps to. */
  isLoaded(views: Iterable<PCollectionView<unknown>>, mainWindow: BoundedWindow): boolean {
    for (const view of views) {
      const side = view.pcollection.windowing.windowFn.getSideInputWindow!(mainWindow);
      if (this.cache.get(view)?.has(side.id()) !== true) return false;
    }
    return true;
  }

  /**
   * Reads `views` for the side windows of the main-input windows (of elements, or of fired
   * timers) not read yet, all at once; resolves when every one is in the cache.
   */
  async load(views: Iterable<PCollectionView<unknown>>, mainWindows: Iterable<BoundedWindow>): Promise<void> {
    const windows = new Map<string, BoundedWindow>();
    for (const w of mainWindows) windows.set(w.id(), w);
    const waits: Promise<void>[] = [];
    for (const view of views) {
      const d = this.decls.get(view);
      if (d === undefined) continue;
      let memo = this.cache.get(view);
      if (memo === undefined) this.cache.set(view, (memo = new Map()));
      let loads = this.loads.get(view);
      if (loads === undefined) this.loads.set(view, (loads = new Map()));
      const m = memo;
      for (const w of windows.values()) {
        const side = view.pcollection.windowing.windowFn.getSideInputWindow!(w);
        const id = side.id();
        if (m.has(id)) continue;
        let load = loads.get(id);
        if (load === undefined) {
          load = this.read(d, side).then((values) => void m.set(id, { values }));
          loads.set(id, load);
        }
        waits.push(load);
      }
    }
    await Promise.all(waits);
  }

  /** Reads every declared view for the side windows of `mainWindows` (fired timers' windows). */
  loadAll(mainWindows: Iterable<BoundedWindow>): Promise<void> {
    return this.load(this.decls.keys(), mainWindows);
  }

  get<V>(view: PCollectionView<V>, mainWindow: BoundedWindow, label: string): V {
    const side = view.pcollection.windowing.windowFn.getSideInputWindow!(mainWindow);
    const contents = this.cache.get(view as PCollectionView<unknown>)?.get(side.id());
    if (contents === undefined) {
      // A SideInputPushback reads every side window before its elements reach the DoFn.
      throw new Error(
        `${label}: side input ${view.toString()} was not read for window ${side.toString()} before the DoFn ran; ` +
          `this is a beam-ts harness bug, please report it with the pipeline.`,
      );
    }
    contents.materialized ??= { value: view.materialize(contents.values) };
    return contents.materialized.value as V;
  }

  private async read(d: SideInputDecl, side: BoundedWindow): Promise<unknown[]> {
    if (this.fetch === undefined) throw new Error(`${d.transformId}: side input ${d.sideInputId} was read outside a bundle.`);
    const bytes = await this.fetch(d.transformId, d.sideInputId, encodeToBytes(d.windowCoder, side));
    const reader = new BufferReader(bytes);
    const values: unknown[] = [];
    while (reader.remaining > 0) values.push(d.elementCoder.decode(reader, true));
    return values;
  }
}
