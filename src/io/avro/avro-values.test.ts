import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { t } from "../../model/index.js";
import { avroSchemaOfRow } from "./avro-schema-of-row.js";
import { mapAvroSchema } from "./avro-values.js";

describe("mapAvroSchema", () => {
  it("round-trips decimals through Avro's two's complement bytes, on bytes and fixed", () => {
    const onBytes = mapAvroSchema({ type: "bytes", logicalType: "decimal", precision: 38, scale: 3 });
    const onFixed = mapAvroSchema({ type: "fixed", name: "D", size: 16, logicalType: "decimal", precision: 38, scale: 3 });
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 126n), max: 2n ** 126n }), (n) => {
        for (const m of [onBytes, onFixed]) expect(m.read(m.write({ unscaledValue: n, scale: 3 }))).toEqual({ unscaledValue: n, scale: 3 });
      }),
    );
    expect(onBytes.read(onBytes.write({ unscaledValue: 15n, scale: 1 }))).toEqual({ unscaledValue: 1500n, scale: 3 });
    expect(() => onBytes.write({ unscaledValue: 12345n, scale: 4 })).toThrow(/more than the schema's 3 decimal places/);
  });

  it("maps unions with null to nullable types and refuses other unions and recursion, saying why", () => {
    expect(mapAvroSchema(["null", "long"]).type).toEqual({ ...t.int64().type, nullable: true });
    expect(mapAvroSchema(["int", "string"]).why).toMatch(/not of null and one type/);
    const list = { type: "record", name: "Node", fields: [{ name: "next", type: ["null", "Node"] }] };
    expect(mapAvroSchema(list).why).toMatch(/field "next": the record "Node" is recursive/);
  });

  it("gives the Avro schema of a Beam schema that maps back to the same Beam schema", () => {
    const fields = {
      id: t.int64(),
      at: t.timestamp(),
      day: t.date(),
      key: t.uuid(),
      kind: t.enumeration("A", "B"),
      raw: t.fixedBytes(4),
      tags: t.array(t.string().nullable()),
      attrs: t.map(t.string(), t.double()),
      home: t.row({ city: t.string() }).nullable(),
    };
    const beam = { fields: Object.entries(fields).map(([name, f]) => ({ name, type: f.type })) };
    const avro = avroSchemaOfRow(beam, "Row");
    expect(mapAvroSchema(avro).type).toEqual({ kind: "row", schema: beam });
  });
});
