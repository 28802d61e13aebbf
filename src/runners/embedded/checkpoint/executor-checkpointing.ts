import { BufferReader, BufferWriter } from "../../../coders/index.js";
import type { Shard } from "../parallel/shard.js";
import type { CheckpointGate } from "./checkpoint-gate.js";
import { encodePart } from "./executor-part.js";
import { crashPoint } from "./crash-points.js";
import type { DeferredSection } from "./deferred-section.js";

/**
 * How long one slice of writing deferred sections may take: at each pass boundary (so a busy
 * executor makes progress) and in a macrotask of its own while the executor waits.
 */
const SLICE_AT_PASS_MS = 2;
const SLICE_IDLE_MS = 5;

/** An executor's link to the job's checkpoint coordinator (this thread's, or over the parent port). */
export interface CoordinatorLink {
  /** The checkpoint the coordinator asks for now, if any (polled between passes). */
  requested(): number | undefined;
  /** This executor's part of checkpoint `id`. */
  sendPart(id: number, part: Uint8Array): void;
  /** This executor finished: its part for every checkpoint from now on, including the final one. */
  sendFinal(part: Uint8Array): void;
  /** Called with each checkpoint id once it is durable. */
  onCompleted(listener: (id: number) => void): void;
  /** Resolves once the final checkpoint (every executor finished) is durable. */
  finalCompleted(): Promise<void>;
}

/** What the checkpointing of an executor needs of it. */
export interface SnapshottingExecutor {
  /**
   * Every section of this executor's state but `commits` and `channels`, taken now (between
   * passes); a deferred section holds its state as of now and is written afterwards.
   */
  snapshotSections(): Map<string, Uint8Array | DeferredSection>;
}

/** Where an executor reports what its checkpoints cost (the job's metrics). */
export interface CheckpointMetrics {
  /** The executor stopped processing for `millis` to take its part of a checkpoint. */
  checkpointPaused(millis: number): void;
  /** The executor spent `millis` restoring its state from a checkpoint, before its first pass. */
  restored(millis: number): void;
}

/** Checkpoint ids are counted from 1; a marker with this id says "nothing more comes from me". */
export const FINAL_MARKER = Number.MAX_SAFE_INTEGER;

interface InProgress {
  readonly id: number;
  readonly sections: Map<string, Uint8Array | DeferredSection>;
  /** Deferred sections not yet written. */
  pending: DeferredSection[];
  /** Elements received after the snapshot from executors whose marker has not arrived: the channels' state. */
  readonly records: { readonly channel: number; readonly bytes: Uint8Array; readonly count: number }[];
  readonly markers: Set<number>;
}

/**
 * One executor's side of checkpointing. With one executor a checkpoint is its snapshot
 * between two passes. With several (`--parallelism`), the executors exchange elements over
 * ports, so a consistent cut must also capture what is in flight: this is the
 * Chandy-Lamport snapshot (as Flink's unaligned checkpoints). An executor snapshots at the
 * first of (the coordinator's request, a marker from another executor), then sends a marker
 * to every other executor; the elements that arrive from an executor after the snapshot and
 * before its marker are recorded as that channel's state. Ports deliver in order, so the
 * snapshots and the recorded channels together are a state the job could have been in,
 * and no executor ever stops for the others.
 */
export class ExecutorCheckpointing {
  private current: InProgress | undefined;
  private lastTaken = 0;
  /** Executors that finished: their final marker stands for every later checkpoint. */
  private readonly finalPeers = new Set<number>();

  constructor(
    private readonly link: CoordinatorLink,
    readonly gate: CheckpointGate,
    private readonly executor: SnapshottingExecutor,
    private readonly shard: Shard | undefined,
    private readonly metrics?: Pick<CheckpointMetrics, "checkpointPaused">,
  ) {
    link.onCompleted((id) => gate.completed(id));
  }

  /** Between passes, before the inbox is applied: takes the snapshot the coordinator asked for. */
  passBoundary(): void {
    if (this.current !== undefined && this.current.pending.length > 0) this.writeDeferred(performance.now() + SLICE_AT_PASS_MS);
    const id = this.link.requested();
    if (id !== undefined && id > this.lastTaken) this.snapshot(id);
  }

  /** A marker from executor `from` (read from the inbox in order, between other messages). */
  marker(from: number, id: number): void {
    if (id === FINAL_MARKER) this.finalPeers.add(from);
    else if (id > this.lastTaken) this.snapshot(id);
    this.current?.markers.add(from);
    this.maybeComplete();
  }

  /** Data from executor `from`, delivered as usual; recorded when it belongs to a channel's state. */
  data(from: number, channel: number, bytes: Uint8Array, count: number): void {
    const c = this.current;
    if (c !== undefined && !c.markers.has(from)) c.records.push({ channel, bytes, count });
  }

  /** True while this executor's part of a checkpoint waits for markers. */
  get inProgress(): boolean {
    return this.current !== undefined;
  }

