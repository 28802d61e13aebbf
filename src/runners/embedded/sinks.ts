import type { BoundedWindow, Instant, KV, WindowedValue } from "../../model/index.js";
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

/** What GroupByKey's and lifted Combine's tables share: per-bundle tables merged on commit. */
interface BundleTable<T> {
  add(wv: WindowedValue<KV<unknown, unknown>>): void;
  addParts(element: KV<unknown, unknown>, timestamp: Instant, windows: readonly BoundedWindow[]): void;
  mergeFrom(other: T): void;
  clear(): void;
}

/**
 * Feeds a GroupByKey or lifted Combine.perKey table. Each bundle writes into its own table
 * (for Combine: Beam's partial combine before the shuffle), which is merged into the job's
 * table on commit; a failed bundle leaves no trace, and no WindowedValue is kept per element.
 */
export class TableSink<T extends BundleTable<T>> implements Sink {
  private partial: T;
  constructor(
    readonly label: string,
    readonly table: T,
    private readonly makeTable: () => T,
  ) {
    this.partial = makeTable();
  }
  startBundle(): void {
    this.partial.clear();
  }
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.partial.add(wv as WindowedValue<KV<unknown, unknown>>);
  }
  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    this.partial.addParts(value as KV<unknown, unknown>, timestamp, windows);
  }
  commit(): void {
    this.table.mergeFrom(this.partial);
    this.partial = this.makeTable();
  }
  abort(): void {
    this.partial.clear();
  }
}

/** Collects elements for a later root (Reshuffle, or the main input of a ParDo with side inputs). */
export class BufferSink extends PendingSink {
  readonly buffer: WindowedValue<unknown>[] = [];
  commit(): void {
    for (const wv of this.pending) this.buffer.push(wv);
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
