import type { BoundedWindow, WindowFn, WindowedValue } from "../model/index.js";
import { UserCodeError, describeValue } from "../model/index.js";
import type { Operation } from "./operation.js";
import type { Receiver } from "./receiver.js";

/** Runs a WindowFn's assignWindows on every element (Beam's AssignWindows). */
export class AssignWindowsOperation implements Operation {
  constructor(
    readonly label: string,
    private readonly windowFn: WindowFn<BoundedWindow>,
    private readonly out: Receiver,
  ) {}
  startBundle(): void {}
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    let windows: readonly BoundedWindow[];
    try {
      windows = this.windowFn.assignWindows({ element: wv.value, timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane });
    } catch (err) {
      throw new UserCodeError(
        this.label,
        describeValue(wv.value),
        undefined,
        `${this.windowFn.toString()} failed to assign windows in "${this.label}" for element ${describeValue(wv.value)}: ${String(err)}`,
        { cause: err },
      );
    }
    this.out.receive({ value: wv.value, timestamp: wv.timestamp, windows, pane: wv.pane });
  }
}
