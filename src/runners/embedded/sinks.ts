import type { WindowedValue } from "../../model/index.js";
import type { Operation, SideInputStore } from "../../runtime/index.js";

/**
 * The end of a fused stage: where elements leave a bundle for a materialized buffer. A
 * sink keeps what a bundle wrote apart until the bundle succeeds (`commit`), so a retried
 * bundle never delivers twice (`abort` drops it).
 */
export interface Sink extends Operation {
  commit(): void;
  abort(): void;
}

abstract class PendingSink implements Sink {
  protected pending: WindowedValue<unknown>[] = [];
  constructor(readonly label: string) {}
  startBundle(): void {
    this.pending = [];
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.pending.push(wv);
  }
  abort(): void {
    this.pending = [];
  }
  abstract commit(): void;
}

/**
 * Collects elements for a later stage (a Reshuffle, or the pushed-back main input of a
 * ParDo with side inputs). With `explode`, an element in several windows becomes one
 * element per window, as side-input readiness is decided per window.
 */
export class BufferSink extends PendingSink {
  constructor(
    label: string,
    private readonly target: () => WindowedValue<unknown>[],
    private readonly explode = false,
  ) {
    super(label);
  }
  commit(): void {
    const buffer = this.target();
    for (const wv of this.pending) {
      if (!this.explode || wv.windows.length === 1) buffer.push(wv);
      else for (const w of wv.windows) buffer.push({ value: wv.value, timestamp: wv.timestamp, windows: [w], pane: wv.pane });
    }
    this.pending = [];
  }
}
/** Collects the contents of a PCollection read as a side input. */
export class SideInputSink extends PendingSink {
  constructor(
    label: string,
    private readonly store: SideInputStore,
    private readonly pcollection: string,
  ) {
    super(label);
  }
  commit(): void {
    this.store.append(this.pcollection, this.pending);
    this.pending = [];
  }
}
