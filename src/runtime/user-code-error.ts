import type { BoundedWindow } from "../model/index.js";
import { BeamError, IllegalMutationError, NotEncodableError, UserCodeError, describeValue } from "../model/index.js";

/**
 * Wraps an exception thrown by user code with the transform's full label, the element
 * (truncated) and the window. Errors already raised by a downstream step pass through,
 * so the label always names the step whose code threw.
 */
export function userCodeError(label: string, err: unknown, element?: unknown, window?: BoundedWindow): BeamError {
  if (err instanceof UserCodeError) return err;
  if (err instanceof BeamError && err.code === "ASSERTION") return err;
  // The runner's checks of an element (enforcement) name the step to blame themselves.
  if (err instanceof IllegalMutationError || err instanceof NotEncodableError) return err;
  const el = element === undefined ? undefined : describeValue(element);
  const win = window?.toString();
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = el === undefined ? "" : ` while processing element ${el}${win ? ` in window ${win}` : ""}`;
  return new UserCodeError(label, el, win, `Transform "${label}" failed${where}: ${reason}`, { cause: err });
}
