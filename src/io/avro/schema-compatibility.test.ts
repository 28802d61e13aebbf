import { describe, expect, it } from "vitest";
import { checkReaderWriterCompatibility } from "./schema-compatibility.js";

const record = (fields: readonly object[], extra: object = {}) => ({ type: "record", name: "User", namespace: "ex", fields, ...extra });
const V1 = record([
  { name: "id", type: "long" },
  { name: "n", type: "int" },
  { name: "nick", type: "string" },
  { name: "home", type: { type: "record", name: "Address", fields: [{ name: "zip", type: "int" }] } },
]);

describe("checkReaderWriterCompatibility (Avro's SchemaCompatibility)", () => {
  it("accepts Avro's compatible changes: an added field with a default, a removed field, a widened type, a renamed field with an alias", () => {
    const v2 = record([
      { name: "id", type: "long" },
      { name: "n", type: "double" }, // int widened
      { name: "name", aliases: ["nick"], type: "string" }, // renamed
      { name: "email", type: ["null", "string"], default: null }, // added
      // home removed
    ]);
    expect(checkReaderWriterCompatibility(v2, V1)).toEqual([]);
  });

  it("names the field and both types of a narrowed or changed type", () => {
    const v2 = record([
      { name: "id", type: "int" },
      { name: "n", type: "int" },
      { name: "nick", type: "string" },
      { name: "home", type: { type: "record", name: "Address", fields: [{ name: "zip", type: "string" }] } },
    ]);
    expect(checkReaderWriterCompatibility(v2, V1)).toEqual([
      { type: "TYPE_MISMATCH", field: "id", readerType: "int", writerType: "long", detail: "reader type int is not compatible with writer type long" },
      { type: "TYPE_MISMATCH", field: "home.zip", readerType: "string", writerType: "int", detail: "reader type string is not compatible with writer type int" },
    ]);
  });

  it("refuses an added field without a default", () => {
    const v2 = record([{ name: "id", type: "long" }, { name: "email", type: "string" }]);
    expect(checkReaderWriterCompatibility(v2, V1)).toMatchObject([{ type: "READER_FIELD_MISSING_DEFAULT_VALUE", field: "email", readerType: "string", writerType: "(absent)" }]);
  });

  it("refuses missing enum symbols unless the reader enum has a default, a fixed of another size, another record name", () => {
    const en = (symbols: string[], extra: object = {}) => record([{ name: "c", type: { type: "enum", name: "Color", symbols, ...extra } }]);
    expect(checkReaderWriterCompatibility(en(["RED"]), en(["RED", "BLUE"]))).toMatchObject([{ type: "MISSING_ENUM_SYMBOLS", field: "c", detail: "the reader lacks the symbols BLUE" }]);
    expect(checkReaderWriterCompatibility(en(["RED", "OTHER"], { default: "OTHER" }), en(["RED", "BLUE"]))).toEqual([]);
    const fx = (size: number) => record([{ name: "h", type: { type: "fixed", name: "Hash", size } }]);
    expect(checkReaderWriterCompatibility(fx(16), fx(32))).toMatchObject([{ type: "FIXED_SIZE_MISMATCH", field: "h", readerType: "fixed ex.Hash (16 bytes)", writerType: "fixed ex.Hash (32 bytes)" }]);
    expect(checkReaderWriterCompatibility({ ...V1, name: "Person" }, V1)).toMatchObject([{ type: "NAME_MISMATCH", field: "" }]);
    expect(checkReaderWriterCompatibility({ ...V1, name: "Person", aliases: ["User"] }, V1)).toEqual([]);
  });

  it("needs a reader union branch for each writer branch, and refuses a nullable writer read as not nullable", () => {
    const w = record([{ name: "v", type: ["null", "string", "long"] }]);
    expect(checkReaderWriterCompatibility(record([{ name: "v", type: ["null", "string"] }]), w)).toMatchObject([
      { type: "MISSING_UNION_BRANCH", field: "v", readerType: "[null, string]", writerType: "long" },
    ]);
    expect(checkReaderWriterCompatibility(record([{ name: "v", type: ["null", "string", "double"] }]), w)).toEqual([]);
    expect(checkReaderWriterCompatibility(record([{ name: "v", type: "string" }]), record([{ name: "v", type: ["null", "string"] }]))).toMatchObject([
      { type: "TYPE_MISMATCH", field: "v", readerType: "string", writerType: "null" },
    ]);
  });

  it("checks recursive records once per pair, and array items and map values by path", () => {
    const list = (item: string) => ({ type: "record", name: "Node", fields: [{ name: "v", type: item }, { name: "next", type: ["null", "Node"] }, { name: "tags", type: { type: "map", values: { type: "array", items: item } } }] });
    expect(checkReaderWriterCompatibility(list("long"), list("int"))).toEqual([]);
    expect(checkReaderWriterCompatibility(list("int"), list("long")).map((i) => i.field)).toEqual(["v", "tags{}[]"]);
  });
});
