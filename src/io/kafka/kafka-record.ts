import type { Instant } from "../../model/index.js";

/** One header of a record: its key, and its value's bytes (null when absent). */
export interface KafkaHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/**
 * A record as read from a partition, before the key and value are deserialized: what a
 * dead letter keeps, so nothing of the original is lost.
 */
export interface RawKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (create or log-append time, as the topic stores it), ms. */
  readonly timestamp: Instant;
  /** Whether `timestamp` is the broker's log-append time (the topic's message.timestamp.type). */
  readonly logAppendTime: boolean;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly KafkaHeader[];
}

/** A record readFromKafka emits: where it came from, and its deserialized key and value. */
export interface KafkaRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: Instant;
  readonly key: K | null;
  readonly value: V | null;
  readonly headers: readonly KafkaHeader[];
}
