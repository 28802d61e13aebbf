import type { BoundedWindow, ByteReader, ByteWriter, Coder, WindowedValue } from "../model/index.js";
import { BufferReader, BufferWriter } from "../coders/index.js";
import { BeamError, MAX_TIMESTAMP, watermarkThatGuaranteesFiring } from "../model/index.js";
import type { PCollectionView } from "../transforms/index.js";
import { userCodeError } from "./user-code-error.js";
import type { SideInputReader } from "./do-fn-operation.js";
import { corruptSnapshot, readCount, readFlag } from "./reduce/reduce-snapshot.js";

/** The coders of one side-input PCollection, for checkpoints. */
export interface SideInputCoders {
  readonly elementCoder: Coder<unknown>;
  /** Its windowing's window coder (windowCoderOf). */
  readonly windowCoder: Coder<BoundedWindow>;
}

/** The contents of one window of a side-input PCollection. */
interface WindowContents {
  /** The side window (kept for checkpoints, which write it with its coder). */
  readonly window: BoundedWindow;
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
        if (c === undefined) index.set(id, (c = { window: w, values: [], paneIndex, fired }));
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

  /**
   * Writes every side input's contents for a checkpoint (between passes). Layout:
   *
   *   varint n                    side-input PCollections, in order of first data
   *   n × pcollection             utf8 stable name (`nameOf`), varint byte length, then:
   *     varint windows; per window: window (its window coder, nested), varint
   *     paneIndex + 1 (0: unfired data only), byte fired, varint m, m × value (its element
   *     coder, nested)
   *
   * Each PCollection's part is length-prefixed, so a restore into a pipeline that no longer
   * reads it skips it. The views built from the contents are memos and are not written.
   */
  snapshot(out: ByteWriter, coderOf: (pcollection: string) => SideInputCoders, nameOf: (pcollection: string) => string): void {
    out.writeVarInt(this.byWindow.size);
    for (const [pc, index] of this.byWindow) {
      const { elementCoder, windowCoder } = coderOf(pc);
      const part = new BufferWriter();
      part.writeVarInt(index.size);
      for (const c of index.values()) {
        windowCoder.encode(c.window, part, true);
        part.writeVarInt(c.paneIndex + 1);
        part.writeByte(c.fired ? 1 : 0);
        part.writeVarInt(c.values.length);
        for (const v of c.values) elementCoder.encode(v, part, true);
      }
      out.writeUtf8(nameOf(pc), true);
      const bytes = part.finish();
      out.writeVarInt(bytes.length);
      out.writeBytes(bytes);
    }
  }

  /**
   * Reads what `snapshot` wrote into this store, which must be empty. `idOf` maps a stable
   * name to the PCollection of this pipeline (undefined: no longer a side input, skipped).
   */
  restore(input: ByteReader, idOf: (name: string) => string | undefined, coderOf: (pcollection: string) => SideInputCoders): void {
    if (this.byWindow.size > 0) throw corruptSnapshot("side inputs restored into a store that holds data");
    const n = readCount(input, "the number of side-input PCollections");
    for (let i = 0; i < n; i++) {
      const name = input.readUtf8(readCount(input, "a side input name's length"));
      const part = input.readBytes(readCount(input, "a side input's byte length"));
      const pc = idOf(name);
      if (pc === undefined) continue;
      if (this.byWindow.has(pc)) throw corruptSnapshot(`side input ${name} appears twice`);
      this.byWindow.set(pc, readContents(new BufferReader(part), name, coderOf(pc)));
    }
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

/** One side input's windows, as SideInputStore.snapshot wrote them. */
function readContents(input: ByteReader, name: string, { elementCoder, windowCoder }: SideInputCoders): Map<string, WindowContents> {
  const index = new Map<string, WindowContents>();
  const windows = readCount(input, "the number of a side input's windows");
  for (let w = 0; w < windows; w++) {
    const window = windowCoder.decode(input, true);
    const paneIndex = input.readVarInt() - 1;
    const fired = readFlag(input, "a side window's fired marker");
    const m = readCount(input, "the number of a side window's values");
    const values: unknown[] = [];
    for (let j = 0; j < m; j++) values.push(elementCoder.decode(input, true));
    if (index.has(window.id())) throw corruptSnapshot(`a window of side input ${name} appears twice`);
    index.set(window.id(), { window, values, paneIndex, fired });
  }
  if (input.remaining > 0) throw corruptSnapshot(`${input.remaining} byte(s) follow side input ${name}`);
  return index;
}
