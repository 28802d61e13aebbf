import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CoderError, schema, t, type FieldType, type Schema } from "../model/index.js";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
import { coderFromSpec } from "./registry.js";
import { rowCoder } from "./row-coder.js";
import { decodeSchemaProto } from "./schema.js";
import { encodeSchemaProto, schemaId } from "./schema-proto-writer.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("rowCoder with schemas of the DSL", () => {
  const Order = schema({ a: t.int32(), address: t.row({ street: t.string(), zip: t.string() }).nullable() }, { name: "Order" });
  const coder = rowCoder(Order.schema, { name: Order.name });

  it("writes a nested row inline and a null one as a bit of the null bitmap, as Java's and Python's RowCoders", () => {
    // 2 fields, empty bitmap, a=1, then the nested row: 2 fields, empty bitmap, "s", "z".
    expect(hex(encodeToBytes(coder, { a: 1, address: { street: "s", zip: "z" } }))).toBe("0200" + "01" + "0200" + "0173" + "017a");
    // Field 1 null: bitmap of one byte, 0b10.
    expect(hex(encodeToBytes(coder, { a: 1, address: null }))).toBe("020102" + "01");
    expect(decodeFromBytes(coder, Buffer.from("02010201", "hex"))).toEqual({ a: 1, address: null });
  });

  it("writes a negative INT32 as Java's VarIntCoder (five bytes) and reads the ten-byte form too", () => {
    const c = rowCoder(schema({ i: t.int32() }).schema);
    expect(hex(encodeToBytes(c, { i: -1 }))).toBe("0100" + "ffffffff0f");
    expect(decodeFromBytes(c, Buffer.from("0100ffffffffffffffffff01", "hex"))).toEqual({ i: -1 });
  });

  it("refuses a value of the wrong type before writing, naming the field path", () => {
    expect(() => encodeToBytes(coder, { a: 1, address: { street: "s", zip: 12345 } })).toThrow(CoderError);
    expect(() => encodeToBytes(coder, { a: 1, address: { street: "s", zip: 12345 } })).toThrow(/^Order\.address\.zip: expected string, got 12345\./);
  });

  it("converts logical types to their representations, as Java's logical types do", () => {
    const S = schema({
      e: t.enumeration("RED", "GREEN"),
      u: t.uuid(),
      o: t.oneOf({ n: t.int32(), s: t.string() }),
      d: t.date(),
      tm: t.time(),
      dt: t.localDateTime(),
      us: t.microsInstant(),
    });
    const c = rowCoder(S.schema);
    const row = {
      e: "GREEN",
      u: "123e4567-e89b-12d3-a456-426614174000",
      o: { case: "s", value: "x" },
      d: 19_000,
      tm: 1_000_000_000,
      dt: { date: -1, time: 5 },
      us: -1n,
    };
    const bytes = encodeToBytes(c, row);
    expect(decodeFromBytes(c, bytes)).toEqual(row);
    // enum: the case number 1; one_of: a row of two nullable fields, the first null.
    expect(hex(bytes).startsWith("0700" + "01")).toBe(true);
    // micros_instant -1µs: seconds -1, micros 999999 (floor division, as Python's MicrosInstant).
    const micros = rowCoder(schema({ us: t.microsInstant() }).schema);
    expect(hex(encodeToBytes(micros, { us: -1n }))).toBe("0100" + "0200" + "ffffffffffffffffff01" + "bf843d");
  });

  it("reads back its own schema proto, arguments of logical types included", () => {
    const S = schema({ c: t.fixedChar(5), v: t.varBytes(10).nullable(), e: t.enumeration("A", "B"), m: t.map(t.string(), t.array(t.int64())) });
    const decoded = decodeSchemaProto(encodeSchemaProto(S.schema));
    expect(decoded.id).toBe(schemaId(S.schema));
    expect(decoded.fields.map((f) => f.type)).toEqual(S.schema.fields.map((f) => f.type));
  });
});

/** Random field types, nested up to `depth`. */
function fieldTypeArb(depth: number): fc.Arbitrary<FieldType> {
  const leaves: fc.Arbitrary<FieldType>[] = [
    ...(["BYTE", "INT16", "INT32", "INT64", "FLOAT", "DOUBLE", "STRING", "BOOLEAN", "BYTES"] as const).map((a) => fc.constant<FieldType>({ kind: "atomic", type: a })),
    ...[t.decimal(), t.timestamp(), t.microsInstant(), t.date(), t.time(), t.localDateTime(), t.uuid(), t.fixedBytes(3), t.varChar(4), t.enumeration("A", "B", "C")].map((s) => fc.constant(s.type)),
  ];
  const leaf = fc.oneof(...leaves);
  const typed = depth <= 0
    ? leaf
    : fc.oneof(
        { weight: 3, arbitrary: leaf },
        { weight: 1, arbitrary: fieldTypeArb(depth - 1).map((element): FieldType => ({ kind: "array", element })) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom<FieldType>({ kind: "atomic", type: "STRING" }, { kind: "atomic", type: "INT64" }), fieldTypeArb(depth - 1)).map(([key, value]): FieldType => ({ kind: "map", key, value })) },
        { weight: 1, arbitrary: schemaArb(depth - 1).map((s): FieldType => ({ kind: "row", schema: s })) },
        { weight: 1, arbitrary: schemaArb(depth - 1).filter((s) => s.fields.length > 0).map(oneOfOf) },
      );
  return fc.tuple(typed, fc.boolean()).map(([type, nullable]) => (nullable ? { ...type, nullable: true } : type));
}