  /**
   * This executor is done: its state no longer changes and it sends nothing more, so its
   * final snapshot is its part of every later checkpoint. Resolves when the final checkpoint
   * is durable, after which held finalizations run.
   */
  async finish(): Promise<void> {
    this.writeDeferred(Infinity);
    const sections = written(this.executor.snapshotSections());
    sections.set("commits", encodeCommits(this.gate.recoveries()));
    this.shard?.sendMarker(FINAL_MARKER);
    this.link.sendFinal(encodePart(sections));
    await this.link.finalCompleted();
    await this.gate.finish();
  }

  private snapshot(id: number): void {
    // A part still being written is finished first: one deferred snapshot per state table.
    this.writeDeferred(Infinity);
    // The pause: everything done here runs between two passes, with the executor stopped.
    // Deferred sections (large keyed state) are only listed here and written afterwards.
    const started = performance.now();
    this.lastTaken = id;
    const sections = this.executor.snapshotSections();
    sections.set("commits", encodeCommits(this.gate.recoveries()));
    this.gate.cut(id);
    crashPoint("snapshot");
    this.shard?.sendMarker(id);
    const pending = [...sections.values()].filter((v): v is DeferredSection => !(v instanceof Uint8Array));
    this.current = { id, sections, pending, records: [], markers: new Set(this.finalPeers) };
    this.maybeComplete();
    this.metrics?.checkpointPaused(performance.now() - started);
    if (pending.length > 0) this.scheduleIdleSlice();
  }

  /** Writes the current part's deferred sections until `deadline`; completes the part if it can. */
  private writeDeferred(deadline: number): void {
    const c = this.current;
    if (c === undefined || c.pending.length === 0) return;
    while (c.pending.length > 0 && c.pending[0]!.advance(deadline)) c.pending.shift();
    if (c.pending.length === 0) this.maybeComplete();
  }

  /** Writes a slice of the deferred sections in a macrotask of its own, until they are written. */
  private scheduleIdleSlice(): void {
    setImmediate(() => {
      const c = this.current;
      if (c === undefined || c.pending.length === 0) return;
      this.writeDeferred(performance.now() + SLICE_IDLE_MS);
      if (this.current === c && c.pending.length > 0) this.scheduleIdleSlice();
    });
  }

  private maybeComplete(): void {
    const c = this.current;
    if (c === undefined || c.pending.length > 0) return;
    const peers = (this.shard?.count ?? 1) - 1;
    if (c.markers.size < peers) return;
    this.current = undefined;
    const sections = written(c.sections);
    if (this.shard !== undefined) sections.set("channels", encodeChannels(c.records));
    this.link.sendPart(c.id, encodePart(sections));
  }
}

/** The sections' bytes, writing deferred ones now. */
function written(sections: ReadonlyMap<string, Uint8Array | DeferredSection>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, value] of sections) out.set(name, value instanceof Uint8Array ? value : value.finish());
  return out;
}

/** `commits`: varint count, then per callback: step (length-prefixed UTF-8), recovery (length-prefixed bytes). */
export function encodeCommits(commits: readonly { readonly step: string; readonly recovery: Uint8Array }[]): Uint8Array {
  const w = new BufferWriter();
  w.writeVarInt(commits.length);
  for (const c of commits) {
    w.writeUtf8(c.step, true);
    w.writeVarInt(c.recovery.length);
    w.writeBytes(c.recovery);
  }
  return w.finish();
}

export function decodeCommits(bytes: Uint8Array): { step: string; recovery: Uint8Array }[] {
  const r = new BufferReader(bytes);
  const out: { step: string; recovery: Uint8Array }[] = [];
  for (let n = r.readVarInt(); n > 0; n--) out.push({ step: r.readUtf8(r.readVarInt()), recovery: r.readBytes(r.readVarInt()) });
  return out;
}

/** `channels`: varint count, then per message: channel (varint), element count (varint), bytes (length-prefixed). */
function encodeChannels(records: readonly { readonly channel: number; readonly bytes: Uint8Array; readonly count: number }[]): Uint8Array {
  const w = new BufferWriter();
  w.writeVarInt(records.length);
  for (const m of records) {
    w.writeVarInt(m.channel);
    w.writeVarInt(m.count);
    w.writeVarInt(m.bytes.length);
    w.writeBytes(m.bytes);
  }
  return w.finish();
}

export function decodeChannels(bytes: Uint8Array): { channel: number; count: number; bytes: Uint8Array }[] {
  const r = new BufferReader(bytes);
  const out: { channel: number; count: number; bytes: Uint8Array }[] = [];
  for (let n = r.readVarInt(); n > 0; n--) {
    const channel = r.readVarInt();
    const count = r.readVarInt();
    out.push({ channel, count, bytes: r.readBytes(r.readVarInt()) });
  }
  return out;
}
