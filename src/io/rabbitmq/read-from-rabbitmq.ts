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
import {
  noteConnectionLost,
  openAmqpConnection,
  resolveRabbitMqConnection,
  type AmqpChannelLike,
  type AmqpConnectionLike,
  type AmqpMessageLike,
  type RabbitMqConnection,
  type ResolvedRabbitMqConnection,
} from "./rabbitmq-connection.js";
import { RabbitMqIOError, messageOf } from "./rabbitmq-io-error.js";
import { rabbitMqLineage } from "./rabbitmq-lineage.js";
import { reportConnectStats, type ConnectStats } from "./metrics.js";

/** One message as readFromRabbitMq emits it. */
export interface RabbitMqMessage {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Uint8Array;
  /** The publisher's message id, if it set one: the way to recognise a redelivery. */
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly contentType: string | undefined;
  /** The AMQP `timestamp` property (seconds since the epoch), if the publisher set it. */
  readonly timestamp: number | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  /** Whether the broker delivered it before (to a consumer that did not acknowledge it). */
  readonly redelivered: boolean;
}

/** Options of readFromRabbitMq. */
export interface ReadFromRabbitMqOptions {
  readonly connection: RabbitMqConnection;
  /** The queue to consume; it must exist (declare it, and its bindings, beforehand). */
  readonly queue: string;
  /**
   * Messages the broker delivers before they are acknowledged (`basic.qos`); acknowledgements
   * wait for the bundle's commit (and checkpoint), so keep it above a bundle's messages.
   * Default 1000.
   */
  readonly prefetch?: number;
  /** Messages per `process` call at most. Default 100. */
  readonly batchSize?: number;
  /** How long a call waits for a first message, in ms. Default 1000. */
  readonly blockMs?: Duration;
  /**
   * A message's event time; default its `timestamp` property (seconds) when set, else the
   * worker's clock when it arrived.
   */
  readonly timestampFn?: (message: RabbitMqMessage, arrival: Instant) => Instant;
  /**
   * When nothing arrives within blockMs, the watermark moves to the worker's clock minus this
   * lag (ms). The `timestamp` property has whole seconds and the publisher's clock: the
   * default, 2000, covers both.
   */
  readonly idleWatermarkLag?: Duration;
  /** Stop after this many messages (a bounded read, for tests and backfills). */
  readonly maxRecords?: number;
  /** Stop after reading this long, in ms of the runner's processing time. */
  readonly maxReadTimeMs?: Duration;
}

interface ReadSettings {
  readonly connection: ResolvedRabbitMqConnection;
  readonly queue: string;
  readonly prefetch: number;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly timestampFn: ((message: RabbitMqMessage, arrival: Instant) => Instant) | undefined;
  readonly idleWatermarkLag: number;
  readonly maxRecords: number | undefined;
  readonly maxReadTimeMs: number | undefined;
}

/** How long a registered acknowledgement stays valid. */
const ACK_EXPIRY_MS = 5 * 60_000;

function integer(name: string, value: number | undefined, fallback: number | undefined, min = 1): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ConstructionError(`readFromRabbitMq: ${name} must be an integer >= ${min}, got ${String(value)}.`);
  return value;
}

/**
 * An unbounded read of a RabbitMQ queue (Beam's RabbitMqIO.read): a consumer with manual
 * acknowledgement and `prefetch`, each message emitted as a RabbitMqMessage, acknowledged
 * (`basic.ack`) only in the bundle finalizer, after the runner committed the bundle that
 * emitted it, and with checkpoints once a checkpoint covering it is durable.
 *
 * **At-least-once.** A message not acknowledged goes back to the queue when the channel that
 * received it closes (a failed bundle's instance is torn down, a job stops or dies), and is
 * delivered again with `redelivered` set. Delivery tags belong to the channel, so a job
 * restored from a checkpoint cannot acknowledge what the job before it read: every message
 * the stopped job had not acknowledged, also those its last checkpoint covers, comes again.
 * Deduplicate by `messageId` where it matters.
 *
 * @example p.apply(readFromRabbitMq({ connection: { url: new Secret(amqpUrl) }, queue: "orders", prefetch: 500 }))
 */
export function readFromRabbitMq(options: ReadFromRabbitMqOptions): PTransform<PBegin, PCollection<RabbitMqMessage>> {
  if (typeof options !== "object" || options === null) throw new ConstructionError(`readFromRabbitMq needs options: { connection, queue, prefetch }.`);
  if (typeof options.queue !== "string" || options.queue === "") throw new ConstructionError(`readFromRabbitMq: queue must be a queue's name, got ${JSON.stringify(options.queue)}.`);
  if (options.timestampFn !== undefined && typeof options.timestampFn !== "function") throw new ConstructionError(`readFromRabbitMq: timestampFn must be a function.`);
  return new ReadFromRabbitMq({
    connection: resolveRabbitMqConnection("readFromRabbitMq", options.connection),
    queue: options.queue,
    prefetch: integer("prefetch", options.prefetch, 1000)!,
    batchSize: integer("batchSize", options.batchSize, 100)!,
    blockMs: integer("blockMs", options.blockMs, 1000, 0)!,
    timestampFn: options.timestampFn,
    idleWatermarkLag: integer("idleWatermarkLag", options.idleWatermarkLag, 2000, 0)!,
    maxRecords: integer("maxRecords", options.maxRecords, undefined),
    maxReadTimeMs: integer("maxReadTimeMs", options.maxReadTimeMs, undefined, 0),
  });
}

