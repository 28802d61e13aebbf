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
import { RedisSession, resolveRedisConnection, type RedisConnection, type ResolvedRedisConnection } from "./redis-connection.js";
import { redisLineage } from "./redis-lineage.js";
import { RedisIOError, messageOf } from "./redis-io-error.js";
import { decodeStreamAcks, encodeStreamAcks } from "./stream-acks.js";

/** One entry of a Redis Stream as readFromRedisStream emits it, timestamped by its id's milliseconds. */
export interface RedisStreamEntry {
  /** The stream's key. */
  readonly stream: string;
  /** The entry id, `<ms>-<seq>`. */
  readonly id: string;
  /** The entry's field-value pairs. */
  readonly fields: Readonly<Record<string, string>>;
}

/** Options of readFromRedisStream. */
export interface ReadFromRedisStreamOptions {
  readonly connection: RedisConnection;
  /** The stream's key. */
  readonly stream: string;
  /** The consumer group; created (XGROUP CREATE … MKSTREAM) when missing. */
  readonly group: string;
  /**
   * The consumer's name in the group. Keep it stable across restarts: a restarted job first
   * re-reads the entries this consumer was given but never acknowledged. Default "beam-ts".
   */
  readonly consumer?: string;
  /** Where a group created by the read starts: "$" (new entries only, the default), "0" (the whole stream) or an id. */
  readonly startId?: string;
  /** XREADGROUP's COUNT: entries per round trip. Default 100. */
  readonly batchSize?: number;
  /** XREADGROUP's BLOCK: how long one call waits for new entries, in ms. Default 1000. */
  readonly blockMs?: Duration;
  /**
   * When a read finds no new entry, the watermark moves to the server's TIME minus this lag
   * (ms), as no entry added later with an automatic id (`XADD key *`) can be older. Default 1000.
   */
  readonly idleWatermarkLag?: Duration;
  /** Stop after this many entries (a bounded read, for tests and backfills). */
  readonly maxRecords?: number;
  /** Stop after reading this long, in ms of the runner's processing time. */
  readonly maxReadTimeMs?: Duration;
}

/** How long a registered XACK stays valid (Beam's PubsubIO acks within its deadline; Redis keeps entries pending for ever). */
const ACK_EXPIRY_MS = 5 * 60_000;

interface StreamSettings {
  readonly connection: ResolvedRedisConnection;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly startId: string;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly idleWatermarkLag: number;
  readonly maxRecords: number | undefined;
  readonly maxReadTimeMs: number | undefined;
}

const ID = /^(\d+)-(\d+)$/;

function positiveInteger(name: string, value: number | undefined, fallback: number | undefined, min = 1): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ConstructionError(`readFromRedisStream: ${name} must be an integer >= ${min}, got ${String(value)}.`);
  return value;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new ConstructionError(`readFromRedisStream: ${name} must be a non-empty string, got ${String(value)}.`);
  return value;
}

/**
 * An unbounded read of a Redis Stream through a consumer group (Beam's
 * `RedisIO.readStreams`-like source, and PubsubIO's ack-after-commit): XREADGROUP with
 * COUNT and BLOCK, each entry emitted as a RedisStreamEntry timestamped by its id's
 * milliseconds, the watermark following the ids. An entry is acknowledged (XACK) only in
 * the bundle finalizer, after the runner committed the bundle that emitted it.
 *
 * **At-least-once.** An entry whose bundle failed, or whose job crashed before the bundle
 * was finalized, stays pending in the group; the consumer re-reads its own pending entries
 * (XREADGROUP from id 0) when it starts and after a failed bundle, and emits them again.
 * Downstream steps may therefore see an entry twice; its `id` identifies it.
 *
 * **With checkpoints** (the embedded runner's `--checkpointDir`) an XACK runs once a
 * checkpoint covering its bundle is durable, and the checkpoint stores the ids (recovery
 * bytes): a job restored from it acknowledges them first (`recoverCommit`), so it re-reads
 * only the entries emitted after that checkpoint, whose effects the checkpoint lacks. The
 * job's checkpointed state (counts, windows, two-phase sinks) sees each entry once; side
 * effects done outside a checkpoint (a plain database insert) may see those entries twice.
 *
 * Drain stops the read (the restriction is dropped); `maxRecords` or `maxReadTimeMs` end it.
 *
 * @example p.apply(readFromRedisStream({ connection: { url: new Secret(url) }, stream: "orders", group: "billing" }))
 */
