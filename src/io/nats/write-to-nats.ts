import { ConstructionError, describeValue } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, type DoFn, type DoFnMetrics, type ProcessContext } from "../../transforms/index.js";
import { NATS_DUPLICATES_METRIC, reportReconnects } from "./metrics.js";
import { NatsSession, resolveNatsConnection, type JetStreamLike, type NatsConnection, type ResolvedNatsConnection } from "./nats-connection.js";
import { natsLineage } from "./nats-lineage.js";
import { NatsIOError, messageOf } from "./nats-io-error.js";

/** A message writeToNats publishes: its payload, and optionally its own subject, message id and headers. */
export interface NatsRecord {
  readonly data: Uint8Array | string;
  /** Overrides the transform's `subject`. */
  readonly subject?: string;
  /** JetStream's `Nats-Msg-Id`: a second publish with the same id within the stream's duplicate window is not stored. */
  readonly msgId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of writeToNats. */
export interface WriteToNatsOptions<T> {
  readonly connection: NatsConnection;
  /** The subject to publish to (a stream must capture it), unless each record names its own. */
  readonly subject?: string;
  /**
   * Turns an element into a record; default: a NatsRecord as it is, a string or Uint8Array as
   * the payload.
   */
  readonly toRecord?: (element: T) => NatsRecord;
  /** Publishes awaiting JetStream's acknowledgement at a time, per DoFn instance. Default 256. */
  readonly maxInFlight?: number;
}

interface WriteSettings<T> {
  readonly connection: ResolvedNatsConnection;
  readonly subject: string | undefined;
  readonly toRecord: ((element: T) => NatsRecord) | undefined;
  readonly maxInFlight: number;
}

/**
 * Publishes each element to JetStream (Beam's JmsIO/PubsubIO writes) and waits for the
 * stream's acknowledgement of every publish of a bundle before the bundle commits.
 *
 * **At-least-once**, and **exactly-once in the stream** for records with a `msgId`: a retried
 * bundle publishes its records again, and JetStream drops a publish whose `Nats-Msg-Id` it
 * stored within the stream's duplicate window (default 2 minutes), counting it in
 * NATS_DUPLICATES_METRIC. Give ids derived from the element (an order id, a source
 * offset), never random ones.
 *
 * @example orders.apply(writeToNats({ connection, subject: "orders.paid", toRecord: (o: Order) => ({ data: JSON.stringify(o), msgId: o.id }) }))
 */
export function writeToNats<T>(options: WriteToNatsOptions<T>): PTransform<PCollection<T>, PCollection<never>> {
  if (typeof options !== "object" || options === null) throw new ConstructionError(`writeToNats needs options: { connection, subject, toRecord }.`);
  if (options.subject !== undefined && (typeof options.subject !== "string" || options.subject === "" || /[\s*>]/.test(options.subject))) {
    throw new ConstructionError(`writeToNats: subject must be a subject without spaces or wildcards such as "orders.paid", got ${JSON.stringify(options.subject)}.`);
  }
  const maxInFlight = options.maxInFlight ?? 256;
  if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new ConstructionError(`writeToNats: maxInFlight must be an integer >= 1, got ${String(maxInFlight)}.`);
  return new WriteToNats<T>({ connection: resolveNatsConnection("writeToNats", options.connection), subject: options.subject, toRecord: options.toRecord, maxInFlight });
}

class WriteToNats<T> extends PTransform<PCollection<T>, PCollection<never>> {
  constructor(private readonly settings: WriteSettings<T>) {
    super("WriteToNats");
  }
  expand(input: PCollection<T>): PCollection<never> {
    const step = `${input.pipeline.currentLabel()}/Write`;
    return input.apply("Write", parDo<T, never>(new NatsWriteFn(this.settings, step)));
  }
}

function recordOf(element: unknown): NatsRecord | undefined {
  if (typeof element === "string" || element instanceof Uint8Array) return { data: element };
  if (typeof element === "object" && element !== null && "data" in element) {
    const data = (element as { data: unknown }).data;
    if (typeof data === "string" || data instanceof Uint8Array) return element as NatsRecord;
  }
  return undefined;
}

const utf8 = new TextEncoder();

/** Publishes with up to maxInFlight acknowledgements outstanding; finishBundle waits for all of them. */
class NatsWriteFn<T> implements DoFn<T, never> {
  private session: NatsSession | undefined;
  private js: JetStreamLike | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    readonly settings: WriteSettings<T>,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    this.session = await NatsSession.open(this.step, this.settings.connection);
    this.js = this.session.modules.jetstream(this.session.client);
  }

  startBundle(): void {
    this.failure = undefined;
    if (this.settings.subject !== undefined) natsLineage("sinks", this.settings.connection, this.settings.subject);
  }

  process(element: T, ctx: ProcessContext<never>): void | Promise<void> {
    const record = this.settings.toRecord !== undefined ? this.settings.toRecord(element) : recordOf(element);
    const subject = record?.subject ?? this.settings.subject;
    // A record's own subject is reported as it is published (a string set keeps each once).
    if (record?.subject !== undefined) natsLineage("sinks", this.settings.connection, record.subject);
    if (record === undefined || recordOf(record) === undefined || subject === undefined) {
      throw new NatsIOError(
        `"${this.step}" cannot publish ${describeValue(element, 120)}: ` +
          (subject === undefined && record !== undefined ? "no subject: give writeToNats a subject, or each record one." : "it is not a string, a Uint8Array or a { data } record; give toRecord."),
        { retryable: false },
      );
    }
    if (this.failure !== undefined) return;
    const sent: Promise<void> = this.publish(subject, record, ctx.metrics).finally(() => this.inflight.delete(sent));
    this.inflight.add(sent);
    if (this.inflight.size >= this.settings.maxInFlight) return Promise.race(this.inflight);
  }

  async finishBundle(): Promise<void> {
    await Promise.all([...this.inflight]);
    if (this.failure !== undefined) throw this.failure;
  }

  /** One publish; never rejects (a failure is kept for finishBundle, which fails the bundle). */
  private async publish(subject: string, record: NatsRecord, metrics: DoFnMetrics): Promise<void> {
    const session = this.session!;
    const options: { msgID?: string; headers?: unknown } = {};
    if (record.msgId !== undefined) options.msgID = record.msgId;
    if (record.headers !== undefined) {
      const h = session.modules.headers();
      for (const [k, v] of Object.entries(record.headers)) h.append(k, v);
      options.headers = h;
    }
    try {
      const ack = await this.js!.publish(subject, typeof record.data === "string" ? utf8.encode(record.data) : record.data, options);
      if (ack.duplicate) metrics.counter(NATS_DUPLICATES_METRIC.namespace, NATS_DUPLICATES_METRIC.name).inc();
    } catch (err) {
      const noStream = /no responders|503/i.test(messageOf(err));
      this.failure ??= new NatsIOError(
        `"${this.step}" could not publish to ${JSON.stringify(subject)} at ${session.connection.address}: ${messageOf(err)}.` +
          (noStream ? " No JetStream stream captures that subject: create one (`nats stream add --subjects …`)." : " The bundle is retried; records with a msgId are not stored twice."),
        { cause: err, ...(noStream ? { retryable: false } : {}) },
      );
    } finally {
      reportReconnects(session, metrics);
    }
  }

  async teardown(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    await this.session?.close();
    this.session = undefined;
  }
}
