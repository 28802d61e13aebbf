/**
 * Model of query 10 (Beam has none): one Done per window holding events, at the window's
 * maximum timestamp. `logFilesModel` says which log files the query must write: per window,
 * one ON_TIME file for each shard the window's events fall in, holding exactly those events
 * (when no shard of a window reaches `maxLogEvents` and no event is late).
 */
import type { NexmarkConfiguration } from "../config.js";
import type { Done, Event, TimestampedEvent } from "../model.js";
import { instantString, query10Shards, shardOf } from "../queries/query10.js";
import { canonical, sorted, type QueryModel } from "./model-util.js";

/** The start of the fixed window of `size` ms holding `t`. */
const windowStart = (t: number, size: number): number => t - (((t % size) + size) % size);

export const query10Model: QueryModel<Done> = {
  expected(events, config) {
    const size = config.windowSizeSec * 1000;
    const maxTimestamps = new Set<number>();
    for (const { timestamp } of events) maxTimestamps.add(windowStart(timestamp, size) + size - 1);
    return sorted([...maxTimestamps].map((m) => `${canonical({ message: `written for timestamp ${instantString(m)}` })}@${m}`));
  },
  actual: (outputs) => sorted(outputs.map((o) => `${canonical(o.value)}@${o.timestamp}`)),
};

/**
 * The log files expected, as `<window max timestamp ISO> <shard>` → the canonical events
 * of the file, sorted.
 */
export function logFilesModel(events: Iterable<TimestampedEvent>, config: NexmarkConfiguration): Map<string, string[]> {
  const size = config.windowSizeSec * 1000;
  const shards = query10Shards(config);
  const files = new Map<string, string[]>();
  for (const { event, timestamp } of events) {
    const key = `${instantString(windowStart(timestamp, size) + size - 1)} ${shardOf(event as Event, shards)}`;
    let list = files.get(key);
    if (list === undefined) files.set(key, (list = []));
    list.push(canonical(event));
  }
  for (const list of files.values()) list.sort();
  return files;
}