export function readFromRedisStream(options: ReadFromRedisStreamOptions): PTransform<PBegin, PCollection<RedisStreamEntry>> {
  if (typeof options !== "object" || options === null) {
    throw new ConstructionError(`readFromRedisStream needs options: { connection, stream, group, consumer, startId, batchSize, blockMs }.`);
  }
  const connection = resolveRedisConnection("readFromRedisStream", options.connection);
  const startId = options.startId ?? "$";
  if (startId !== "$" && !ID.test(startId) && !/^\d+$/.test(startId)) {
    throw new ConstructionError(`readFromRedisStream: startId must be "$" (new entries), "0" (the whole stream) or an entry id such as "1700000000000-0", got ${JSON.stringify(startId)}.`);
  }
  return new ReadFromRedisStream({
    connection,
    stream: nonEmpty("stream", options.stream),
    group: nonEmpty("group", options.group),
    consumer: nonEmpty("consumer", options.consumer ?? "beam-ts"),
    startId,
    batchSize: positiveInteger("batchSize", options.batchSize, 100)!,
    blockMs: positiveInteger("blockMs", options.blockMs, 1000, 0)!,
    idleWatermarkLag: positiveInteger("idleWatermarkLag", options.idleWatermarkLag, 1000, 0)!,
    maxRecords: positiveInteger("maxRecords", options.maxRecords, undefined),
    maxReadTimeMs: positiveInteger("maxReadTimeMs", options.maxReadTimeMs, undefined, 0),
  });
}

class ReadFromRedisStream extends PTransform<PBegin, PCollection<RedisStreamEntry>> {
  constructor(private readonly settings: StreamSettings) {
    super("ReadFromRedisStream");
  }
  expand(input: PBegin): PCollection<RedisStreamEntry> {
    const step = `${input.pipeline.currentLabel()}/Read`;
    return input
      .apply("Impulse", impulse())
      .apply("Read", splittableParDo(new ReadStreamFn(this.settings, step), { unbounded: true }))
      .withCoder(jsValueCoder as Coder<RedisStreamEntry>);
  }
}

/** The watermark estimator's state: the watermark, and when the read started (for maxReadTimeMs). */
interface StreamWatermarkState {
  readonly watermark: Instant;
  readonly startedAt: Instant | undefined;
}

/**
 * The read's watermark: set from the ids emitted (never backwards, as Beam's manual
 * estimator), and the read's start time kept across checkpoints (for maxReadTimeMs).
 */
class StreamWatermarkEstimator implements WatermarkEstimator<StreamWatermarkState> {
  private readonly manual: ManualWatermarkEstimator;
  constructor(private startedAt: Instant | undefined, watermark: Instant) {
    this.manual = new ManualWatermarkEstimator(watermark);
  }
  /** The start of the read: the first call's processing time. */
  start(now: Instant): Instant {
    return (this.startedAt ??= now);
  }
  setWatermark(watermark: Instant): void {
    this.manual.setWatermark(watermark);
  }
  currentWatermark(): Instant {
    return this.manual.currentWatermark();
  }
  getState(): StreamWatermarkState {
    return { watermark: this.manual.getState(), startedAt: this.startedAt };
  }
}

/** The milliseconds of an entry id `<ms>-<seq>` (its event time: XADD * stamps it with the server's clock). */
export function entryTimestamp(id: string): Instant {
  const m = ID.exec(id);
  if (m === null) throw new RedisIOError(`Redis returned a stream entry id that is not <ms>-<seq>: ${JSON.stringify(id).slice(0, 60)}.`);
  return Number(m[1]);
}

/**
 * Entries of an XREADGROUP reply for one stream (RESP2 `[[key, [[id, [f, v, …] | null], …]]]`,
 * RESP3 `{ key: […] }`, or null); fields null for an entry deleted while pending.
 */
export function streamEntries(reply: unknown): { id: string; fields: Record<string, string> | null }[] {
  if (reply === null || reply === undefined) return [];
  // node-redis answers a RESP3 map as an object ({ key: entries }), a RESP2 reply as pairs.
  const entries = Array.isArray(reply)
    ? Array.isArray(reply[0])
      ? (reply[0] as unknown[])[1]
      : undefined
    : typeof reply === "object"
      ? Object.values(reply)[0]
      : undefined;
  if (!Array.isArray(entries)) throw new RedisIOError(`Unexpected XREADGROUP reply from Redis: ${String(JSON.stringify(reply)).slice(0, 120)}.`);
  return entries.map((e) => {
    const [id, flat] = e as [unknown, unknown];
    if (!Array.isArray(flat)) return { id: String(id), fields: null };
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    return { id: String(id), fields };
  });
}

/**
 * The splittable DoFn over one stream. Its restriction counts the entries emitted,
 * [n, maxRecords) or [n, ∞); the stream position itself lives in the group on the server
 * (last delivered id and the consumer's pending entries), so a checkpoint needs nothing else.
 */
