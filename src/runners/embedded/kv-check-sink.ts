import type { BoundedWindow, Instant, PaneInfo, WindowedValue } from "../../model/index.js";
import { isKv, notAKvError } from "../../model/index.js";
import type { Sink } from "./sinks.js";

/**
 * In front of a step that groups by key (GroupByKey, Combine.perKey, a stateful ParDo):
 * fails an element that is not a KV, naming the step, the element and the fix. The types
 * stop most such elements, but not all (a `[k, v]` array cast to a KV, a JSON line whose
 * shape was only asserted); without the check they would group as one key `undefined`.
 * Beam's KvCoder fails the same elements when they are encoded: here nothing is encoded.
 */
export class KvCheckSink implements Sink {
  readonly label: string;

  constructor(private readonly inner: Sink) {
    this.label = inner.label;
  }

  startBundle(): void | Promise<void> {
    return this.inner.startBundle();
  }

  receive(wv: WindowedValue<unknown>): void {
    if (!isKv(wv.value)) this.fail(wv.value);
    this.inner.receive(wv);
  }

  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    if (!isKv(value)) this.fail(value);
    if (this.inner.receiveParts !== undefined) this.inner.receiveParts(value, timestamp, windows, pane);
    else this.inner.receive({ value, timestamp, windows, pane });
  }

  finishBundle(): void | Promise<void> {
    return this.inner.finishBundle();
  }

  whenReady(): Promise<void> | undefined {
    return this.inner.whenReady?.();
  }

  teardown(): Promise<void> {
    return this.inner.teardown?.() ?? Promise.resolve();
  }

  commit(): void {
    this.inner.commit();
  }

  abort(): void {
    this.inner.abort();
  }

  private fail(value: unknown): never {
    throw notAKvError(this.label, value);
  }
}
