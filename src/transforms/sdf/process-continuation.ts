import type { Duration } from "../../model/index.js";
import { SplittableDoFnError } from "./errors.js";

/**
 * What a splittable `process` call returns (Beam's `DoFn.ProcessContinuation`): `stop`
 * when the restriction is finished (a claim failed), or `resume` when no more work is ready
 * yet: the runner then checkpoints the tracker (`trySplit(0)`) and schedules the residual
 * again no sooner than `delay` milliseconds later. Returning nothing means `stop`.
 *
 * @example
 * if (!tracker.tryClaim(offset)) return ProcessContinuation.stop();
 * if (nothingNew) return ProcessContinuation.resume(Durations.seconds(5));
 */
export type ProcessContinuation =
  | { readonly kind: "stop" }
  | { readonly kind: "resume"; readonly delay: Duration };

const STOP: ProcessContinuation = Object.freeze({ kind: "stop" });

/** Builders of ProcessContinuation values. */
export const ProcessContinuation = {
  /** The restriction is done; nothing to resume. */
  stop(): ProcessContinuation {
    return STOP;
  },
  /** Resume the residual of a checkpoint after `delay` ms (Beam's `resume().withResumeDelay`). */
  resume(delay: Duration = 0): ProcessContinuation {
    if (!Number.isFinite(delay) || delay < 0) {
      throw new SplittableDoFnError(
        `ProcessContinuation.resume: delay must be a finite duration >= 0 ms, got ${delay}.`,
      );
    }
    return Object.freeze({ kind: "resume", delay });
  },
} as const;
