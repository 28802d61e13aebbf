import type { BoundedWindow, WindowedValue } from "../model/index.js";
import { BeamError } from "../model/index.js";
import type { PCollectionView } from "../transforms/index.js";
import { userCodeError } from "./user-code-error.js";
import type { SideInputReader } from "./do-fn-operation.js";

/**
 * The materialized contents of the PCollections read as side inputs, indexed by window,
 * and the views built from them (memoised per view and side window).
 */
export class SideInputStore implements SideInputReader {
  private readonly contents = new Map<string, WindowedValue<unknown>[]>();
  private readonly byWindow = new Map<string, Map<string, unknown[]>>();
  private readonly views = new Map<PCollectionView<unknown>, Map<string, unknown>>();

  /** Appends committed elements of a side-input PCollection. */
  append(pcollection: string, elements: readonly WindowedValue<unknown>[]): void {
    let list = this.contents.get(pcollection);
    if (list === undefined) this.contents.set(pcollection, (list = []));
    for (const e of elements) list.push(e);
    this.byWindow.delete(pcollection);
  }

  get<V>(view: PCollectionView<V>, mainWindow: BoundedWindow, label: string): V {
    const windowFn = view.pcollection.windowing.windowFn;
    const sideWindow = windowFn.getSideInputWindow!(mainWindow);
    const wid = sideWindow.id();
    let memo = this.views.get(view as PCollectionView<unknown>);
    if (memo === undefined) this.views.set(view as PCollectionView<unknown>, (memo = new Map()));
    if (memo.has(wid)) return memo.get(wid) as V;
    const elements = this.windowIndex(view.pcollection.id).get(wid) ?? [];
    let value: V;
    try {
      value = view.materialize(elements);
    } catch (err) {
      if (err instanceof BeamError) {
        err.message = `Transform "${label}" read side input: ${err.message}`;
        throw err;
      }
      throw userCodeError(label, err);
    }
    memo.set(wid, value);
    return value;
  }

  private windowIndex(pcollection: string): Map<string, unknown[]> {
    let index = this.byWindow.get(pcollection);
    if (index !== undefined) return index;
    index = new Map();
    for (const wv of this.contents.get(pcollection) ?? []) {
      for (const w of wv.windows) {
        const id = w.id();
        let list = index.get(id);
        if (list === undefined) index.set(id, (list = []));
        list.push(wv.value);
      }
    }
    this.byWindow.set(pcollection, index);
    return index;
  }
}
