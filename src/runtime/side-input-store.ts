import type { BoundedWindow, WindowedValue } from "../model/index.js";
import { BeamError, MAX_TIMESTAMP, watermarkThatGuaranteesFiring } from "../model/index.js";
import type { PCollectionView } from "../transforms/index.js";
import { userCodeError } from "./user-code-error.js";
import type { SideInputReader } from "./do-fn-operation.js";

/** The contents of one window of a side-input PCollection. */
interface WindowContents {
  values: unknown[];
  /** Index of the latest trigger pane seen; -1 while only unfired (batch) elements came. */
  paneIndex: number;
  /** A trigger pane arrived: the window is readable before its watermark passes. */
  fired: boolean;
}

/**
 * The materialized contents of the PCollections read as side inputs, indexed by window,
 * and the views built from them (memoised per view and side window, until new data).
 *
 * In streaming, a later trigger pane of a window replaces the earlier ones (the
 * slowly-changing side input pattern reads the latest value), and a main-input window is
 * readable once its side window has a fired pane or the side input's watermark has passed
 * the end of that window (see isReady).
 */
export class SideInputStore implements SideInputReader {
  private readonly byWindow = new Map<string, Map<string, WindowContents>>();
  private readonly views = new Map<PCollectionView<unknown>, Map<string, unknown>>();

  /** Appends committed elements of a side-input PCollection. */
  append(pcollection: string, elements: readonly WindowedValue<unknown>[]): void {
    let index = this.byWindow.get(pcollection);
    if (index === undefined) this.byWindow.set(pcollection, (index = new Map()));
    for (const wv of elements) {
      const fired = wv.pane.timing !== "UNKNOWN";
      const paneIndex = fired ? wv.pane.index : -1;
      for (const w of wv.windows) {
        const id = w.id();
        let c = index.get(id);
        if (c === undefined) index.set(id, (c = { values: [], paneIndex, fired }));
        if (paneIndex > c.paneIndex) {
          c.values = [];
          c.paneIndex = paneIndex;
        } else if (paneIndex < c.paneIndex) continue;
        c.fired ||= fired;
        c.values.push(wv.value);
        this.invalidate(pcollection, id);
      }
    }
  }

  /**
   * Whether `view` can be read for a main-input window (Beam's SideInputContainer.isReady):
   * its side window has a fired pane, or the side input's watermark (`sideWatermark`) has
   * passed the point by which its trigger must have fired for that window (the window's
   * end for the default trigger), so no data means an empty side input.
   */
  isReady(view: PCollectionView<unknown>, mainWindow: BoundedWindow, sideWatermark: number): boolean {
    const { windowFn, trigger } = view.pcollection.windowing;
    const sideWindow = windowFn.getSideInputWindow!(mainWindow);
    const guaranteed = watermarkThatGuaranteesFiring(trigger, sideWindow);
    if (sideWatermark > guaranteed || sideWatermark >= MAX_TIMESTAMP) return true;
    return this.byWindow.get(view.pcollection.id)?.get(sideWindow.id())?.fired === true;
  }

  private invalidate(pcollection: string, windowId: string): void {
    for (const [view, memo] of this.views) if (view.pcollection.id === pcollection) memo.delete(windowId);
  }

  get<V>(view: PCollectionView<V>, mainWindow: BoundedWindow, label: string): V {
    const windowFn = view.pcollection.windowing.windowFn;
    const sideWindow = windowFn.getSideInputWindow!(mainWindow);
    const wid = sideWindow.id();
    let memo = this.views.get(view as PCollectionView<unknown>);
    if (memo === undefined) this.views.set(view as PCollectionView<unknown>, (memo = new Map()));
    if (memo.has(wid)) return memo.get(wid) as V;
    const elements = this.byWindow.get(view.pcollection.id)?.get(wid)?.values ?? [];
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
}
