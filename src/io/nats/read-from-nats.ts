import { ConstructionError, MIN_TIMESTAMP, type Coder, type Duration, type Instant } from "../../model/index.js";
import { jsValueCoder } from "../../coders/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import {
  GrowableOffsetRangeTracker,
  ManualWatermarkEstimator,
  OffsetRange,
  OffsetRangeTracker,
  ProcessContinuation,
  UNBOUNDED_OFFSET,
  impulse,
  splittableParDo,
  type SplittableDoFn,
  type SplittableProcessContext,
  type WatermarkEstimator,
} from "../../transforms/index.js";
import { reportReconnects } from "./metrics.js";
import { decodeNatsAcks, encodeNatsAcks, parseAckSubject } from "./nats-acks.js";
import { NatsSession, resolveNatsConnection, type NatsConnection, type NatsCoreMessageLike, type ResolvedNatsConnection } from "./nats-connection.js";
import { natsLineage } from "./nats-lineage.js";
import { NatsIOError, messageOf } from "./nats-io-error.js";
import { pull } from "./pull-request.js";

/** One JetStream message as readFromNats emits it, timestamped by the time the stream stored it. */
export interface NatsMessage {
  /** The subject it was published to. */
  readonly subject: string;
  readonly stream: string;
  /** Its sequence in the stream: identifies it (deduplicate redeliveries by it). */
  readonly streamSequence: number;
  /** 1 on the first delivery, more on redeliveries. */
  readonly deliveryCount: number;
  readonly data: Uint8Array;
  /** Its headers (NATS headers may repeat a key). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

/** Options of readFromNats. */
export interface ReadFromNatsOptions {
  readonly connection: NatsConnection;
  /** The JetStream stream; it must exist. */
  readonly stream: string;
  /**
   * The durable pull consumer's name. Created when missing (explicit acks, `filterSubjects`,
   * `deliverPolicy`, `ackWaitMs`); an existing one is used as it is. Keep it stable across
   * restarts: the consumer holds the read position and the unacknowledged messages.
   */
  readonly durable: string;
  /** Subjects (wildcards allowed) a created consumer delivers; default all of the stream's. */
  readonly filterSubjects?: readonly string[];
  /** Where a created consumer starts: "all" (default) or "new". */
  readonly deliverPolicy?: "all" | "new";
  /**
   * How long JetStream waits for a delivered message's acknowledgement before it delivers it
   * again (the consumer's `ack_wait`), in ms; also how long a registered acknowledgement
   * stays valid. Keep it above the checkpoint interval. Default 300000 (5 minutes).
   */
  readonly ackWaitMs?: Duration;
  /** The consumer's `max_ack_pending` (messages delivered and not acknowledged). Default 20000. */
  readonly maxAckPending?: number;
  /** Messages per pull request. Default 100. */
  readonly batchSize?: number;
  /** How long one pull waits for a first message, in ms. Default 1000. */
  readonly blockMs?: Duration;
  /**
   * When a pull finds nothing and no message waits for redelivery, the watermark moves to
   * this worker's clock minus this lag (ms): messages stored later get a later time, and the
   * lag covers the difference of the server's and the worker's clocks. Default 1000.
   */
  readonly idleWatermarkLag?: Duration;
  /** Stop after this many messages (a bounded read, for tests and backfills). */
  readonly maxRecords?: number;
  /** Stop after reading this long, in ms of the runner's processing time. */
  readonly maxReadTimeMs?: Duration;
}

interface ReadSettings {
  readonly connection: ResolvedNatsConnection;
  readonly stream: string;
  readonly durable: string;
  readonly filterSubjects: readonly string[];
  readonly deliverPolicy: "all" | "new";
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly idleWatermarkLag: number;
  readonly maxRecords: number | undefined;
  readonly maxReadTimeMs: number | undefined;
}

/** Stream and consumer names: JetStream forbids whitespace, `.`, `*`, `>` and path separators in them. */
const NAME = /^[^\s.*>/\\]+$/;

function integer(name: string, value: number | undefined, fallback: number | undefined, min = 1): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ConstructionError(`readFromNats: ${name} must be an integer >= ${min}, got ${String(value)}.`);
  return value;
}

