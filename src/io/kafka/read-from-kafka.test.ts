import { describe, expect, it } from "vitest";
import { ConstructionError } from "../../model/index.js";
import { Pipeline } from "../../pipeline/index.js";
import { create } from "../../transforms/index.js";
import type { KafkaWriteRecord } from "./write-to-kafka.js";
import { readFromKafka } from "./read-from-kafka.js";
import { writeToKafka } from "./write-to-kafka.js";

const bootstrapServers = "127.0.0.1:9092";

describe("readFromKafka and writeToKafka options, checked at construction", () => {
  it("takes topics or a topicPattern, not both and not neither", () => {
    expect(() => readFromKafka({ bootstrapServers, topicPattern: /orders-.*/ })).not.toThrow();
    expect(() => readFromKafka({ bootstrapServers, topics: ["a"], topicPattern: /a/ })).toThrow(ConstructionError);
    expect(() => readFromKafka({ bootstrapServers })).toThrow(/topics must be a non-empty array/);
  });

  it("takes startTimestamp instead of startOffset, and maxRecords and maxReadTime as counts", () => {
    expect(() => readFromKafka({ bootstrapServers, topics: ["a"], startTimestamp: 1_000, maxRecords: 10, maxReadTime: 5_000 })).not.toThrow();
    expect(() => readFromKafka({ bootstrapServers, topics: ["a"], startTimestamp: 1_000, startOffset: "earliest" })).toThrow(/instead of startOffset/);
    expect(() => readFromKafka({ bootstrapServers, topics: ["a"], maxRecords: -1 })).toThrow(/maxRecords/);
    expect(() => readFromKafka({ bootstrapServers, topics: ["a"], idleTimeoutMs: 1.5 })).toThrow(/idleTimeoutMs/);
  });

  it("checks an Avro format's schema id at construction", () => {
    expect(() => readFromKafka({ bootstrapServers, topics: ["a"], valueDeserializer: { avroSchema: "int", confluentWireFormat: { schemaId: 1.5 } } })).toThrow(/schemaId/);
  });

  it("writes to a topic or by topicFn, and exactly once by topicFn only with a transactional id prefix", () => {
    expect(() => writeToKafka({ bootstrapServers, topicFn: () => "t" })).not.toThrow();
    expect(() => writeToKafka({ bootstrapServers, topic: "t", topicFn: () => "t" })).toThrow(/not both/);
    expect(() => writeToKafka({ bootstrapServers, topicFn: () => "t", exactlyOnce: true })).toThrow(/transactionalIdPrefix/);
  });

  it("refuses a second exactly-once write with the same transactional id prefix in one pipeline: they would fence each other", () => {
    const p = new Pipeline();
    const records = p.apply(create<KafkaWriteRecord<Uint8Array, Uint8Array>>([{ value: new Uint8Array([1]) }]));
    records.apply("A", writeToKafka({ bootstrapServers, topic: "t", exactlyOnce: true, transactionalIdPrefix: "same" }));
    expect(() => records.apply("B", writeToKafka({ bootstrapServers, topic: "u", exactlyOnce: true, transactionalIdPrefix: "same" }))).toThrow(/already used by "A\/Write"/);
    expect(() => records.apply("C", writeToKafka({ bootstrapServers, topic: "u", exactlyOnce: true, transactionalIdPrefix: "other" }))).not.toThrow();
  });
});
