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
import { decodePubSubAcks, encodePubSubAcks } from "./pubsub-acks.js";
import { callError, grpcCode, openClient, resolvePubSubConnection, type PubSubConnection, type ReceivedMessageLike, type ResolvedPubSubConnection, type SubscriberClientLike } from "./pubsub-client.js";
import { PubSubIOError } from "./pubsub-io-error.js";
import { pubsubLineage } from "./pubsub-lineage.js";
import { callWithRetry, reportOutageStats, type OutageStats } from "./reconnect.js";

/** One Pub/Sub message as readFromPubSub emits it. */
export interface PubSubMessage {
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  /** The service's id of the message; `idAttribute`'s value when that is given. */
  readonly messageId: string;
  readonly orderingKey: string | undefined;
  /** When the service stored it, ms since the epoch. */
  readonly publishTime: Instant;
}

/** Options of readFromPubSub: a `subscription`, or a `topic` to read through a subscription of the job's own. */
export interface ReadFromPubSubOptions {
  readonly connection: PubSubConnection;
  /** A subscription's name, or `projects/<p>/subscriptions/<s>`. */
  readonly subscription?: string;
  /**
   * A topic's name: the read creates (once) and uses the subscription `<topic>-beam-ts` (or
   * `subscriptionName`), which keeps its messages across restarts of the job.
   */
  readonly topic?: string;
  readonly subscriptionName?: string;
  /** An attribute holding the event time (ms since the epoch, or RFC 3339); default the publish time. */
  readonly timestampAttribute?: string;
  /** An attribute holding a unique id: messages with an id the instance emitted lately are dropped (publish retries). */
  readonly idAttribute?: string;
  /** Messages per pull. Default 100. */
  readonly batchSize?: number;
  /**
   * The ack deadline of a subscription the read creates, in seconds (10 to 600); an
   * acknowledgement waiting for a checkpoint longer than that comes too late and the message
   * is delivered again. Default 600.
   */
  readonly ackDeadlineSeconds?: number;
  /** When a pull finds nothing, the watermark moves to the worker's clock minus this lag (ms). Default 2000. */
  readonly idleWatermarkLag?: Duration;
  readonly maxRecords?: number;
  readonly maxReadTimeMs?: Duration;
}

interface ReadSettings {
  readonly connection: ResolvedPubSubConnection;
  readonly subscription: string;
  readonly topic: string | undefined;
  readonly timestampAttribute: string | undefined;
  readonly idAttribute: string | undefined;
  readonly batchSize: number;
  readonly ackDeadlineSeconds: number;
  readonly idleWatermarkLag: number;
  readonly maxRecords: number | undefined;
  readonly maxReadTimeMs: number | undefined;
}

function integer(name: string, value: number | undefined, fallback: number | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ConstructionError(`readFromPubSub: ${name} must be an integer from ${min} to ${max}, got ${String(value)}.`);
  return value;
}

function fullName(projectId: string, kind: "topics" | "subscriptions", name: string): string {
  return name.startsWith("projects/") ? name : `projects/${projectId}/${kind}/${name}`;
}

/**
 * An unbounded read of a Pub/Sub subscription (Beam's PubsubIO.read): unary pulls of
 * `batchSize`, each message emitted as a PubSubMessage timestamped by `timestampAttribute`
 * or its publish time, acknowledged only in the bundle finalizer, after the runner committed
 * the bundle that emitted it (with checkpoints: once a checkpoint covering it is durable;
 * the checkpoint stores the ack ids and a restored job acknowledges them first).
 *
 * **At-least-once.** A message not acknowledged within the ack deadline, or whose reading
 * instance was torn down (which sets its deadline to 0), is delivered again.
 *
 * @example p.apply(readFromPubSub({ connection: { projectId: "p" }, subscription: "orders-sub", timestampAttribute: "ts" }))
 */
