import { describe, expect, it } from "vitest";
import { ConstructionError } from "../errors.js";
import { LogicalTypeUrns, schemaFromJsonSchema } from "./index.js";

describe("schemaFromJsonSchema", () => {
  it("maps objects, required properties, atomic types, arrays, date-time and string enums", () => {
    const s = schemaFromJsonSchema(
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "Order",
        type: "object",
        properties: {
          id: { type: "integer", minimum: 0 },
          amount: { type: "number" },
          paid: { type: "boolean" },
          at: { type: "string", format: "date-time" },
          tags: { type: "array", items: { type: "string" } },
          status: { enum: ["NEW", "DONE"] },
          note: { type: ["string", "null"] },
          address: { type: "object", properties: { zip: { type: "string" } }, required: ["zip"] },
        },
        required: ["id", "amount", "paid", "at", "tags", "status", "note"],
      },
      { name: "Order" },
    );
    expect(s.name).toBe("Order");
    expect(s.schema.fields).toEqual([
      { name: "id", type: { kind: "atomic", type: "INT64" } },
      { name: "amount", type: { kind: "atomic", type: "DOUBLE" } },
      { name: "paid", type: { kind: "atomic", type: "BOOLEAN" } },
      { name: "at", type: { kind: "logical", urn: LogicalTypeUrns.millisInstant, representation: { kind: "atomic", type: "INT64" } } },
      { name: "tags", type: { kind: "array", element: { kind: "atomic", type: "STRING" } } },
      {
        name: "status",
        type: {
          kind: "logical",
          urn: LogicalTypeUrns.enumeration,
          representation: { kind: "atomic", type: "INT32" },
          argumentType: { kind: "map", key: { kind: "atomic", type: "STRING" }, value: { kind: "atomic", type: "INT32" } },
          argument: new Map([["NEW", 0], ["DONE", 1]]),
        },
      },
      { name: "note", type: { kind: "atomic", type: "STRING", nullable: true } },
      { name: "address", type: { kind: "row", nullable: true, schema: { fields: [{ name: "zip", type: { kind: "atomic", type: "STRING" } }] } } },
    ]);
    expect(s.mismatch({ id: 1n, amount: 2, paid: true, at: 0, tags: [], status: "NEW", note: null })).toBeUndefined();
    expect(s.mismatch({ id: 1, amount: 2, paid: true, at: 0, tags: [], status: "NEW", note: null })).toBe("Order.id: expected int64 (bigint), got 1");
  });

  it("refuses what it cannot map, naming the place with a JSON pointer", () => {
    const refuse = (json: unknown) => () => schemaFromJsonSchema(json);
    expect(refuse({ type: "object", properties: { a: { $ref: "#/$defs/x" } } })).toThrow(ConstructionError);
    expect(refuse({ type: "object", properties: { a: { $ref: "#/$defs/x" } } })).toThrow(/#\/properties\/a: "\$ref" cannot be mapped/);
    expect(refuse({ type: "object", properties: { a: { oneOf: [] } } })).toThrow(/#\/properties\/a: "oneOf" cannot be mapped/);
    expect(refuse({ type: "object", properties: { a: { type: "array" } } })).toThrow(/#\/properties\/a: an array needs "items"/);
    expect(refuse({ type: "object", properties: { a: { type: ["string", "integer"] } } })).toThrow(/expected one "type"/);
    expect(refuse({ type: "object", properties: { a: { enum: [1, 2] } } })).toThrow(/#\/properties\/a\/enum: only an enum of strings/);
    expect(refuse({ type: "object", properties: { a: { type: "object" } } })).toThrow(/#\/properties\/a: an object needs "properties"/);
    expect(refuse({ type: "object", properties: { a: { type: "object", additionalProperties: { type: "string" } } } })).toThrow(/"additionalProperties" with a schema/);
    expect(refuse({ type: "object", properties: {}, required: ["b"] })).toThrow(/#\/required: "b" is required but not among the properties/);
    expect(refuse({ type: "string" })).toThrow(/#: the top level must be a non-null "type": "object"/);
    expect(refuse({ type: "object", properties: { a: { type: "null" } } })).toThrow(/expected one "type"/);
  });
});
