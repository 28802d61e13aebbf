import { Lineage, lineageName, type LineageDirection } from "../../metrics/index.js";

/**
 * A topic or subscription as lineage, as Beam's PubsubIO reports it: system `pubsub`,
 * subtype `topic` or `subscription`, then the project and the short name, taken from a
 * full resource name `projects/<project>/topics|subscriptions/<name>`.
 *
 * @example pubsubLineageName("projects/p/topics/events") // "pubsub:topic:p.events"
 */
export function pubsubLineageName(resource: string): string {
  const m = /^projects\/([^/]+)\/(topics|subscriptions)\/(.+)$/.exec(resource);
  // The readers and writer always hold full names; anything else is reported whole, never dropped.
  if (m === null) return lineageName("pubsub", [resource]);
  return lineageName("pubsub", [m[1]!, m[3]!], m[2] === "topics" ? "topic" : "subscription");
}

/** Records that the running step read or wrote the topic or subscription `resource` (a full name). */
export function pubsubLineage(direction: LineageDirection, resource: string): void {
  Lineage.add(direction, pubsubLineageName(resource));
}
