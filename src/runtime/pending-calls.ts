import type { BoundedWindow } from "../model/index.js";
import { describeValue } from "../model/index.js";

/** A call into user code that returned a promise which has not settled yet. */
export interface PendingCall {
  /** The full label of the step whose code was called. */
  readonly step: string;
  /** What was called: `process`, `startBundle`, `finishBundle`, `setup`, a source's `read`. */
  readonly method: string;
  /** The element of a `process` call (undefined for the others). */
  readonly element: unknown;
  readonly window: BoundedWindow | undefined;
  /** When the call started (`performance.now()`). */
  readonly since: number;
  /** How many lull warnings were given for this call (LullWatchdog). */
  warnings: number;
}

/**
 * The calls into user code of one executor that are still pending: what a stalled job is
 * waiting for. DoFn operations and sources add a call when user code returns a promise and
 * remove it when the promise settles; synchronous calls are never recorded (they cost one
 * function call each, and nothing can watch them while they run).
 *
 * @example
 * const pending = new PendingCalls();
 * const call = pending.begin("Enrich/ParDo(lookup)", "process", element, window);
 * promise.finally(() => pending.end(call));
 * pending.describe(); // 'process of "Enrich/ParDo(lookup)" on element {"id":7} in window GlobalWindow'
 */
export class PendingCalls {
  private readonly calls = new Set<PendingCall>();

  /** Records a call that returned a promise. */
  begin(step: string, method: string, element?: unknown, window?: BoundedWindow): PendingCall {
    const call: PendingCall = { step, method, element, window, since: performance.now(), warnings: 0 };
    this.calls.add(call);
    return call;
  }

  /** The call settled (or was abandoned). */
  end(call: PendingCall): void {
    this.calls.delete(call);
  }

  get size(): number {
    return this.calls.size;
  }

  /** The pending calls, oldest first. */
  list(): readonly PendingCall[] {
    return [...this.calls];
  }

  /** The longest-pending call, if any. */
  oldest(): PendingCall | undefined {
    for (const call of this.calls) return call;
    return undefined;
  }

  /** The pending calls for a message, oldest first, at most `max` of them. */
  describe(max = 3): string {
    const calls = this.list();
    const shown = calls.slice(0, max).map(describeCall);
    const more = calls.length > max ? ` and ${calls.length - max} more` : "";
    return shown.join("; ") + more;
  }
}

/** One call for a message: what, in which step, on which element and window. */
export function describeCall(call: PendingCall): string {
  const element = call.method === "process" ? ` on element ${describeValue(call.element)}` : "";
  const window = call.window !== undefined ? ` in window ${call.window.toString()}` : "";
  return `${call.method} of "${call.step}"${element}${window}`;
}