function streamName(name: string, value: unknown): string {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new ConstructionError(`readFromNats: ${name} must be a JetStream name (no spaces, ".", "*", ">", "/" or "\\"), got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * An unbounded read of a JetStream stream through a durable pull consumer (as Beam's
 * JmsIO/PubsubIO acknowledge in `finalizeCheckpoint`): pull requests of `batchSize`, each
 * message emitted as a NatsMessage timestamped by the time the stream stored it, the
 * watermark following those times. A message is acknowledged only in the bundle finalizer,
 * after the runner committed the bundle that emitted it.
 *
 * **At-least-once.** A message whose bundle failed, or whose job stopped before the bundle
 * was finalized, is delivered again: at once when the reading instance is torn down (it
 * sends `-NAK` for what it emitted and did not acknowledge), after `ackWaitMs` when the
 * process died. `streamSequence` identifies a message.
 *
 * **With checkpoints** (the embedded runner's `--checkpointDir`) an acknowledgement runs once
 * a checkpoint covering its bundle is durable, and the checkpoint stores the reply subjects
 * (recovery bytes): a job restored from it acknowledges them first (`recoverCommit`), so
 * only the messages emitted after that checkpoint come again.
 *
 * @example p.apply(readFromNats({ connection: { servers: "nats://127.0.0.1:4222" }, stream: "ORDERS", durable: "billing" }))
 */
export function readFromNats(options: ReadFromNatsOptions): PTransform<PBegin, PCollection<NatsMessage>> {
  if (typeof options !== "object" || options === null) {
    throw new ConstructionError(`readFromNats needs options: { connection, stream, durable, filterSubjects, deliverPolicy, ackWaitMs }.`);
  }
  const deliverPolicy = options.deliverPolicy ?? "all";
  if (deliverPolicy !== "all" && deliverPolicy !== "new") throw new ConstructionError(`readFromNats: deliverPolicy must be "all" or "new", got ${JSON.stringify(deliverPolicy)}.`);
  const filterSubjects = options.filterSubjects ?? [];
  if (!Array.isArray(filterSubjects) || filterSubjects.some((s) => typeof s !== "string" || s === "")) {
    throw new ConstructionError(`readFromNats: filterSubjects must be a list of subjects such as ["orders.>"].`);
  }
  return new ReadFromNats({
    connection: resolveNatsConnection("readFromNats", options.connection),
    stream: streamName("stream", options.stream),
    durable: streamName("durable", options.durable),
    filterSubjects,
    deliverPolicy,
    ackWaitMs: integer("ackWaitMs", options.ackWaitMs, 300_000)!,
    maxAckPending: integer("maxAckPending", options.maxAckPending, 20_000)!,
    batchSize: integer("batchSize", options.batchSize, 100)!,
    blockMs: integer("blockMs", options.blockMs, 1000)!,
    idleWatermarkLag: integer("idleWatermarkLag", options.idleWatermarkLag, 1000, 0)!,
    maxRecords: integer("maxRecords", options.maxRecords, undefined),
    maxReadTimeMs: integer("maxReadTimeMs", options.maxReadTimeMs, undefined, 0),
  });
}

class ReadFromNats extends PTransform<PBegin, PCollection<NatsMessage>> {
  constructor(private readonly settings: ReadSettings) {
    super("ReadFromNats");
  }
  expand(input: PBegin): PCollection<NatsMessage> {
    const step = `${input.pipeline.currentLabel()}/Read`;
    return input
      .apply("Impulse", impulse())
      .apply("Read", splittableParDo(new ReadNatsFn(this.settings, step), { unbounded: true }))
      .withCoder(jsValueCoder as Coder<NatsMessage>);
  }
}

interface NatsWatermarkState {
  readonly watermark: Instant;
  readonly startedAt: Instant | undefined;
}

/** The read's watermark (never backwards) and its start time, kept across checkpoints (for maxReadTimeMs). */
class NatsWatermarkEstimator implements WatermarkEstimator<NatsWatermarkState> {
  private readonly manual: ManualWatermarkEstimator;
  constructor(
    private startedAt: Instant | undefined,
    watermark: Instant,
  ) {
    this.manual = new ManualWatermarkEstimator(watermark);
  }
  start(now: Instant): Instant {
    return (this.startedAt ??= now);
  }
  setWatermark(watermark: Instant): void {
    this.manual.setWatermark(watermark);
  }
  currentWatermark(): Instant {
    return this.manual.currentWatermark();
  }
  getState(): NatsWatermarkState {
    return { watermark: this.manual.getState(), startedAt: this.startedAt };
  }
}

function headersOf(m: NatsCoreMessageLike): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (m.headers === undefined) return out;
  for (const k of m.headers.keys()) out[k] = m.headers.values(k);
  return out;
}

/**
 * The splittable DoFn over one consumer. Its restriction counts the messages emitted,
 * [n, maxRecords) or [n, ∞); the read position lives in the consumer on the server, so a
 * checkpoint needs nothing else.
 */
class ReadNatsFn implements SplittableDoFn<Uint8Array, NatsMessage, OffsetRange> {
  private session: NatsSession | undefined;
  private consumerReady = false;
  /** Reply subjects of emitted messages whose acknowledgement is registered and has not run, by stream sequence, with the expiry. */
  private readonly awaitingAck = new Map<number, { reply: string; expiry: Instant }>();

  constructor(
    readonly settings: ReadSettings,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    this.session = await NatsSession.open(this.step, this.settings.connection);
  }

  getInitialRestriction(): OffsetRange {
    return new OffsetRange(0, this.settings.maxRecords ?? UNBOUNDED_OFFSET);
  }
  newTracker(_impulse: Uint8Array, r: OffsetRange): OffsetRangeTracker {
    return r.to === UNBOUNDED_OFFSET ? new GrowableOffsetRangeTracker(r.from, () => UNBOUNDED_OFFSET) : new OffsetRangeTracker(r);
  }
  getInitialWatermarkState(): NatsWatermarkState {
    return { watermark: MIN_TIMESTAMP, startedAt: undefined };
  }
  newWatermarkEstimator(state: unknown): NatsWatermarkEstimator {
    const s = state as NatsWatermarkState;
    return new NatsWatermarkEstimator(s.startedAt, s.watermark);
  }
  /** Drain stops reading: unread messages stay in the stream for the next job. */
  truncateRestriction(): undefined {
    return undefined;
  }

  async process(_impulse: Uint8Array, ctx: SplittableProcessContext<NatsMessage, OffsetRange, number>): Promise<ProcessContinuation> {
    const session = this.session!;
    const { stream, durable, batchSize, blockMs, maxReadTimeMs } = this.settings;
    natsLineage("sources", this.settings.connection, stream);
    const estimator = ctx.watermarkEstimator as NatsWatermarkEstimator;
    const tracker = ctx.tracker;
    const end = tracker.currentRestriction().to;
    const finish = (): ProcessContinuation => {
      tracker.tryClaim(end);
      return ProcessContinuation.stop();
    };
    const startedAt = estimator.start(ctx.processingTime);
    if (maxReadTimeMs !== undefined && ctx.processingTime - startedAt >= maxReadTimeMs) return finish();
    let index = tracker.currentRestriction().from;
    if (index >= end) return finish();
    const acks: { sequence: number; reply: string }[] = [];
    let claimRefused = false;
    try {
      if (!this.consumerReady) await this.createConsumer(session);
      // Never more than the restriction has left: a message pulled and not emitted would
      // stay delivered to this instance until ackWaitMs.
      const want = end === UNBOUNDED_OFFSET ? batchSize : Math.min(batchSize, end - index);
      const { messages } = await pull(session, stream, durable, want, blockMs);
      const now = Date.now();
      const unclaimed: string[] = [];
      for (const m of messages) {
        if (claimRefused) {
          unclaimed.push(m.reply ?? "");
          continue;
        }
        const info = m.reply === undefined ? undefined : parseAckSubject(m.reply);
        if (info === undefined) throw new NatsIOError(`"${this.step}": JetStream delivered a message without an acknowledgement subject (${JSON.stringify(m.reply ?? "")}).`);
        const waiting = this.awaitingAck.get(info.streamSequence);
        // Delivered again (ackWaitMs passed) while its acknowledgement waits for a checkpoint: already emitted.
        if (waiting !== undefined && waiting.expiry > now) continue;
        if (index >= end || !tracker.tryClaim(index)) {
          // A checkpoint (or the end): a tracker must not be asked again after it refused.
          claimRefused = true;
          unclaimed.push(m.reply!);
          continue;
        }
        index++;
        const timestamp = Number(info.timestampNanos / 1_000_000n);
        ctx.outputWithTimestamp(
          { subject: m.subject, stream: info.stream, streamSequence: info.streamSequence, deliveryCount: info.deliveryCount, data: m.data, headers: headersOf(m) },
          timestamp,
        );
        estimator.setWatermark(timestamp);
        acks.push({ sequence: info.streamSequence, reply: m.reply! });
      }
      // A checkpoint stopped the call mid-batch: the rest goes back to the consumer at once.
      for (const reply of unclaimed) if (reply !== "") session.client.publish(reply, "-NAK");
      if (messages.length === 0) await this.idleWatermark(session, estimator);
      reportReconnects(session, ctx.metrics);
    } catch (err) {
      this.register(acks, ctx);
      if (err instanceof NatsIOError) throw err;
      throw new NatsIOError(
        `"${this.step}" could not read stream ${JSON.stringify(stream)} (consumer ${JSON.stringify(durable)}) at ${session.connection.address}: ${messageOf(err)}. ` +
          `The bundle is retried; its messages are delivered again.`,
        { cause: err },
      );
    }
    this.register(acks, ctx);
    if (index >= end) return finish();
    // After a refused claim the rest of the restriction belongs to the checkpoint's residual.
    return claimRefused ? ProcessContinuation.stop() : ProcessContinuation.resume(0);
  }

  /**
   * Moves the watermark to the worker's clock minus idleWatermarkLag when nothing is left to
   * deliver: no new message, and no delivered one waiting for redelivery (which would come
   * with its old time) beyond those this instance emitted.
   */
  private async idleWatermark(session: NatsSession, estimator: NatsWatermarkEstimator): Promise<void> {
    const jsm = await session.modules.jetstreamManager(session.client);
    const info = await jsm.consumers.info(this.settings.stream, this.settings.durable);
    if (info.num_pending === 0 && info.num_ack_pending <= this.awaitingAck.size) {
      estimator.setWatermark(Math.max(MIN_TIMESTAMP, Date.now() - this.settings.idleWatermarkLag));
    }
  }

  /** Registers the acknowledgement of what a call emitted, to run once its bundle is committed. */
  private register(acks: readonly { sequence: number; reply: string }[], ctx: SplittableProcessContext<NatsMessage, OffsetRange, number>): void {
    if (acks.length === 0) return;
    const expiry = Date.now() + this.settings.ackWaitMs;
    for (const a of acks) this.awaitingAck.set(a.sequence, { reply: a.reply, expiry });
    const session = this.session!;
    const replies = acks.map((a) => a.reply);
    // The recovery bytes make the acknowledgement durable: a checkpoint covering this bundle
    // stores them, and a job restored from it acknowledges the messages (recoverCommit)
    // rather than reading them again, as their effects are in the checkpoint.
    const recovery = encodeNatsAcks({ stream: this.settings.stream, consumer: this.settings.durable, replies });
    ctx.bundleFinalizer.afterBundleCommit(
      expiry,
      async () => {
        // Torn down: teardown sent -NAK for these; a job restored from the checkpoint acknowledges them.
        if (this.session !== session) return;
        for (const r of replies) session.client.publish(r, "+ACK");
        for (const a of acks) this.awaitingAck.delete(a.sequence);
        await session.client.flush();
      },
      recovery,
    );
  }

  /**
   * A restored job's acknowledgement of messages that a bundle its checkpoint covers emitted
   * (the job may have stopped before acknowledging them). Runs after setup, before the first
   * pull; an acknowledgement of a message acknowledged already does nothing.
   */
  async recoverCommit(recovery: Uint8Array): Promise<void> {
    const { replies } = decodeNatsAcks(recovery);
    const session = this.session!;
    for (const r of replies) session.client.publish(r, "+ACK");
    try {
      await session.client.flush();
    } catch (err) {
      throw new NatsIOError(
        `"${this.step}" could not acknowledge ${replies.length} messages that the checkpoint it was restored from covers, at ${session.connection.address}: ${messageOf(err)}. ` +
          `Restore from the same checkpoint again once the server answers.`,
        { cause: err },
      );
    }
  }

  private async createConsumer(session: NatsSession): Promise<void> {
    const { stream, durable, filterSubjects, deliverPolicy, ackWaitMs, maxAckPending } = this.settings;
    const jsm = await session.modules.jetstreamManager(session.client);
    try {
      await jsm.consumers.info(stream, durable);
    } catch (err) {
      if (!/consumer not found/i.test(messageOf(err))) throw this.setupError(err, session);
      try {
        await jsm.consumers.add(stream, {
          durable_name: durable,
          ack_policy: "explicit",
          deliver_policy: deliverPolicy,
          ack_wait: ackWaitMs * 1_000_000,
          max_ack_pending: maxAckPending,
          ...(filterSubjects.length === 1 ? { filter_subject: filterSubjects[0] } : filterSubjects.length > 1 ? { filter_subjects: [...filterSubjects] } : {}),
        });
      } catch (err2) {
        throw this.setupError(err2, session);
      }
    }
    this.consumerReady = true;
  }

  private setupError(err: unknown, session: NatsSession): NatsIOError {
    const missing = /stream not found/i.test(messageOf(err));
    return new NatsIOError(
      `"${this.step}" could not open consumer ${JSON.stringify(this.settings.durable)} of stream ${JSON.stringify(this.settings.stream)} at ${session.connection.address}: ${messageOf(err)}.` +
        (missing ? ` Create the stream first (\`nats stream add ${this.settings.stream} --subjects …\`), or check the name.` : " Is JetStream enabled (nats-server -js)?"),
      { cause: err, ...(missing ? { retryable: false } : {}) },
    );
  }

  async teardown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session === undefined) return;
    // What this instance emitted and did not acknowledge is delivered again at once, to the
    // retry of a failed bundle or a restored job, rather than after ackWaitMs.
    for (const { reply } of this.awaitingAck.values()) session.client.publish(reply, "-NAK");
    this.awaitingAck.clear();
    await session.close();
  }
}
