import { ConstructionError, describeValue } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, type DoFn, type FinishBundleContext } from "../../transforms/index.js";
import { callError, openClient, resolvePubSubConnection, type PubSubConnection, type PublisherClientLike, type ResolvedPubSubConnection } from "./pubsub-client.js";
import { PubSubIOError } from "./pubsub-io-error.js";
import { pubsubLineage } from "./pubsub-lineage.js";
import { callWithRetry, reportOutageStats, type OutageStats } from "./reconnect.js";

/** A message writeToPubSub publishes. */
export interface PubSubRecord {
  readonly data: Uint8Array | string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly orderingKey?: string;
}

/** Options of writeToPubSub. */
export interface WriteToPubSubOptions<T> {
  readonly connection: PubSubConnection;
  /** A topic's name, or `projects/<p>/topics/<t>`; it must exist. */
  readonly topic: string;
  /** Turns an element into a record; default: a PubSubRecord as it is, a string or Uint8Array as the data. */
  readonly toRecord?: (element: T) => PubSubRecord;
  /** Messages per publish request. Default 100 (the service takes up to 1000 and 10 MB). */
  readonly batchSize?: number;
}

interface WriteSettings<T> {
  readonly connection: ResolvedPubSubConnection;
  readonly topic: string;
  readonly toRecord: ((element: T) => PubSubRecord) | undefined;
  readonly batchSize: number;
}

/**
 * Publishes elements to a Pub/Sub topic (Beam's PubsubIO.write) in requests of `batchSize`;
 * the bundle commits after the service accepted every request. **At-least-once**: a retried
 * bundle publishes again; set an id attribute for readers (`idAttribute`) to drop repeats.
 *
 * @example events.apply(writeToPubSub({ connection: { projectId: "p" }, topic: "events", toRecord: (e: Ev) => ({ data: JSON.stringify(e), attributes: { id: e.id } }) }))
 */
export function writeToPubSub<T>(options: WriteToPubSubOptions<T>): PTransform<PCollection<T>, PCollection<never>> {
  if (typeof options !== "object" || options === null || typeof options.topic !== "string" || options.topic === "") {
    throw new ConstructionError(`writeToPubSub needs options: { connection, topic, toRecord? }.`);
  }
  const connection = resolvePubSubConnection("writeToPubSub", options.connection);
  const batchSize = options.batchSize ?? 100;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 1000) throw new ConstructionError(`writeToPubSub: batchSize must be an integer from 1 to 1000, got ${String(batchSize)}.`);
  const topic = options.topic.startsWith("projects/") ? options.topic : `projects/${connection.projectId}/topics/${options.topic}`;
  return new WriteToPubSub<T>({ connection, topic, toRecord: options.toRecord, batchSize });
}

class WriteToPubSub<T> extends PTransform<PCollection<T>, PCollection<never>> {
  constructor(private readonly settings: WriteSettings<T>) {
    super("WriteToPubSub");
  }
  expand(input: PCollection<T>): PCollection<never> {
    const step = `${input.pipeline.currentLabel()}/Write`;
    return input.apply("Write", parDo<T, never>(new PubSubWriteFn(this.settings, step)));
  }
}

interface Outgoing {
  data: Uint8Array;
  attributes?: Record<string, string>;
  orderingKey?: string;
}

const utf8 = new TextEncoder();

function recordOf(element: unknown): PubSubRecord | undefined {
  if (typeof element === "string" || element instanceof Uint8Array) return { data: element };
  if (typeof element === "object" && element !== null && "data" in element) {
    const data = (element as { data: unknown }).data;
    if (typeof data === "string" || data instanceof Uint8Array) return element as PubSubRecord;
  }
  return undefined;
}

class PubSubWriteFn<T> implements DoFn<T, never> {
  private client: PublisherClientLike | undefined;
  private batch: Outgoing[] = [];
  private sent: Promise<void>[] = [];
  private failure: unknown;
  /** Whether a publish of this instance succeeded: after that, UNAVAILABLE means the server went away (waited for). */
  private reached = false;
  private readonly outage: OutageStats = { retries: 0, reconnects: 0 };

  constructor(
    readonly settings: WriteSettings<T>,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    this.client = await openClient(this.step, this.settings.connection, "PublisherClient");
  }

  startBundle(): void {
    this.batch = [];
    this.sent = [];
    this.failure = undefined;
    pubsubLineage("sinks", this.settings.topic);
  }

  process(element: T): void {
    const record = this.settings.toRecord !== undefined ? this.settings.toRecord(element) : recordOf(element);
    if (record === undefined || recordOf(record) === undefined) {
      throw new PubSubIOError(`"${this.step}" cannot publish ${describeValue(element, 120)}: it is not a string, a Uint8Array or a { data } record; give toRecord.`, { retryable: false });
    }
    const out: Outgoing = { data: typeof record.data === "string" ? utf8.encode(record.data) : record.data };
    if (record.attributes !== undefined) out.attributes = { ...record.attributes };
    if (record.orderingKey !== undefined) out.orderingKey = record.orderingKey;
    this.batch.push(out);
    if (this.batch.length >= this.settings.batchSize) this.flush();
  }

  private flush(): void {
    const messages = this.batch;
    this.batch = [];
    const client = this.client!;
    const { topic, connection } = this.settings;
    this.sent.push(
      callWithRetry(() => client.publish({ topic, messages }, { timeout: 30_000, retry: null }), this.reached, connection.reconnectRetries, this.outage).then(
        () => {
          this.reached = true;
        },
        (err: unknown) => {
          this.failure ??= callError(this.step, this.settings.connection, `publish ${messages.length} messages to ${this.settings.topic}`, err);
        },
      ),
    );
  }

  async finishBundle(ctx: FinishBundleContext<never>): Promise<void> {
    if (this.batch.length > 0) this.flush();
    await Promise.all(this.sent);
    this.sent = [];
    reportOutageStats(this.outage, ctx.metrics);
    if (this.failure !== undefined) throw this.failure;
  }

  async teardown(): Promise<void> {
    await Promise.allSettled(this.sent);
    await this.client?.close().catch(() => {});
    this.client = undefined;
  }
}