class ReadStreamFn implements SplittableDoFn<Uint8Array, RedisStreamEntry, OffsetRange> {
  private session: RedisSession | undefined;
  private groupReady = false;
  /** Whether the consumer's pending entries may hold entries not emitted (a fresh instance, or a checkpoint mid-batch). */
  private rescanPending = true;
  /** Ids emitted by a bundle whose XACK is registered but has not run yet, with its expiry. */
  private readonly awaitingAck = new Map<string, Instant>();
  /** XACKs sent and not answered yet: teardown lets them finish before it closes the connection. */
  private readonly acking = new Set<Promise<unknown>>();

  constructor(
    readonly settings: StreamSettings,
    readonly step: string,
  ) {}

  async setup(): Promise<void> {
    this.session = await RedisSession.open(this.step, this.settings.connection);
  }

  getInitialRestriction(): OffsetRange {
    return new OffsetRange(0, this.settings.maxRecords ?? UNBOUNDED_OFFSET);
  }
  newTracker(_impulse: Uint8Array, r: OffsetRange): OffsetRangeTracker {
    return r.to === UNBOUNDED_OFFSET ? new GrowableOffsetRangeTracker(r.from, () => UNBOUNDED_OFFSET) : new OffsetRangeTracker(r);
  }
  getInitialWatermarkState(): StreamWatermarkState {
    return { watermark: MIN_TIMESTAMP, startedAt: undefined };
  }
  newWatermarkEstimator(state: unknown): StreamWatermarkEstimator {
    const s = state as StreamWatermarkState;
    return new StreamWatermarkEstimator(s.startedAt, s.watermark);
  }
  /** Drain stops reading, bounded or not: unread entries stay in the stream for the next job. */
  truncateRestriction(): undefined {
    return undefined;
  }