class ReadFromRabbitMq extends PTransform<PBegin, PCollection<RabbitMqMessage>> {
  constructor(private readonly settings: ReadSettings) {
    super("ReadFromRabbitMq");
  }
  expand(input: PBegin): PCollection<RabbitMqMessage> {
    const step = `${input.pipeline.currentLabel()}/Read`;
    return input
      .apply("Impulse", impulse())
      .apply("Read", splittableParDo(new ReadRabbitMqFn(this.settings, step), { unbounded: true }))
      .withCoder(jsValueCoder as Coder<RabbitMqMessage>);
  }
}

interface QueueWatermarkState {
  readonly watermark: Instant;
  readonly startedAt: Instant | undefined;
}

/** The read's watermark (never backwards) and start time, kept across checkpoints (for maxReadTimeMs). */
class QueueWatermarkEstimator implements WatermarkEstimator<QueueWatermarkState> {
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
  getState(): QueueWatermarkState {
    return { watermark: this.manual.getState(), startedAt: this.startedAt };
  }
}

/** A delivery waiting in the instance, and when it arrived. */
interface Arrived {
  readonly message: AmqpMessageLike;
  readonly arrival: Instant;
}

/**
 * The splittable DoFn over one queue. Its restriction counts the messages emitted,
 * [n, maxRecords) or [n, ∞); the position is the queue itself. Deliveries arrive on the
 * channel (up to `prefetch`) into a buffer that `process` drains.
 */
class ReadRabbitMqFn implements SplittableDoFn<Uint8Array, RabbitMqMessage, OffsetRange> {
  private connection: AmqpConnectionLike | undefined;
  private channel: AmqpChannelLike | undefined;
  private buffer: Arrived[] = [];
  private wake: (() => void) | undefined;
  private closed: unknown;

  constructor(
    readonly settings: ReadSettings,
    readonly step: string,
  ) {}

  /** Connection attempts of setup, reported with the first call that has metrics. */
  private readonly connectStats: ConnectStats = { retries: 0, reconnects: 0 };

  async setup(): Promise<void> {
    this.connection = await openAmqpConnection(this.step, this.settings.connection, undefined, this.connectStats);
  }

  /** Opens the channel and the consumer on first use (a restored or retried instance starts here). */
  private async open(): Promise<AmqpChannelLike> {
    if (this.channel !== undefined) return this.channel;
    const { queue, prefetch } = this.settings;
    const channel = await this.connection!.createChannel();
    channel.on("error", () => {});
    channel.on("close", () => {
      this.closed ??= new Error("the channel was closed");
      this.wake?.();
    });
    try {
      await channel.checkQueue(queue);
    } catch (err) {
      throw new RabbitMqIOError(
        `"${this.step}" cannot read queue ${JSON.stringify(queue)} at ${this.settings.connection.address}: ${messageOf(err)}. Declare the queue (and bind it to an exchange) before the job starts.`,
        { cause: err, retryable: false },
      );
    }
    await channel.prefetch(prefetch);
    await channel.consume(
      queue,
      (m) => {
        if (m === null) {
          // The broker cancelled the consumer (the queue was deleted).
          this.closed ??= new Error(`the broker cancelled the consumer of queue ${JSON.stringify(queue)} (deleted?)`);
        } else {
          this.buffer.push({ message: m, arrival: Date.now() });
        }
        this.wake?.();
      },
      { noAck: false },
    );
    return (this.channel = channel);
  }

  getInitialRestriction(): OffsetRange {
    return new OffsetRange(0, this.settings.maxRecords ?? UNBOUNDED_OFFSET);
  }
  newTracker(_impulse: Uint8Array, r: OffsetRange): OffsetRangeTracker {
    return r.to === UNBOUNDED_OFFSET ? new GrowableOffsetRangeTracker(r.from, () => UNBOUNDED_OFFSET) : new OffsetRangeTracker(r);
  }
  getInitialWatermarkState(): QueueWatermarkState {
    return { watermark: MIN_TIMESTAMP, startedAt: undefined };
  }
  newWatermarkEstimator(state: unknown): QueueWatermarkEstimator {
    const s = state as QueueWatermarkState;
    return new QueueWatermarkEstimator(s.startedAt, s.watermark);
  }
  /** Drain stops reading: unacknowledged messages go back to the queue when the channel closes. */
  truncateRestriction(): undefined {
    return undefined;
  }

