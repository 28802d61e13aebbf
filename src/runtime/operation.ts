import type { Receiver } from "./receiver.js";

/**
 * One executable step inside a fused stage. A bundle is: startBundle on every operation
 * of the stage (upstream first), elements pushed through `receive`, then finishBundle
 * (upstream first, so async work upstream has emitted before downstream flushes).
 */
export interface Operation extends Receiver {
  /** The transform's full label, for errors and metrics. */
  readonly label: string;
  startBundle(): void | Promise<void>;
  finishBundle(): void | Promise<void>;
  /** Async backpressure: resolves when the operation can accept more elements. */
  whenReady?(): Promise<void> | undefined;
  /** Releases user code (DoFn teardown). Called once, also after failures. */
  teardown?(): Promise<void>;
}
