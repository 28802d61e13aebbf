import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, WindowedValue } from "../../model/index.js";
import { MAX_TIMESTAMP } from "../../model/index.js";
import { corruptSnapshot, readCount, type SideInputStore } from "../../runtime/index.js";
import type { PCollectionView } from "../../transforms/index.js";

/** The pushed-back elements of one main-input window, in arrival order. */
interface WaitingWindow {
  readonly window: BoundedWindow;
  readonly elements: WindowedValue<unknown>[];
  minTimestamp: Instant;
}

/**
 * Main-input elements of a ParDo with side inputs that wait (are pushed back, Beam's
 * PushbackSideInputDoFnRunner) until every side input is ready for their window: a fired
 * pane arrived in the matching side window, or the side input's watermark passed that
 * window's end. They are kept by window, so a pass checks each window once and the
 * watermark reads one minimum per window: rescanning every waiting element on every pass
 * made a batch job quadratic in its passes (Nexmark Q7 at 10M on 2 threads: 235 s).
 * Used by SideInputStage and by StatefulStage (a stateful ParDo with side inputs).
 */
export class PushedBackElements {
  private readonly waiting = new Map<string, WaitingWindow>();

  constructor(
    private readonly views: readonly PCollectionView<unknown>[],
    private readonly store: SideInputStore,
    /** The watermark of a side input's PCollection. */
    private readonly sideWatermark: (pc: string) => Instant,
  ) {}

  /** Pushes back elements of one window each, after those already waiting. */
  add(elements: readonly WindowedValue<unknown>[]): void {
    for (const wv of elements) {
      const w = wv.windows[0]!;
      const id = w.id();
      const group = this.waiting.get(id);
      if (group === undefined) this.waiting.set(id, { window: w, elements: [wv], minTimestamp: wv.timestamp });
      else {
        group.elements.push(wv);
        if (wv.timestamp < group.minTimestamp) group.minTimestamp = wv.timestamp;
      }
    }
  }

  /** Takes the elements of every window whose side inputs are all ready (each window's in arrival order). */
  takeReady(): WindowedValue<unknown>[] | undefined {
    let ready: WindowedValue<unknown>[] | undefined;
    for (const [id, group] of this.waiting) {
      if (!this.views.every((v) => this.store.isReady(v, group.window, this.sideWatermark(v.pcollection.id)))) continue;
      this.waiting.delete(id);
      if (ready === undefined) ready = group.elements;
      else for (const wv of group.elements) ready.push(wv);
    }
    return ready;
  }

  /** Whether every side input is complete (its watermark at the end of time): nothing will wait again. */
  get sideInputsComplete(): boolean {
    return this.views.every((v) => this.sideWatermark(v.pcollection.id) >= MAX_TIMESTAMP);
  }

  /** The earliest timestamp of a waiting element (+Infinity when none waits): the watermark hold. */
  get minTimestamp(): Instant {
    let min = Infinity;
    for (const group of this.waiting.values()) if (group.minTimestamp < min) min = group.minTimestamp;
    return min;
  }

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Writes the waiting elements (checkpoints) with `coder`, the windowed-value coder of the
   * stage's input PCollection. Layout: varint windows; per window, in arrival order of its
   * first element: varint n, n × element. Adding them back in this order restores the
   * windows' order and their minimum timestamps.
   */
  snapshot(out: ByteWriter, coder: Coder<WindowedValue<unknown>>): void {
    out.writeVarInt(this.waiting.size);
    for (const group of this.waiting.values()) {
      out.writeVarInt(group.elements.length);
      for (const wv of group.elements) coder.encode(wv, out, true);
    }
  }

  /**
   * Reads what `snapshot` wrote; nothing may be waiting yet. With `keep` (a restore at
   * another --parallelism, reading every old executor's elements), only the elements it
   * accepts are added, after those already waiting.
   */
  restore(input: ByteReader, coder: Coder<WindowedValue<unknown>>, keep?: (wv: WindowedValue<unknown>) => boolean): void {
    if (keep === undefined && this.waiting.size > 0) throw corruptSnapshot("pushed-back elements restored where elements already wait");
    const windows = readCount(input, "the number of windows with pushed-back elements");
    const ids = new Set<string>();
    for (let i = 0; i < windows; i++) {
      const n = readCount(input, "the number of a window's pushed-back elements");
      if (n === 0) throw corruptSnapshot("a window of pushed-back elements is empty");
      const elements: WindowedValue<unknown>[] = [];
      for (let j = 0; j < n; j++) elements.push(coder.decode(input, true));
      const id = elements[0]!.windows[0]?.id();
      if (elements.some((wv) => wv.windows.length !== 1 || wv.windows[0]!.id() !== id)) {
        throw corruptSnapshot("a group of pushed-back elements is not of one window");
      }
      if (ids.has(id!)) throw corruptSnapshot("two groups of pushed-back elements have one window");
      ids.add(id!);
      const kept = keep === undefined ? elements : elements.filter(keep);
      if (kept.length > 0) this.add(kept);
    }
  }
}
