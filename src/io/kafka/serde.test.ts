import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConstructionError } from "../../model/index.js";
import { deserializerOf, prepareSerde, serializerOf, type KafkaAvroFormat } from "./serde.js";

const ORDER = { type: "record", name: "Order", fields: [{ name: "id", type: "int" }, { name: "item", type: "string" }, { name: "note", type: ["null", "string"], default: null }] };
type Order = { id: number; item: string; note: string | null };

async function prepared<F>(fn: F): Promise<F> {
  await prepareSerde(fn, "Test");
  return fn;
}

describe("Avro (de)serializers", () => {
  it("round-trip records of the schema, framed in Confluent's wire format or not", async () => {
    for (const format of [{ avroSchema: ORDER }, { avroSchema: JSON.stringify(ORDER), confluentWireFormat: { schemaId: 42 } }] as KafkaAvroFormat[]) {
      const ser = await prepared(serializerOf<Order>("test", format));
      const de = await prepared(deserializerOf<Order>("test", format));
      fc.assert(
        fc.property(fc.record({ id: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), item: fc.string(), note: fc.option(fc.string(), { nil: null }) }), (o) => {
          expect(de(ser(o))).toEqual(o);
        }),
      );
    }
  });

  it("writes the magic byte and schema id in front of the datum", async () => {
    const bytes = (await prepared(serializerOf<Order>("test", { avroSchema: ORDER, confluentWireFormat: { schemaId: 258 } })))({ id: 1, item: "x", note: null });
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
  });

  it("throws on bytes the schema cannot read (the record becomes a dead letter)", async () => {
    const de = await prepared(deserializerOf<Order>("test", { avroSchema: ORDER, confluentWireFormat: { schemaId: 1 } }));
    expect(() => de(new Uint8Array([7, 1, 2]))).toThrow(/Confluent/);
  });

  it("refuses a schema id that is not a registry id at construction", () => {
    expect(() => serializerOf("writeToKafka", { avroSchema: ORDER, confluentWireFormat: { schemaId: -1 } })).toThrow(ConstructionError);
  });
});
