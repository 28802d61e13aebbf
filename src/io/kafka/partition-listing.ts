import type { Duration, Instant } from "../../model/index.js";
import type { ResolvedKafkaConnection } from "./kafka-connection.js";
import { KafkaIOError } from "./kafka-io-error.js";
import type { KafkaPartitionDescriptor } from "./read-partition-fn.js";

/** Where a read starts in each partition: its first or next offset at job start, or an offset. */
export type KafkaStartOffset = "earliest" | "latest" | number;

/** Which partitions a read takes, and the bounds of each, checked at construction. */
export interface ListingSettings {
  readonly connection: ResolvedKafkaConnection;
  readonly readCommitted: boolean;
  /** Topics by name, or every topic whose name the pattern matches (whole name). */
  readonly topics: readonly string[] | RegExp;
  readonly startOffset: KafkaStartOffset;
  /** Start at the first record whose timestamp is at or after it (overrides startOffset). */
  readonly startTimestamp: Instant | undefined;
  readonly stopOffset: "latest" | number | undefined;
  /** At most this many records in all (a bounded read): see `recordShares`. */
  readonly maxRecords: number | undefined;
  /** Read for at most this long from the first listing (a bounded read). */
  readonly maxReadTime: Duration | undefined;
}

/** One topic-partition, as a key of sets (the watcher's restriction): `<partition>:<topic>`. */
export function partitionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** The topic and partition of a partitionKey. */
export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const colon = key.indexOf(":");
  return { topic: key.slice(colon + 1), partition: Number(key.slice(0, colon)) };
}

/** What listing needs of the client's consumer (its metadata and ListOffsets). */
export interface PartitionLister {
  metadata(options: { topics: string[]; forceUpdate?: boolean }): Promise<{ readonly topics: ReadonlyMap<string, { readonly partitionsCount: number }> }>;
  listOffsets(options: { topics: string[]; timestamp?: bigint; isolationLevel?: number }): Promise<ReadonlyMap<string, readonly bigint[]>>;
}
/** What listing needs of the client's admin. */
export interface TopicLister {
  listTopics(): Promise<string[]>;
}

/**
 * Every partition of the read's topics now, as partitionKeys: the named topics (a missing
 * one fails, naming it) or those the pattern matches (none yet is fine: they are watched
 * for). Fresh metadata: a partition added a moment ago is in it.
 */
export async function currentPartitions(consumer: PartitionLister, admin: TopicLister, s: ListingSettings, step: string): Promise<string[]> {
  const pattern = s.topics instanceof RegExp ? s.topics : undefined;
  const names = pattern === undefined ? [...(s.topics as readonly string[])] : (await admin.listTopics()).filter((t) => wholeMatch(pattern, t)).sort();
  if (names.length === 0) return [];
  const metadata = await consumer.metadata({ topics: names, forceUpdate: true });
  const keys: string[] = [];
  for (const topic of names) {
    const meta = metadata.topics.get(topic);
    if (meta === undefined) {
      if (pattern !== undefined) continue; // deleted between the two calls
      throw new KafkaIOError(`"${step}": topic ${JSON.stringify(topic)} does not exist at ${s.connection.brokers.join(",")}. Create it, or fix the name.`, { retryable: false });
    }
    for (let partition = 0; partition < meta.partitionsCount; partition++) keys.push(partitionKey(topic, partition));
  }
  return keys;
}

function wholeMatch(pattern: RegExp, name: string): boolean {
  const m = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")).exec(name);
  return m !== null && m.index === 0 && m[0].length === name.length;
}

/**
 * Descriptors (start, stop, deadline) of `keys`. `first`: the partitions of the read's first
 * listing, which start where the options say; a partition found later (added while running)
 * starts at its earliest offset, so that nothing appended to it is missed.
 */
export async function describePartitions(consumer: PartitionLister, s: ListingSettings, keys: readonly string[], first: boolean, now: Instant): Promise<KafkaPartitionDescriptor[]> {
  if (keys.length === 0) return [];
  const parts = keys.map(parsePartitionKey);
  const topics = [...new Set(parts.map((p) => p.topic))];
  const isolationLevel = s.readCommitted ? 1 : 0;
  const offsetsAt = async (timestamp: bigint) => consumer.listOffsets({ topics, timestamp, isolationLevel });
  const at = (offsets: ReadonlyMap<string, readonly bigint[]>, p: { topic: string; partition: number }) => Number(offsets.get(p.topic)?.[p.partition] ?? 0n);
  const startMode = !first ? "earliest" : s.startTimestamp !== undefined ? "timestamp" : s.startOffset;
  const earliest = startMode === "earliest" ? await offsetsAt(-2n) : undefined;
  const needsLatest = startMode === "latest" || startMode === "timestamp" || s.stopOffset === "latest" || s.maxRecords !== undefined;
  const latest = needsLatest ? await offsetsAt(-1n) : undefined;
  const byTime = startMode === "timestamp" ? await offsetsAt(BigInt(s.startTimestamp!)) : undefined;
  const starts = parts.map((p) => {
    if (startMode === "earliest") return at(earliest!, p);
    if (startMode === "latest") return at(latest!, p);
    if (startMode === "timestamp") {
      // -1: no record at or after the timestamp yet: start at the end.
      const t = Number(byTime!.get(p.topic)?.[p.partition] ?? -1n);
      return t < 0 ? at(latest!, p) : t;
    }
    return startMode;
  });
  const stops = parts.map((p, i) => (s.stopOffset === undefined ? undefined : Math.max(starts[i]!, s.stopOffset === "latest" ? at(latest!, p) : s.stopOffset)));
  const shares = s.maxRecords === undefined || !first ? undefined : recordShares(s.maxRecords, parts.map((p, i) => Math.max(0, (stops[i] ?? at(latest!, p)) - starts[i]!)));
  const readUntil = s.maxReadTime === undefined ? undefined : now + s.maxReadTime;
  return parts.map((p, i) => {
    const share = shares?.[i];
    const stop = share === undefined ? stops[i] : Math.min(stops[i] ?? Number.MAX_SAFE_INTEGER, starts[i]! + share);
    return { topic: p.topic, partition: p.partition, startOffset: starts[i]!, stopOffset: stop, ...(readUntil === undefined ? {} : { readUntil }) };
  });
}

/**
 * How many records each partition gives to a read of at most `max` records (Beam's
 * withMaxNumRecords), from the records `available` in each at start: shared evenly, a
 * partition with fewer giving all it has and the rest going to the others; what the topic
 * does not hold yet is shared evenly on top (those partitions wait for new records, so
 * pair maxRecords with maxReadTime on a topic that may stay short). Sums to `max`.
 */
export function recordShares(max: number, available: readonly number[]): number[] {
  const n = available.length;
  const shares = new Array<number>(n).fill(0);
  if (n === 0) return shares;
  let left = max;
  // Water-filling: the partitions with the fewest records first.
  const order = available.map((a, i) => [a, i] as const).sort((x, y) => x[0] - y[0]);
  order.forEach(([a, i], k) => {
    const take = Math.min(a, Math.floor(left / (n - k)) + (left % (n - k) > 0 ? 1 : 0));
    shares[i] = take;
    left -= take;
  });
  for (let i = 0; left > 0; i = (i + 1) % n, left--) shares[i]!++;
  return shares;
}
