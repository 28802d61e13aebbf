import type { MessagePort } from "node:worker_threads";
import type { Instant } from "../../../model/index.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../model/index.js";
import type { PieceClaims } from "./piece-claims.js";

/**
 * What one executor of a parallel job sends another. Each pair of executors has its own
 * MessagePort, and a port delivers in order: the data an executor sent for a PCollection
 * always arrives before the watermark it sent after it.
 */
export type ShardMessage =
  /** Encoded windowed values for exchange channel `channel` (`count` of them). */
  | { readonly kind: "data"; readonly channel: number; readonly bytes: Uint8Array; readonly count: number }
  /** The sender's own watermark of an exchanged PCollection. */
  | { readonly kind: "watermark"; readonly pcollection: string; readonly watermark: Instant }
  /** The sender took its snapshot of checkpoint `checkpoint` before anything it sends after this (checkpoint/executor-checkpointing.ts). */
  | { readonly kind: "marker"; readonly checkpoint: number };

/** What checkpointing observes of the inbox while it is applied (undefined without checkpoints). */
export interface InboxObserver {
  marker(from: number, checkpoint: number): void;
  data(from: number, channel: number, bytes: Uint8Array, count: number): void;
}

/**
 * One executor's place in a parallel job (`--parallelism N`): its index, a port to every
 * other executor, the messages received and not yet applied, the watermarks the others
 * reported for the PCollections that cross threads, and the job's table of splittable
 * pieces taken on demand (shared memory).
 */
export class Shard {
  private readonly inbox: { readonly from: number; readonly message: ShardMessage }[] = [];
  private readonly remote = new Map<string, Instant[]>();
  private readonly sent = new Map<string, Instant>();
  private onMessage: (() => void) | undefined;

  /** `peers[i]` is the port to executor i (undefined at this executor's own index). */
  constructor(
    readonly index: number,
    readonly count: number,
    private readonly peers: readonly (MessagePort | undefined)[],
    readonly claims: PieceClaims,
  ) {
    for (let i = 0; i < count; i++) {
      peers[i]?.on("message", (message: ShardMessage) => {
        this.inbox.push({ from: i, message });
        this.onMessage?.();
      });
      // The ports never keep a thread alive: an executor waiting for messages sleeps on a
      // timer, so an empty event loop means it waits for user code that cannot settle.
      peers[i]?.unref();
    }
  }

  /** Called whenever a message arrives (the executor wakes its clock). */
  wakeOnMessage(wake: () => void): void {
    this.onMessage = wake;
  }

  /** True when messages wait to be applied. */
  get hasMessages(): boolean {
    return this.inbox.length > 0;
  }

  /**
   * Applies the messages received so far, in arrival order: data goes to `deliver`,
   * watermarks are recorded only then, so a watermark never overtakes the data sent
   * before it. Called between passes, when no bundle is running.
   */
  applyInbox(deliver: (channel: number, bytes: Uint8Array, count: number) => void, observer?: InboxObserver): boolean {
    if (this.inbox.length === 0) return false;
    for (const { from, message } of this.inbox.splice(0, this.inbox.length)) {
      if (message.kind === "data") {
        deliver(message.channel, message.bytes, message.count);
        observer?.data(from, message.channel, message.bytes, message.count);
      } else if (message.kind === "marker") observer?.marker(from, message.checkpoint);
      else this.remoteWatermarks(message.pcollection)[from] = message.watermark;
    }
    return true;
  }

  /** Sends a checkpoint marker to every other executor, behind everything sent before it. */
  sendMarker(checkpoint: number): void {
    const message: ShardMessage = { kind: "marker", checkpoint };
    for (let i = 0; i < this.count; i++) this.peers[i]?.postMessage(message);
  }

  /** Sends encoded elements to executor `to`, transferring (not copying) their buffer. */
  sendData(to: number, channel: number, bytes: Uint8Array, count: number): void {
    const message: ShardMessage = { kind: "data", channel, bytes, count };
    this.peers[to]!.postMessage(message, [bytes.buffer as ArrayBuffer]);
  }

  /** Tells every other executor this executor's watermark of `pcollection`, when it advanced. */
  publishWatermark(pcollection: string, watermark: Instant): void {
    if (watermark <= (this.sent.get(pcollection) ?? MIN_TIMESTAMP - 1)) return;
    this.sent.set(pcollection, watermark);
    const message: ShardMessage = { kind: "watermark", pcollection, watermark };
    for (let i = 0; i < this.count; i++) this.peers[i]?.postMessage(message);
  }

  /** The minimum of the other executors' watermarks of `pcollection`. */
  remoteWatermark(pcollection: string): Instant {
    let wm = MAX_TIMESTAMP;
    for (const w of this.remoteWatermarks(pcollection)) wm = Math.min(wm, w);
    return wm;
  }

  /** True while another executor may still send data for `pcollection`. */
  remoteOpen(pcollection: string): boolean {
    return this.remoteWatermark(pcollection) < MAX_TIMESTAMP;
  }

  private remoteWatermarks(pcollection: string): Instant[] {
    let list = this.remote.get(pcollection);
    if (list === undefined) {
      list = Array.from({ length: this.count }, (_, i) => (this.peers[i] === undefined ? MAX_TIMESTAMP : MIN_TIMESTAMP));
      this.remote.set(pcollection, list);
    }
    return list;
  }

  /** Closes the ports (the job is over or failed). */
  close(): void {
    for (let i = 0; i < this.count; i++) this.peers[i]?.close();
  }
}
