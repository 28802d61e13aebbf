import type { WindowedValue } from "../model/index.js";
import type { Operation } from "../runtime/index.js";
import type { PCollectionView } from "../transforms/index.js";
import type { FnApiSideInputs } from "./side-inputs.js";

/**
 * Sits in front of a ParDo with side inputs (Beam Java's PushbackSideInputDoFnRunner):
 * an element whose side windows have not been read yet is held back, with every element
 * after it (the ParDo sees them in arrival order), and its side windows are requested.
 * `flush` waits for the reads and hands the held elements on; the bundle processor calls
 * it after every data frame and timer block, and `finishBundle` does before the ParDo
 * finishes, so nothing stays behind. Windows are those the elements carry when they reach
 * the ParDo, which a windowInto fused into the same stage may have assigned.
 *
 * @example
 * const pushback = new SideInputPushback(doFnOp, sideInputs, [view]);
 * pushback.receive(wv); // held until its side window is read
 * await pushback.flush();
 */
export class SideInputPushback implements Operation {
  readonly label: string;
  private held: WindowedValue<unknown>[] = [];
  /** The side-window reads the held elements wait for. */
  private reads: Promise<void>[] = [];
  /** While held elements are handed on, new arrivals queue behind them. */
  private replaying = false;

  constructor(
    private readonly target: Operation,
    private readonly sideInputs: FnApiSideInputs,
    private readonly views: readonly PCollectionView<unknown>[],
  ) {
    this.label = target.label;
  }

  startBundle(): void {
    this.held = [];
    this.reads = [];
  }

  receive(wv: WindowedValue<unknown>): void {
    if (this.held.length === 0 && !this.replaying && wv.windows.every((w) => this.sideInputs.isLoaded(this.views, w))) {
      this.target.receive(wv);
      return;
    }
    this.held.push(wv);
    if (!wv.windows.every((w) => this.sideInputs.isLoaded(this.views, w))) this.reads.push(this.sideInputs.load(this.views, wv.windows));
  }

  /** The ParDo's own backpressure (a stateful ParDo runs its queue), once nothing is held. */
  whenReady(): Promise<void> | undefined {
    return this.held.length === 0 ? this.target.whenReady?.() : undefined;
  }

  /** Whether elements wait for side-input reads. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Waits for the side windows of the held elements, then hands them on in order. */
  async flush(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      while (this.held.length > 0) {
        const reads = this.reads;
        this.reads = [];
        await Promise.all(reads);
        const held = this.held;
        this.held = [];
        for (const wv of held) {
          this.target.receive(wv);
          for (let ready = this.target.whenReady?.(); ready !== undefined; ready = this.target.whenReady?.()) await ready;
        }
      }
    } finally {
      this.replaying = false;
    }
  }

  async finishBundle(): Promise<void> {
    await this.flush();
  }
}
