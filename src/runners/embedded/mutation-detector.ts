import type { Coder } from "../../model/index.js";
import { IllegalMutationError, describeValue } from "../../model/index.js";
import { BufferWriter, decodeFromBytes, encodeToBytes } from "../../coders/index.js";

/**
 * A value's encoding with its PCollection's coder, or undefined when the coder cannot encode
 * it (such a value cannot be checked for changes; it fails where it crosses a materialized
 * edge, see encodability-sink.ts).
 *
 * @example
 * const before = snapshot(jsValueCoder, element); // then later: unchanged(jsValueCoder, element, before!)
 */
export function snapshot(coder: Coder<unknown>, value: unknown): Uint8Array | undefined {
  try {
    return encodeToBytes(coder, value);
  } catch {
    return undefined;
  }
}

/**
 * Whether `value` still encodes to `before`. Beam's MutationDetectors compare structural
 * values first and encodings second; beam-ts's coders have no structural values, and the same
 * object encodes to the same bytes until it changes (a non-deterministic coder differs only
 * between equal values, not between two encodings of one unchanged object).
 */
export function unchanged(coder: Coder<unknown>, value: unknown, before: Uint8Array): boolean {
  // Encoded into a scratch buffer, compared in place: a check allocates nothing.
  scratch.reset();
  try {
    coder.encode(value, scratch, false);
  } catch {
    return false;
  }
  const now = scratch.written();
  if (now.length !== before.length) return false;
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return false;
  return true;
}

const scratch = new BufferWriter(1024);

/** How a step broke immutability, for the error's message. */
export type Mutation =
  | { readonly kind: "input"; readonly step: string }
  | { readonly kind: "output"; readonly step: string; readonly readers: readonly string[] };

const FIX =
  "Fix: leave the element as it is and output a new value (copy before changing: { ...x }, [...xs], " +
  "structuredClone(x)). Turn the check off with --enforceImmutability=false.";

/**
 * The error for a value that no longer encodes to `before`.
 *
 * @example
 * if (!unchanged(coder, value, before)) throw mutationError({ kind: "input", step: "Negate" }, coder, value, before);
 */
export function mutationError(mutation: Mutation, coder: Coder<unknown>, value: unknown, before: Uint8Array): IllegalMutationError {
  let was: string;
  try {
    was = describeValue(decodeFromBytes(coder, before));
  } catch {
    was = `(${before.length} bytes in ${coder.toString()})`;
  }
  const now = describeValue(value);
  const what =
    mutation.kind === "input"
      ? `${mutation.step} changed its input element. A DoFn must not change its input: sibling steps and ` +
        `GroupByKeys may hold the same object and would silently see the change.`
      : `A value output by ${mutation.step} changed after it was output` +
        (mutation.readers.length > 0 ? ` (by ${mutation.step}, or later in the bundle by ${mutation.readers.join(", ")}, which read it)` : "") +
        `. Values must not change after ctx.output: the steps and GroupByKeys that received it would silently see the change.`;
  return new IllegalMutationError(mutation.step, was, now, `${what} Before: ${was}. After: ${now}. ${FIX}`);
}
