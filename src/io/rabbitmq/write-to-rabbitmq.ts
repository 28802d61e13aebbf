import { ConstructionError, describeValue } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { noteConnectionLost, openAmqpConnection, wasConnected, resolveRabbitMqConnection, type AmqpChannelLike, type AmqpConnectionLike, type RabbitMqConnection, type ResolvedRabbitMqConnection } from "./rabbitmq-connection.js";
import { rabbitMqLineage } from "./rabbitmq-lineage.js";
import { RabbitMqIOError, messageOf } from "./rabbitmq-io-error.js";
import { reportConnectStats, type ConnectStats } from "./metrics.js";

/** A message writeToRabbitMq publishes: its body, and optionally its own routing key and properties. */
export interface RabbitMqRecord {
  readonly body: Uint8Array | string;
  /** Overrides the transform's `routingKey`. */
  readonly routingKey?: string;
  /** Lets consumers recognise a message a retried bundle published again. */
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly contentType?: string;
  /** The AMQP `timestamp` property, seconds since the epoch. */
  readonly timestamp?: number;
  readonly headers?: Readonly<Record<string, string | number | boolean>>;
}

/** Options of writeToRabbitMq. */
export interface WriteToRabbitMqOptions<T> {
  readonly connection: RabbitMqConnection;
  /** The exchange; "" is the default exchange, where the routing key is a queue's name. It must exist. */
  readonly exchange: string;
  /** The routing key, unless each record has its own. */
  readonly routingKey?: string;
  /** Turns an element into a record; default: a RabbitMqRecord as it is, a string or Uint8Array as the body. */
  readonly toRecord?: (element: T) => RabbitMqRecord;
  /** Delivery mode 2 (the broker writes the message to disk on durable queues). Default true. */
  readonly persistent?: boolean;
  /**
   * Publish with `mandatory`: a message that no queue takes is returned by the broker and
   * fails the bundle, rather than being dropped. Default true.
   */
  readonly mandatory?: boolean;
}

interface WriteSettings<T> {
  readonly connection: ResolvedRabbitMqConnection;
  readonly exchange: string;
  readonly routingKey: string | undefined;
  readonly toRecord: ((element: T) => RabbitMqRecord) | undefined;
  readonly persistent: boolean;
  readonly mandatory: boolean;
}

/**
 * Publishes each element to an exchange on a confirm channel (Beam's RabbitMqIO.write with
 * publisher confirms): the bundle commits only after the broker confirmed every publish of
 * it. **At-least-once**: a retried bundle publishes its messages again; give a `messageId`
 * for consumers to recognise them.
 *
 * @example orders.apply(writeToRabbitMq({ connection, exchange: "orders", routingKey: "paid", toRecord: (o: Order) => ({ body: JSON.stringify(o), messageId: o.id }) }))
 */
export function writeToRabbitMq<T>(options: WriteToRabbitMqOptions<T>): PTransform<PCollection<T>, PCollection<never>> {
  if (typeof options !== "object" || options === null) throw new ConstructionError(`writeToRabbitMq needs options: { connection, exchange, routingKey }.`);
  if (typeof options.exchange !== "string") throw new ConstructionError(`writeToRabbitMq: exchange must be an exchange's name ("" for the default exchange).`);
  return new WriteToRabbitMq<T>({
    connection: resolveRabbitMqConnection("writeToRabbitMq", options.connection),
    exchange: options.exchange,
    routingKey: options.routingKey,
    toRecord: options.toRecord,
    persistent: options.persistent ?? true,
    mandatory: options.mandatory ?? true,
  });
}

class WriteToRabbitMq<T> extends PTransform<PCollection<T>, PCollection<never>> {
  constructor(private readonly settings: WriteSettings<T>) {
    super("WriteToRabbitMq");
  }
  expand(input: PCollection<T>): PCollection<never> {
    const step = `${input.pipeline.currentLabel()}/Write`;
    return input.apply("Write", parDo<T, never>(new RabbitMqWriteFn(this.settings, step)));
  }
}

function recordOf(element: unknown): RabbitMqRecord | undefined {
  if (typeof element === "string" || element instanceof Uint8Array) return { body: element };
  if (typeof element === "object" && element !== null && "body" in element) {
    const body = (element as { body: unknown }).body;
    if (typeof body === "string" || body instanceof Uint8Array) return element as RabbitMqRecord;
  }
  return undefined;
}

const utf8 = new TextEncoder();

/** Publishes on one confirm channel; finishBundle waits for the broker's confirm of each. */
class RabbitMqWriteFn<T> implements DoFn<T, never> {
  private connection: AmqpConnectionLike | undefined;
  private channel: AmqpChannelLike | undefined;
  private confirms: Promise<void>[] = [];
  private failure: unknown;
  /** Set when the channel closed under us: every later bundle of this instance fails (the retry gets a new one). */
  private lost: RabbitMqIOError | undefined;