export function readFromPubSub(options: ReadFromPubSubOptions): PTransform<PBegin, PCollection<PubSubMessage>> {
  if (typeof options !== "object" || options === null) throw new ConstructionError(`readFromPubSub needs options: { connection, subscription | topic }.`);
  const connection = resolvePubSubConnection("readFromPubSub", options.connection);
  if ((options.subscription === undefined) === (options.topic === undefined)) throw new ConstructionError(`readFromPubSub: give a subscription or a topic (one of them).`);
  const topic = options.topic === undefined ? undefined : fullName(connection.projectId, "topics", options.topic);
  const subscription =
    options.subscription !== undefined
      ? fullName(connection.projectId, "subscriptions", options.subscription)
      : fullName(connection.projectId, "subscriptions", options.subscriptionName ?? `${topic!.split("/").pop()!}-beam-ts`);
  return new ReadFromPubSub({
    connection,
    subscription,
    topic,
    timestampAttribute: options.timestampAttribute,
    idAttribute: options.idAttribute,
    batchSize: integer("batchSize", options.batchSize, 100)!,
    ackDeadlineSeconds: integer("ackDeadlineSeconds", options.ackDeadlineSeconds, 600, 10, 600)!,
    idleWatermarkLag: integer("idleWatermarkLag", options.idleWatermarkLag, 2000, 0)!,
    maxRecords: integer("maxRecords", options.maxRecords, undefined),
    maxReadTimeMs: integer("maxReadTimeMs", options.maxReadTimeMs, undefined, 0),
  });
}

class ReadFromPubSub extends PTransform<PBegin, PCollection<PubSubMessage>> {
  constructor(private readonly settings: ReadSettings) {
    super("ReadFromPubSub");
  }
  expand(input: PBegin): PCollection<PubSubMessage> {
    const step = `${input.pipeline.currentLabel()}/Read`;
    return input
      .apply("Impulse", impulse())
      .apply("Read", splittableParDo(new ReadPubSubFn(this.settings, step), { unbounded: true }))
      .withCoder(jsValueCoder as Coder<PubSubMessage>);
  }
}

interface PubSubWatermarkState {
  readonly watermark: Instant;
  readonly startedAt: Instant | undefined;
}

class PubSubWatermarkEstimator implements WatermarkEstimator<PubSubWatermarkState> {
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
  getState(): PubSubWatermarkState {
    return { watermark: this.manual.getState(), startedAt: this.startedAt };
  }
}

