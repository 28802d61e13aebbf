import type { BoundedWindow, Instant, PaneInfo, WindowFn, WindowedValue } from "../model/index.js";
import { NO_FIRING, UserCodeError, describeValue } from "../model/index.js";
import type { Operation } from "./operation.js";
import type { Receiver } from "./receiver.js";

/** Runs a WindowFn's assignWindows on every element (Beam's AssignWindows). */
export class AssignWindowsOperation implements Operation {
  private readonly ctx: { element: unknown; timestamp: Instant; windows: readonly BoundedWindow[]; pane: PaneInfo } = {
    element: undefined,
    // Not a number at first, so V8 keeps the field tagged (no HeapNumber boxed per read; see Context in do-fn-operation.ts).
    timestamp: undefined as unknown as Instant,
    windows: [],
    pane: NO_FIRING,
  };
  constructor(
    readonly label: string,
    private readonly windowFn: WindowFn<BoundedWindow>,
    private readonly out: Receiver,
  ) {}
  startBundle(): void {}
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.receiveParts(wv.value, wv.timestamp, wv.windows, wv.pane);
  }

  receiveParts(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    // One context object for every call: WindowFns read it and must not keep it.
    const ctx = this.ctx;
    ctx.element = value;
    ctx.timestamp = timestamp;
    ctx.windows = windows;
    ctx.pane = pane;
    let assigned: readonly BoundedWindow[];
    try {
      assigned = this.windowFn.assignWindows(ctx);
    } catch (err) {
      throw new UserCodeError(
        this.label,
        describeValue(value),
        undefined,
        `${this.windowFn.toString()} failed to assign windows in "${this.label}" for element ${describeValue(value)}: ${String(err)}`,
        { cause: err },
      );
    }
    const out = this.out;
    if (out.receiveParts !== undefined) out.receiveParts(value, timestamp, assigned, pane);
    else out.receive({ value, timestamp, windows: assigned, pane });
  }
}
