import type { Instant } from "../model/index.js";
import type { BundleFinalizationCallback, BundleFinalizer } from "../transforms/index.js";

/** A callback a step registered during a bundle, with its expiry (Beam's CallbackRegistration). */
export interface FinalizationCallback {
  /** Full label of the step whose DoFn registered it. */
  readonly step: string;
  /** Wall-clock time (ms since the epoch) after which it must not run. */
  readonly expiry: Instant;
  readonly callback: BundleFinalizationCallback;
  /** What a restored job passes to the DoFn's `recoverCommit` if the callback may not have run. */
  readonly recovery?: Uint8Array;
}

/**
 * The callbacks one DoFn step registers during the current bundle attempt. The host takes
 * them when the bundle commits and clears them when it starts or fails, so a failed
 * attempt's callbacks never run.
 */
export class BundleFinalizations implements BundleFinalizer {
  private callbacks: FinalizationCallback[] = [];

  /** `finalizesReliably`: whether the host runs every committed bundle's callbacks (see BundleFinalizer). */
  constructor(
    private readonly step: string,
    readonly finalizesReliably = false,
  ) {}

  afterBundleCommit(expiry: Instant, callback: BundleFinalizationCallback, recovery?: Uint8Array): void {
    if (typeof callback !== "function") {
      throw new TypeError(`afterBundleCommit in "${this.step}" needs a callback function, got ${typeof callback}.`);
    }
    if (recovery !== undefined && !(recovery instanceof Uint8Array)) {
      throw new TypeError(`afterBundleCommit in "${this.step}": recovery must be a Uint8Array (encode it with a coder), got ${typeof recovery}.`);
    }
    this.callbacks.push({ step: this.step, expiry, callback, ...(recovery !== undefined ? { recovery } : {}) });
  }

  /** The callbacks registered since the last take or clear, in registration order. */
  take(): FinalizationCallback[] {
    const taken = this.callbacks;
    this.callbacks = [];
    return taken;
  }

  /** Forgets the callbacks of an attempt that will not commit. */
  clear(): void {
    this.callbacks = [];
  }
}

/** What finalization tells its host: callbacks dropped as expired, and callbacks that threw. */
export interface FinalizationReporter {
  expired(step: string, count: number): void;
  failed(step: string, error: unknown): void;
}

/**
 * Runs a committed bundle's callbacks one after another, in registration order, each
 * awaited: one whose expiry is before `now` is dropped (reported as expired); one that
 * throws or rejects is reported and the rest still run. Never throws: finalization is best
 * effort and does not change a job's outcome (Beam's runners log a failing callback).
 */
export async function runFinalizations(
  callbacks: readonly FinalizationCallback[],
  now: () => Instant,
  reporter: FinalizationReporter,
): Promise<void> {
  for (const c of callbacks) {
    if (c.expiry < now()) {
      reporter.expired(c.step, 1);
      continue;
    }
    try {
      await c.callback();
    } catch (err) {
      reporter.failed(c.step, err);
    }
  }
}

/**
 * Reports a callback that threw as a process warning (type `BeamFinalizationWarning`,
 * naming the step), which Node prints to stderr and `process.on("warning")` receives.
 */
export function warnFinalizationFailed(step: string, err: unknown): void {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.emitWarning(`a bundle finalization callback of "${step}" threw ${message}; the job goes on.`, {
    type: "BeamFinalizationWarning",
    code: "BEAM_FINALIZATION_FAILED",
    ...(err instanceof Error && err.stack !== undefined ? { detail: err.stack } : {}),
  });
}