function oneOfOf(s: Schema): FieldType {
  return { kind: "logical", urn: "beam:logical_type:one_of:v1", representation: { kind: "row", schema: { fields: s.fields.map((f) => ({ ...f, type: { ...f.type, nullable: true } })) } } };
}

function schemaArb(depth: number): fc.Arbitrary<Schema> {
  return fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fieldTypeArb(depth)), { selector: ([n]) => n, maxLength: 5 }).map((fields) => ({ fields: fields.map(([name, type]) => ({ name, type })) }));
}

const int64 = fc.bigInt(-(1n << 63n), (1n << 63n) - 1n);

/** Random values of a field type, as the row coder decodes them. */
function valueArb(type: FieldType): fc.Arbitrary<unknown> {
  const v = baseValueArb(type);
  return type.nullable === true ? fc.option(v, { nil: null }) : v;
}

function baseValueArb(type: FieldType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case "atomic":
      switch (type.type) {
        case "BYTE": return fc.integer({ min: -128, max: 127 });
        case "INT16": return fc.integer({ min: -32768, max: 32767 });
        case "INT32": return fc.integer({ min: -2147483648, max: 2147483647 });
        case "INT64": return int64;
        case "FLOAT": return fc.float({ noNaN: true });
        case "DOUBLE": return fc.double({ noNaN: true });
        case "STRING": return fc.string({ unit: "grapheme" });
        case "BOOLEAN": return fc.boolean();
        case "BYTES": return fc.uint8Array({ maxLength: 8 });
      }
      break;
    case "array":
    case "iterable":
      return fc.array(valueArb(type.element), { maxLength: 3 });
    case "map":
      return fc.uniqueArray(fc.tuple(baseValueArb(type.key), valueArb(type.value)), { selector: ([k]) => k, maxLength: 3 }).map((es) => new Map(es));
    case "row":
      return rowArb(type.schema);
    case "logical":
      switch (type.urn) {
        case "beam:logical_type:decimal:v1": return fc.record({ unscaledValue: fc.bigInt(-(10n ** 30n), 10n ** 30n), scale: fc.integer({ min: -5, max: 40 }) });
        case "beam:logical_type:millis_instant:v1": return fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
        case "beam:logical_type:micros_instant:v1": return fc.bigInt(-(10n ** 17n), 10n ** 17n);
        case "beam:logical_type:date:v1": return fc.integer({ min: -(2 ** 38), max: 2 ** 38 });
        case "beam:logical_type:time:v1": return fc.integer({ min: 0, max: 86_400_000_000_000 - 1 });
        case "beam:logical_type:datetime:v1": return fc.record({ date: fc.integer(), time: fc.integer({ min: 0, max: 2 ** 46 }) });
        case "beam:logical_type:uuid:v1": return fc.uuid();
        case "beam:logical_type:fixed_bytes:v1": return fc.uint8Array({ minLength: 3, maxLength: 3 });
        case "beam:logical_type:var_char:v1": return fc.string({ maxLength: 4 }).filter((s) => [...s].length <= 4);
        case "beam:logical_type:enum:v1": return fc.constantFrom("A", "B", "C");
        case "beam:logical_type:one_of:v1": {
          const fields = type.representation.kind === "row" ? type.representation.schema.fields : [];
          return fc.oneof(...fields.map((f) => baseValueArb(f.type).map((value) => ({ case: f.name, value }))));
        }
      }
  }
  throw new Error(`no arbitrary for ${JSON.stringify(type)}`);
}

function rowArb(s: Schema): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(...s.fields.map((f) => valueArb(f.type))).map((vs) => Object.fromEntries(s.fields.map((f, i) => [f.name, vs[i]])));
}

describe("rowCoder properties", () => {
  it("round-trips random rows of random schemas, also through a coder rebuilt from its Runner API payload", () => {
    fc.assert(
      fc.property(schemaArb(2).chain((s) => fc.tuple(fc.constant(s), rowArb(s))), ([s, row]) => {
        const coder = rowCoder(s);
        const bytes = encodeToBytes(coder, row);
        expect(decodeFromBytes(coder, bytes)).toEqual(row);
        // What a harness or another SDK builds from the pipeline proto reads the same bytes.
        const rebuilt = coderFromSpec({ urn: coder.urn, payload: (coder as unknown as { payload: Uint8Array }).payload });
        expect(decodeFromBytes(rebuilt, bytes)).toEqual(row);
        expect(hex(encodeToBytes(rebuilt, row))).toBe(hex(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
