import { describe, expect, it } from "vitest";
import { ConstructionError } from "../../model/index.js";
import { resolveConsumerConfig, resolveProducerConfig } from "./kafka-client-config.js";
import { readFromKafka } from "./read-from-kafka.js";
import { writeToKafka } from "./write-to-kafka.js";

describe("consumerConfig and producerConfig (Beam's withConsumerConfigUpdates / withProducerConfigUpdates)", () => {
  it("translate Java client property names and the client's own names to the client's settings", () => {
    expect(resolveConsumerConfig("R", { "fetch.min.bytes": 1024, "fetch.max.wait.ms": "200", "max.partition.fetch.bytes": 65536, "request.timeout.ms": 9000, retries: 5, retryDelay: 100 })).toEqual({
      client: { timeout: 9000, retries: 5, retryDelay: 100 },
      minBytes: 1024,
      maxWaitTime: 200,
      maxBytes: 65536,
    });
    expect(resolveProducerConfig("W", { "compression.type": "GZIP", "metadata.max.age.ms": 5000 })).toEqual({ client: { compression: "gzip", metadataMaxAge: 5000 } });
    expect(resolveConsumerConfig("R", undefined)).toEqual({ client: {}, minBytes: undefined, maxWaitTime: undefined, maxBytes: undefined });
  });

  it("refuse what the connector sets itself, naming the option to use instead", () => {
    expect(() => resolveConsumerConfig("readFromKafka", { "group.id": "g" })).toThrow(/readFromKafka: consumerConfig cannot set "group.id": beam-ts sets it; use commitOffsetsInFinalize: \{ groupId \}/);
    expect(() => resolveConsumerConfig("readFromKafka", { "isolation.level": "read_committed" })).toThrow(/use withReadCommitted/);
    expect(() => resolveConsumerConfig("readFromKafka", { "ssl.truststore.location": "/x" })).toThrow(/use tls and sasl/);
    expect(() => resolveProducerConfig("writeToKafka", { acks: "1" })).toThrow(/cannot set "acks": beam-ts sets it; use nothing: every write waits for all in-sync replicas/);
    expect(() => resolveProducerConfig("writeToKafka", { "transactional.id": "t" })).toThrow(/use exactlyOnce and transactionalIdPrefix/);
  });

  it("refuse settings the client has no equivalent for, and bad values, instead of ignoring them", () => {
    expect(() => resolveProducerConfig("writeToKafka", { "linger.ms": 5 })).toThrow(/"linger.ms" has no equivalent .*bundles do the batching/);
    expect(() => resolveConsumerConfig("readFromKafka", { "max.poll.records": 500 })).toThrow(/"max.poll.records" is not a setting beam-ts can pass .* It takes: request.timeout.ms, retries, retry.backoff.ms, metadata.max.age.ms, fetch.min.bytes/);
    expect(() => resolveProducerConfig("writeToKafka", { "compression.type": "brotli" })).toThrow(/is "brotli"; use one of none, gzip, snappy, lz4, zstd/);
    expect(() => resolveConsumerConfig("readFromKafka", { "fetch.min.bytes": -1 })).toThrow(/must be a non-negative integer, got -1/);
    expect(() => resolveConsumerConfig("readFromKafka", { "fetch.max.bytes": 1, maxBytesPerPartition: 2 })).toThrow(/sets maxBytes twice, as "fetch.max.bytes" and "maxBytesPerPartition"/);
  });

  it("refuse a consumerConfig that repeats an option of the reader, and a request timeout on an exactly-once writer", () => {
    expect(() => readFromKafka({ bootstrapServers: "127.0.0.1:9092", topics: ["t"], pollMs: 100, consumerConfig: { "fetch.max.wait.ms": 200 } })).toThrow(ConstructionError);
    expect(() => readFromKafka({ bootstrapServers: "127.0.0.1:9092", topics: ["t"], maxBytesPerFetch: 100, consumerConfig: { "fetch.max.bytes": 200 } })).toThrow(/maxBytesPerFetch and consumerConfig's fetch.max.bytes set the same thing/);
    expect(() => writeToKafka({ bootstrapServers: "127.0.0.1:9092", topic: "t", exactlyOnce: true, producerConfig: { "request.timeout.ms": 1000 } })).toThrow(/set transactionTimeoutMs instead/);
    expect(() => writeToKafka({ bootstrapServers: "127.0.0.1:9092", topic: "t", producerConfig: { "request.timeout.ms": 1000, "compression.type": "snappy" } })).not.toThrow();
  });
});
