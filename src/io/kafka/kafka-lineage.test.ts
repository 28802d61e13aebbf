import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { parseLineageName } from "../../metrics/index.js";
import { resolveKafkaConnection } from "./kafka-connection.js";
import { kafkaLineageName } from "./kafka-lineage.js";

describe("kafkaLineageName", () => {
  it("names the topic as Beam's KafkaIO: kafka, the bootstrap servers as a comma list, the topic", () => {
    const connection = resolveKafkaConnection("t", { bootstrapServers: "b1:9092, b2:9093" });
    expect(kafkaLineageName(connection, "orders")).toBe("kafka:`b1:9092,b2:9093`.orders");
  });

  it("never holds the SASL password", () => {
    const connection = resolveKafkaConnection("t", { bootstrapServers: ["127.0.0.1:9092"], sasl: { mechanism: "PLAIN", username: "u", password: new Secret("hunter2") } });
    expect(kafkaLineageName(connection, "t")).not.toContain("hunter2");
  });

  it("parses back to its servers and topic for any topic name", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (topic) => {
        expect(parseLineageName(kafkaLineageName({ brokers: ["h:1"] }, topic)).segments).toEqual(["h:1", topic]);
      }),
    );
  });
});