  async process(_impulse: Uint8Array, ctx: SplittableProcessContext<RedisStreamEntry, OffsetRange, number>): Promise<ProcessContinuation> {
    const session = this.session!;
    const { stream, group, consumer, batchSize, blockMs, maxReadTimeMs } = this.settings;
    redisLineage("sources", this.settings.connection, stream);
    const estimator = ctx.watermarkEstimator as StreamWatermarkEstimator;
    const tracker = ctx.tracker;
    const end = tracker.currentRestriction().to;
    const finish = (): ProcessContinuation => {
      tracker.tryClaim(end);
      return ProcessContinuation.stop();
    };
    const startedAt = estimator.start(ctx.processingTime);
    if (maxReadTimeMs !== undefined && ctx.processingTime - startedAt >= maxReadTimeMs) return finish();
    const acks: string[] = [];
    let index = tracker.currentRestriction().from;
    /** Emits an entry after claiming it; false when the claim failed (a checkpoint, or maxRecords reached). */
    const emit = (id: string, fields: Record<string, string> | null): boolean => {
      if (fields === null) {
        // Deleted (XDEL, trimming) while pending: nothing to emit, only to acknowledge.
        acks.push(id);
        return true;
      }
      // At the end the claim is left to finish(): a tracker refuses a second claim of its end.
      if (index >= end || !tracker.tryClaim(index)) return false;
      index++;
      const timestamp = entryTimestamp(id);
      ctx.outputWithTimestamp({ stream, id, fields }, timestamp);
      estimator.setWatermark(timestamp);
      acks.push(id);
      return true;
    };
    try {
      if (!this.groupReady) await this.createGroup(session);
      const read = async (from: string, block: boolean): Promise<{ id: string; fields: Record<string, string> | null }[]> => {
        const args = ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(batchSize)];
        if (block) args.push("BLOCK", String(blockMs));
        return streamEntries(await session.client.sendCommand([...args, "STREAMS", stream, from]));
      };
      // 1. This consumer's pending entries (delivered before, never acknowledged), oldest first.
      if (this.rescanPending) {
        const now = Date.now();
        for (let cursor = "0"; ; ) {
          const entries = await read(cursor, false);
          if (entries.length === 0) break;
          for (const e of entries) {
            cursor = e.id;
            const expiry = this.awaitingAck.get(e.id);
            if (expiry !== undefined && expiry > now) continue;
            if (!emit(e.id, e.fields)) return this.stopped(acks, ctx, index >= end ? finish() : ProcessContinuation.stop());
          }
        }
        this.rescanPending = false;
      }
      if (index >= end) return this.stopped(acks, ctx, finish());
      // 2. New entries, waiting up to blockMs for them.
      const entries = await read(">", true);
      for (const e of entries) {
        if (!emit(e.id, e.fields)) {
          // The rest of the batch was delivered to this consumer: it is pending, read next time.
          this.rescanPending = true;
          return this.stopped(acks, ctx, index >= end ? finish() : ProcessContinuation.stop());
        }
      }
      if (entries.length === 0) estimator.setWatermark(Math.max(MIN_TIMESTAMP, (await this.serverTime(session)) - this.settings.idleWatermarkLag));
      reportReconnects(session, ctx.metrics);
      if (index >= end) return this.stopped(acks, ctx, finish());
      return this.stopped(acks, ctx, ProcessContinuation.resume(0));
    } catch (err) {
      if (err instanceof RedisIOError) throw err;
      throw new RedisIOError(
        `"${this.step}" could not read stream ${JSON.stringify(stream).slice(0, 120)} (group ${JSON.stringify(group)}, consumer ${JSON.stringify(consumer)}) ` +
          `at ${session.connection.address}: ${messageOf(err)}. The bundle is retried; its entries stay pending and are read again.`,
        { cause: err },
      );
    }
  }

  /** Registers the XACK of what this call emitted, to run once its bundle is committed. */
  private stopped(acks: readonly string[], ctx: SplittableProcessContext<RedisStreamEntry, OffsetRange, number>, result: ProcessContinuation): ProcessContinuation {
    if (acks.length === 0) return result;
    const expiry = Date.now() + ACK_EXPIRY_MS;
    for (const id of acks) this.awaitingAck.set(id, expiry);
    const session = this.session!;
    const { stream, group } = this.settings;
    // The recovery bytes make the ack durable: a checkpoint covering this bundle stores them,
    // and a job restored from it acknowledges the ids (recoverCommit) instead of reading them
    // again, as their effects are in the checkpoint.
    const recovery = encodeStreamAcks({ stream, group, ids: acks });
    ctx.bundleFinalizer.afterBundleCommit(
      expiry,
      async () => {
        // Torn down (a cancelled job's finalizations may run after teardown): the entries stay
        // pending, and a job restored from the checkpoint acknowledges them (recoverCommit).
        if (this.session !== session) return;
        const sent = session.client.sendCommand(["XACK", stream, group, ...acks]);
        this.acking.add(sent);
        try {
          await sent;
        } catch (err) {
          // The XACK was lost with the connection (Redis went away while it was under way):
          // the entries stay pending, so the next call reads the pending entries again and
          // emits them once more (at-least-once) rather than leaving them pending for ever.
          this.rescanPending = true;
          throw err;
        } finally {
          this.acking.delete(sent);
          for (const id of acks) this.awaitingAck.delete(id);
        }
      },
      recovery,
    );
    return result;
  }

  /**
   * A restored job's XACK of entries that a bundle its checkpoint covers emitted (the job may
   * have died before acknowledging them). Runs after setup, before the first read, so the
   * rescan of pending entries finds only those emitted after the checkpoint. XACK of an entry
   * already acknowledged does nothing; a group or stream deleted since has nothing to ack.
   */
  async recoverCommit(recovery: Uint8Array): Promise<void> {
    const { stream, group, ids } = decodeStreamAcks(recovery);
    if (ids.length === 0) return;
    const session = this.session!;
    try {
      await session.client.sendCommand(["XACK", stream, group, ...ids]);
    } catch (err) {
      if (messageOf(err).startsWith("NOGROUP")) return;
      throw new RedisIOError(
        `"${this.step}" could not acknowledge ${ids.length} entries of stream ${JSON.stringify(stream).slice(0, 120)} (group ${JSON.stringify(group)}) that the checkpoint it was restored from covers, ` +
          `at ${session.connection.address}: ${messageOf(err)}. Restore from the same checkpoint again once the server answers.`,
        { cause: err },
      );
    }
  }

  private async createGroup(session: RedisSession): Promise<void> {
    const { stream, group, startId } = this.settings;
    try {
      await session.client.sendCommand(["XGROUP", "CREATE", stream, group, startId, "MKSTREAM"]);
    } catch (err) {
      // The group exists: it keeps its own position, whatever startId says.
      if (!messageOf(err).startsWith("BUSYGROUP")) {
        // WRONGTYPE: the key holds another type; a retry cannot change that.
        const permanent = messageOf(err).startsWith("WRONGTYPE");
        throw new RedisIOError(
          `"${this.step}" could not create consumer group ${JSON.stringify(group)} on stream ${JSON.stringify(stream)} at ${session.connection.address}: ${messageOf(err)}.` +
            (permanent ? ` The key is not a stream: choose another stream key.` : ""),
          { cause: err, ...(permanent ? { retryable: false } : {}) },
        );
      }
    }
    this.groupReady = true;
  }

  private async serverTime(session: RedisSession): Promise<Instant> {
    const reply = (await session.client.sendCommand(["TIME"])) as unknown[];
    return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
  }

  async teardown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    // An XACK under way completes rather than failing on a closed connection.
    await Promise.allSettled([...this.acking]);
    session?.close();
  }
}
