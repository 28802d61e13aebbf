import { NO_FIRING } from "../../model/index.js";
import type { PCollectionView } from "../../transforms/index.js";
import type { DoFnOperation } from "../do-fn-operation.js";
import type { StateEntry } from "./state-table.js";

/**
 * The context of `onWindowExpiration` (Beam's @OnWindowExpiration): the key, the window,
 * its state, the main and tagged outputs stamped at the window's max timestamp, and the
 * window's side inputs. Shared by the embedded runner and the harness.
 */
export function windowExpiryContext(e: StateEntry, state: unknown, op: DoFnOperation): object {
  const at = e.window.maxTimestamp();
  return {
    key: e.key,
    window: e.window,
    state,
    output: (value: unknown) => op.emit(undefined, value, at, [e.window], NO_FIRING),
    outputTo: (tag: string, value: unknown) => op.emit(tag, value, at, [e.window], NO_FIRING),
    sideInput: (view: PCollectionView<unknown>) => op.readSide(view, e.window),
    metrics: op.metrics,
  };
}
