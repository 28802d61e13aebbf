import type { MessagePort } from "node:worker_threads";
import { BeamError } from "../../../model/index.js";
import type { ThreadReport } from "../parallel/thread-protocol.js";
import { FINAL_MARKER, type CoordinatorLink } from "./executor-checkpointing.js";

/**
 * The coordinator link of an executor in a worker thread: requests and completions arrive
 * as commands on the parent port (the thread's entry forwards them here), parts leave as
 * reports.
 */
export class PortLink implements CoordinatorLink {
  private asked: number | undefined;
  private readonly listeners: ((id: number) => void)[] = [];
  private finalReached: (() => void) | undefined;
  private finalFailed: ((err: Error) => void) | undefined;
  private readonly final: Promise<void>;

  constructor(private readonly port: MessagePort) {
    this.final = new Promise<void>((resolve, reject) => {
      this.finalReached = resolve;
      this.finalFailed = reject;
    });
    this.final.catch(() => {});
  }

  /** A `checkpoint` command. */
  request(id: number): void {
    this.asked = id;
  }

  /** A `checkpointComplete` command. */
  complete(id: number): void {
    for (const l of this.listeners) l(id);
    if (id === FINAL_MARKER) this.finalReached?.();
  }

  /** The job is cancelled: a wait for the final checkpoint ends. */
  cancel(): void {
    this.finalFailed?.(new BeamError("CANCELLED", "The job was cancelled before its final checkpoint."));
  }

  requested(): number | undefined {
    return this.asked;
  }
  sendPart(id: number, part: Uint8Array): void {
    this.report({ kind: "checkpointPart", id, part, final: false });
  }
  sendFinal(part: Uint8Array): void {
    this.report({ kind: "checkpointPart", id: FINAL_MARKER, part, final: true });
  }
  onCompleted(listener: (id: number) => void): void {
    this.listeners.push(listener);
  }
  finalCompleted(): Promise<void> {
    return this.final;
  }

  private report(r: ThreadReport): void {
    this.port.postMessage(r);
  }
}