/** An event time from an attribute: ms since the epoch, or an RFC 3339 date (as Beam's PubsubIO accepts). */
export function attributeTime(value: string): Instant | undefined {
  if (/^-?\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** How many recent ids `idAttribute` deduplication remembers per instance. */
const RECENT_IDS = 100_000;

class ReadPubSubFn implements SplittableDoFn<Uint8Array, PubSubMessage, OffsetRange> {
  private client: SubscriberClientLike | undefined;
  private ready = false;
  /** Ack ids emitted whose acknowledgement is registered and has not run. */
  private readonly awaitingAck = new Set<string>();
  private readonly recentIds = new Set<string>();
  /** Message ids a checkpoint this job was restored from covers: acknowledged when they come again, not emitted. */
  private readonly covered = new Set<string>();
  /** Acknowledgements sent and not answered: teardown lets them finish first. */
  private readonly acking = new Set<Promise<unknown>>();
  /** Outage retries and reconnects of calls without metrics (acknowledgements), reported with the next pull. */
  private readonly outage: OutageStats = { retries: 0, reconnects: 0 };

  constructor(
    readonly settings: ReadSettings,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    this.client = await openClient(this.step, this.settings.connection, "SubscriberClient");
  }

  getInitialRestriction(): OffsetRange {
    return new OffsetRange(0, this.settings.maxRecords ?? UNBOUNDED_OFFSET);
  }
  newTracker(_impulse: Uint8Array, r: OffsetRange): OffsetRangeTracker {
    return r.to === UNBOUNDED_OFFSET ? new GrowableOffsetRangeTracker(r.from, () => UNBOUNDED_OFFSET) : new OffsetRangeTracker(r);
  }
  getInitialWatermarkState(): PubSubWatermarkState {
    return { watermark: MIN_TIMESTAMP, startedAt: undefined };
  }
  newWatermarkEstimator(state: unknown): PubSubWatermarkEstimator {
    const s = state as PubSubWatermarkState;
    return new PubSubWatermarkEstimator(s.startedAt, s.watermark);
  }
  truncateRestriction(): undefined {
    return undefined;
  }

  /** Creates the subscription of a topic read when missing; checks a given one exists. */
  private async prepare(client: SubscriberClientLike): Promise<void> {
    const { subscription, topic, ackDeadlineSeconds, connection } = this.settings;
    try {
      // A short first call without gax's long retries: an unreachable server fails the step within seconds, naming it.
      await client.getSubscription({ subscription }, { timeout: 5000, maxRetries: 1 });
    } catch (err) {
      if (grpcCode(err) !== 5 || topic === undefined) throw callError(this.step, connection, `open subscription ${subscription}`, err);
      try {
        await client.createSubscription({ name: subscription, topic, ackDeadlineSeconds });
      } catch (err2) {
        if (grpcCode(err2) !== 6) throw callError(this.step, connection, `create subscription ${subscription} of ${topic}`, err2);
      }
    }
    this.ready = true;
  }

  async process(_impulse: Uint8Array, ctx: SplittableProcessContext<PubSubMessage, OffsetRange, number>): Promise<ProcessContinuation> {
    const client = this.client!;
    const { subscription, batchSize, maxReadTimeMs, timestampAttribute, idAttribute, connection } = this.settings;
    const estimator = ctx.watermarkEstimator as PubSubWatermarkEstimator;
    // The subscription is what is read; a topic read also names its topic, as Beam's PubsubIO does.
    pubsubLineage("sources", subscription);
    if (this.settings.topic !== undefined) pubsubLineage("sources", this.settings.topic);
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
    if (!this.ready) await this.prepare(client);
    const want = end === UNBOUNDED_OFFSET ? batchSize : Math.min(batchSize, end - index);
    let received: ReceivedMessageLike[];
    try {
      // `ready`: the subscription was reached, so UNAVAILABLE now means the server went away; wait for it.
      const [response] = await callWithRetry(
        () => client.pull({ subscription, maxMessages: want }, { timeout: 30_000, retry: null }),
        this.ready,
        connection.reconnectRetries,
        this.outage,
      );
      received = response.receivedMessages ?? [];
    } catch (err) {
      // DEADLINE_EXCEEDED: nothing came within the call's timeout.
      if (grpcCode(err) !== 4) throw callError(this.step, connection, `pull from ${subscription}`, err);
      received = [];
    } finally {
      reportOutageStats(this.outage, ctx.metrics);
    }
    const acks: { ackId: string; messageId: string }[] = [];
    const giveBack: string[] = [];
    let claimRefused = false;
    for (const r of received) {
      const ackId = r.ackId ?? "";
      const m = r.message ?? {};
      if (ackId === "" || this.awaitingAck.has(ackId)) continue;
      if (m.messageId && this.covered.has(m.messageId)) {
        // Emitted before the checkpoint this job was restored from, given back since: its effects are in the checkpoint.
        this.covered.delete(m.messageId);
        acks.push({ ackId, messageId: m.messageId });
        continue;
      }
      const attributes = { ...(m.attributes ?? {}) };
      const id = idAttribute !== undefined ? attributes[idAttribute] : undefined;
      if (id !== undefined && this.recentIds.has(id)) {
        // A repeat of a message emitted already (a publisher's retry): acknowledged, not emitted.
        acks.push({ ackId, messageId: m.messageId ?? "" });
        continue;
      }
      if (claimRefused || index >= end || !tracker.tryClaim(index)) {
        claimRefused = true;
        giveBack.push(ackId);
        continue;
      }
      index++;
      const publishTime = Number(String(m.publishTime?.seconds ?? 0)) * 1000 + Math.floor((m.publishTime?.nanos ?? 0) / 1e6);
      const fromAttribute = timestampAttribute !== undefined && attributes[timestampAttribute] !== undefined ? attributeTime(attributes[timestampAttribute]) : undefined;
      if (timestampAttribute !== undefined && attributes[timestampAttribute] !== undefined && fromAttribute === undefined) {
        throw new PubSubIOError(
          `"${this.step}": message ${m.messageId ?? ""} has ${timestampAttribute}=${JSON.stringify(attributes[timestampAttribute]).slice(0, 60)}, which is neither ms since the epoch nor an RFC 3339 time.`,
          { retryable: false },
        );
      }
      const timestamp = fromAttribute ?? publishTime;
      const data = typeof m.data === "string" ? Uint8Array.from(Buffer.from(m.data, "base64")) : new Uint8Array(m.data ?? new Uint8Array());
      ctx.outputWithTimestamp({ data, attributes, messageId: id ?? m.messageId ?? "", orderingKey: m.orderingKey || undefined, publishTime }, timestamp);
      estimator.setWatermark(timestamp);
      if (id !== undefined) {
        if (this.recentIds.size >= RECENT_IDS) this.recentIds.delete(this.recentIds.values().next().value!);
        this.recentIds.add(id);
      }
      acks.push({ ackId, messageId: m.messageId ?? "" });
    }
    if (giveBack.length > 0) await client.modifyAckDeadline({ subscription, ackIds: giveBack, ackDeadlineSeconds: 0 }).catch(() => {});
    if (received.length === 0) estimator.setWatermark(Math.max(MIN_TIMESTAMP, Date.now() - this.settings.idleWatermarkLag));
    this.register(acks, ctx);
    if (index >= end) return finish();
    return claimRefused ? ProcessContinuation.stop() : ProcessContinuation.resume(0);
  }

  private register(acks: readonly { ackId: string; messageId: string }[], ctx: SplittableProcessContext<PubSubMessage, OffsetRange, number>): void {
    if (acks.length === 0 && this.covered.size === 0) return;
    const ackIds = acks.map((a) => a.ackId);
    // The covered ids not seen again yet ride along, so that the next checkpoint keeps them too.
    const messageIds = [...acks.map((a) => a.messageId), ...this.covered];
    for (const id of ackIds) this.awaitingAck.add(id);
    const client = this.client!;
    const { subscription, ackDeadlineSeconds } = this.settings;
    ctx.bundleFinalizer.afterBundleCommit(
      Date.now() + ackDeadlineSeconds * 1000,
      async () => {
        // Torn down: teardown gave the messages back; a restored job acknowledges them from the checkpoint.
        if (this.client !== client || ackIds.length === 0) return;
        // Out of awaitingAck before the call: teardown must not give back (deadline 0) what is being acknowledged.
        for (const id of ackIds) this.awaitingAck.delete(id);
        // An outage is waited for; ack ids the server no longer knows (a restarted emulator,
        // INVALID_ARGUMENT / NOT_FOUND) acknowledge nothing: those messages are delivered again, or were lost with it.
        const sent = callWithRetry(() => client.acknowledge({ subscription, ackIds: [...ackIds] }, { timeout: 30_000, retry: null }), true, this.settings.connection.reconnectRetries, this.outage).catch(
          (err: unknown) => {
            if (grpcCode(err) !== 3 && grpcCode(err) !== 5) throw err;
          },
        );
        this.acking.add(sent);
        try {
          await sent;
        } finally {
          this.acking.delete(sent);
        }
      },
      encodePubSubAcks({ subscription, ackIds, messageIds }),
    );
  }

  /**
   * A restored job's acknowledgement of what bundles its checkpoint covers emitted. An ack id
   * no longer valid (the message was given back or its deadline passed, and it waits under a
   * new ack id) acknowledges nothing: such a message is recognised by its message id when it
   * comes again, and acknowledged without being emitted.
   */
  async recoverCommit(recovery: Uint8Array): Promise<void> {
    const { subscription, ackIds, messageIds } = decodePubSubAcks(recovery);
    for (const id of messageIds) if (id !== "") this.covered.add(id);
    if (ackIds.length === 0) return;
    await this.client!.acknowledge({ subscription, ackIds: [...ackIds] }).catch((err: unknown) => {
      // INVALID_ARGUMENT: expired ack ids; NOT_FOUND: the subscription is gone. Nothing to acknowledge then.
      if (grpcCode(err) !== 3 && grpcCode(err) !== 5) throw callError(this.step, this.settings.connection, `acknowledge ${ackIds.length} messages the checkpoint covers`, err);
    });
  }

  async teardown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    await Promise.allSettled([...this.acking]);
    // Emitted and not acknowledged: delivered again at once rather than after the deadline.
    if (this.awaitingAck.size > 0) {
      await client.modifyAckDeadline({ subscription: this.settings.subscription, ackIds: [...this.awaitingAck], ackDeadlineSeconds: 0 }).catch(() => {});
      this.awaitingAck.clear();
    }
    await client.close().catch(() => {});
  }
}