  constructor(
    readonly settings: WriteSettings<T>,
    readonly step: string,
  ) {}

  /** Connection attempts of setup, reported with the first element (setup has no metrics). */
  private readonly connectStats: ConnectStats = { retries: 0, reconnects: 0 };

  async setup(): Promise<void> {
    // A step that published before in this job and now finds no queue for its routing key
    // most likely met a broker that restarted and has not recovered the queue yet, or a
    // consumer about to declare it again: its bundle is retried (and fails if it stays so).
    const routedBefore = wasConnected(this.step, this.settings.connection);
    this.connection = await openAmqpConnection(this.step, this.settings.connection, undefined, this.connectStats);
    const channel = await this.connection.createConfirmChannel();
    channel.on("error", (err: never) => {
      this.failure ??= this.error(`the channel failed: ${messageOf(err)}`, err);
    });
    // Closed under us (the broker went away): publishes would throw; the bundle fails and is retried.
    channel.on("close", () => {
      if (this.channel !== channel) return;
      noteConnectionLost(this.step, this.settings.connection);
      this.lost ??= this.error("the channel was closed (the connection was lost)", undefined);
    });
    channel.on("return", (m: never) => {
      const returned = m as { fields: { routingKey: string; replyText?: string } };
      this.failure ??= new RabbitMqIOError(
        `"${this.step}": RabbitMQ returned a message published to exchange ${JSON.stringify(this.settings.exchange)} with routing key ${JSON.stringify(returned.fields.routingKey)} ` +
          `(${returned.fields.replyText ?? "NO_ROUTE"}): no queue is bound for it. Bind a queue, or pass mandatory: false to let the broker drop such messages.`,
        routedBefore ? {} : { retryable: false },
      );
    });
    if (this.settings.exchange !== "") {
      try {
        await channel.checkExchange(this.settings.exchange);
      } catch (err) {
        throw new RabbitMqIOError(`"${this.step}": exchange ${JSON.stringify(this.settings.exchange)} does not exist at ${this.settings.connection.address} (${messageOf(err)}). Declare it before the job starts.`, {
          cause: err,
          retryable: false,
        });
      }
    }
    this.channel = channel;
  }

  startBundle(): void {
    this.confirms = [];
    this.failure = undefined;
    rabbitMqLineage("sinks", this.settings.connection, this.settings.exchange);
  }

  process(element: T, ctx: ProcessContext<never>): void {
    reportConnectStats(this.connectStats, ctx.metrics);
    if (this.lost !== undefined) throw this.lost;
    const record = this.settings.toRecord !== undefined ? this.settings.toRecord(element) : recordOf(element);
    const routingKey = record?.routingKey ?? this.settings.routingKey;
    if (record === undefined || recordOf(record) === undefined || routingKey === undefined) {
      throw new RabbitMqIOError(
        `"${this.step}" cannot publish ${describeValue(element, 120)}: ` +
          (record !== undefined && routingKey === undefined ? "no routing key: give writeToRabbitMq a routingKey, or each record one." : "it is not a string, a Uint8Array or a { body } record; give toRecord."),
        { retryable: false },
      );
    }
    const options: Record<string, unknown> = { persistent: this.settings.persistent, mandatory: this.settings.mandatory };
    for (const k of ["messageId", "correlationId", "contentType", "timestamp", "headers"] as const) if (record[k] !== undefined) options[k] = record[k];
    const body = typeof record.body === "string" ? utf8.encode(record.body) : record.body;
    this.confirms.push(
      new Promise<void>((resolve) => {
        // The callback runs when the broker confirms (err null) or nacks the publish.
        this.channel!.publish(this.settings.exchange, routingKey, Buffer.from(body.buffer, body.byteOffset, body.byteLength), options, (err) => {
          if (err !== null && err !== undefined) this.failure ??= this.error(`the broker refused a publish (nack): ${messageOf(err)}`, err);
          resolve();
        });
      }),
    );
  }

  async finishBundle(): Promise<void> {
    await Promise.all(this.confirms);
    this.confirms = [];
    if (this.failure !== undefined) throw this.failure;
    if (this.lost !== undefined) throw this.lost;
  }

  private error(what: string, cause: unknown): RabbitMqIOError {
    return new RabbitMqIOError(`"${this.step}" could not publish to ${this.settings.connection.address}: ${what}. The bundle is retried; its messages are published again (at-least-once).`, { cause });
  }

  async teardown(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => {});
  }
}