  /** Waits until a delivery is buffered, the channel closed, or `ms` passed. */
  private waitForDelivery(ms: number): Promise<void> {
    if (this.buffer.length > 0 || this.closed !== undefined || ms === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  async process(_impulse: Uint8Array, ctx: SplittableProcessContext<RabbitMqMessage, OffsetRange, number>): Promise<ProcessContinuation> {
    const { queue, batchSize, blockMs, maxReadTimeMs, timestampFn } = this.settings;
    rabbitMqLineage("sources", this.settings.connection, queue);
    const estimator = ctx.watermarkEstimator as QueueWatermarkEstimator;
    const tracker = ctx.tracker;
    const end = tracker.currentRestriction().to;
    const finish = (): ProcessContinuation => {
      tracker.tryClaim(end);
      return ProcessContinuation.stop();
    };
    const startedAt = estimator.start(ctx.processingTime);
    if (maxReadTimeMs !== undefined && ctx.processingTime - startedAt >= maxReadTimeMs) return finish();
    reportConnectStats(this.connectStats, ctx.metrics);
    let index = tracker.currentRestriction().from;
    if (index >= end) return finish();
    let channel: AmqpChannelLike;
    try {
      channel = await this.open();
    } catch (err) {
      if (err instanceof RabbitMqIOError) throw err;
      throw this.failed(err);
    }
    await this.waitForDelivery(blockMs);
    if (this.closed !== undefined) throw this.failed(this.closed);
    const emitted: AmqpMessageLike[] = [];
    let claimRefused = false;
    while (this.buffer.length > 0 && emitted.length < batchSize && index < end) {
      if (!tracker.tryClaim(index)) {
        // A checkpoint: the rest of the restriction belongs to its residual; the buffer keeps the rest.
        claimRefused = true;
        break;
      }
      const { message, arrival } = this.buffer.shift()!;
      index++;
      const element = toRabbitMqMessage(queue, message);
      const timestamp = timestampFn !== undefined ? timestampFn(element, arrival) : element.timestamp !== undefined ? element.timestamp * 1000 : arrival;
      ctx.outputWithTimestamp(element, timestamp);
      estimator.setWatermark(timestamp);
      emitted.push(message);
    }
    if (emitted.length === 0 && this.buffer.length === 0) estimator.setWatermark(Math.max(MIN_TIMESTAMP, Date.now() - this.settings.idleWatermarkLag));
    this.register(channel, emitted, ctx);
    if (index >= end) return finish();
    return claimRefused ? ProcessContinuation.stop() : ProcessContinuation.resume(0);
  }

  /**
   * Registers the `basic.ack` of what a call emitted, to run once its bundle is committed. No
   * recovery bytes: a delivery tag means nothing on another channel, so a restored job
   * cannot acknowledge them; the broker redelivers them instead.
   */
  private register(channel: AmqpChannelLike, emitted: readonly AmqpMessageLike[], ctx: SplittableProcessContext<RabbitMqMessage, OffsetRange, number>): void {
    if (emitted.length === 0) return;
    ctx.bundleFinalizer.afterBundleCommit(Date.now() + ACK_EXPIRY_MS, () => {
      // The channel closed since (teardown, a lost connection): the broker requeued the messages.
      if (this.channel !== channel || this.closed !== undefined) return;
      for (const m of emitted) channel.ack(m);
    });
  }

  private failed(cause: unknown): RabbitMqIOError {
    // The retry's fresh instance then waits for the broker with backoff (rabbitmq-connection.ts).
    noteConnectionLost(this.step, this.settings.connection);
    return new RabbitMqIOError(
      `"${this.step}" lost its consumer of queue ${JSON.stringify(this.settings.queue)} at ${this.settings.connection.address}: ${messageOf(cause)}. ` +
        `The bundle is retried with a new connection; the broker delivers the unacknowledged messages again.`,
      { cause },
    );
  }

  async teardown(): Promise<void> {
    const connection = this.connection;
    const channel = this.channel;
    this.connection = undefined;
    this.channel = undefined;
    this.buffer = [];
    // The channel first: amqplib writes a channel's frames in order, but the connection's
    // close (on channel 0) may overtake acknowledgements still queued on the channel. The
    // broker then requeues every delivery left unacknowledged.
    await channel?.close().catch(() => {});
    await connection?.close().catch(() => {});
  }
}

function toRabbitMqMessage(queue: string, m: AmqpMessageLike): RabbitMqMessage {
  const p = m.properties;
  return {
    queue,
    exchange: m.fields.exchange,
    routingKey: m.fields.routingKey,
    body: new Uint8Array(m.content),
    messageId: p.messageId,
    correlationId: p.correlationId,
    contentType: p.contentType,
    timestamp: p.timestamp,
    headers: { ...(p.headers ?? {}) },
    redelivered: m.fields.redelivered,
  };
}
