import { ConstructionError } from "../errors.js";
import { RowSchema } from "./row-schema.js";
import { LogicalTypeUrns, type Field, type FieldType, type Schema } from "./schema-types.js";

/**
 * Beam schemas from JSON Schemas (draft 2020-12), for the subset that maps one to one:
 * `type` object (with `properties` and `required`), string, integer, number, boolean, array
 * (with `items`), a type list with "null", `format: "date-time"`, and `enum` of strings.
 * Anything else is refused with its JSON pointer, never guessed: a schema that cannot be
 * mapped exactly would decode other SDKs' rows wrongly.
 */

/** The keywords that only annotate or are checked elsewhere; they do not change the Beam type. */
const ANNOTATIONS = new Set([
  "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
  "format", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "multipleOf", "minItems", "maxItems", "uniqueItems", "additionalProperties",
]);
const STRUCTURE = new Set(["type", "properties", "required", "items", "enum"]);

type Json = Readonly<Record<string, unknown>>;

/**
 * A runtime schema from a JSON Schema object. Required properties are non-nullable fields,
 * the others nullable; `integer` is INT64, `number` DOUBLE, `format: "date-time"` a timestamp
 * (millis_instant), a string `enum` an enumeration. Rows are plain objects (static type `Row`
 * of unknown values: the schema is only known when the program runs).
 *
 * @example
 * const Event = schemaFromJsonSchema({
 *   type: "object",
 *   properties: { id: { type: "integer" }, at: { type: "string", format: "date-time" } },
 *   required: ["id"],
 * });
 */
export function schemaFromJsonSchema(json: unknown, options: { readonly name?: string } = {}): RowSchema<Readonly<Record<string, unknown>>> {
  const type = fieldType(json, "#");
  if (type.kind !== "row" || type.nullable === true) {
    throw refuse("#", `the top level must be a non-null "type": "object" with "properties", got ${JSON.stringify(json)}`);
  }
  return new RowSchema(type.schema, options.name ?? "row");
}

function refuse(pointer: string, what: string): ConstructionError {
  return new ConstructionError(`schemaFromJsonSchema: ${pointer}: ${what}. Supported: type object/string/integer/number/boolean/array (and "null" in a type list), properties, required, items, format "date-time", enum of strings.`);
}

function fieldType(node: unknown, pointer: string): FieldType {
  if (typeof node !== "object" || node === null || Array.isArray(node)) throw refuse(pointer, `expected a schema object, got ${JSON.stringify(node)}`);
  const s = node as Json;
  for (const key of Object.keys(s)) {
    if (!ANNOTATIONS.has(key) && !STRUCTURE.has(key)) throw refuse(pointer, `"${key}" cannot be mapped to a Beam schema type`);
  }
  if (s["additionalProperties"] !== undefined && s["additionalProperties"] !== false && s["additionalProperties"] !== true) {
    throw refuse(pointer, `"additionalProperties" with a schema (a map) cannot be mapped; use properties`);
  }
  const { types, nullable } = s["type"] === undefined && s["enum"] !== undefined ? { types: [], nullable: false } : typeList(s["type"], pointer);
  if (s["enum"] !== undefined) {
    const withNull = Array.isArray(s["enum"]) && s["enum"].includes(null);
    return withNullable(enumType(s["enum"], types, pointer), nullable || withNull);
  }
  if (types.length !== 1) throw refuse(pointer, `expected one "type" (optionally with "null"), got ${JSON.stringify(s["type"])}`);
  const [only] = types;
  return withNullable(singleType(only as string, s, pointer), nullable);
}

function typeList(type: unknown, pointer: string): { types: string[]; nullable: boolean } {
  const list = typeof type === "string" ? [type] : Array.isArray(type) && type.every((x) => typeof x === "string") ? (type as string[]) : undefined;
  if (list === undefined) throw refuse(pointer, `"type" must be a string or a list of strings, got ${JSON.stringify(type)}`);
  return { types: list.filter((x) => x !== "null"), nullable: list.includes("null") };
}

function withNullable(type: FieldType, nullable: boolean): FieldType {
  return nullable ? { ...type, nullable: true } : type;
}

function singleType(type: string, s: Json, pointer: string): FieldType {
  switch (type) {
    case "string":
      return s["format"] === "date-time" ? { kind: "logical", urn: LogicalTypeUrns.millisInstant, representation: { kind: "atomic", type: "INT64" } } : { kind: "atomic", type: "STRING" };
    case "integer":
      return { kind: "atomic", type: "INT64" };
    case "number":
      return { kind: "atomic", type: "DOUBLE" };
    case "boolean":
      return { kind: "atomic", type: "BOOLEAN" };
    case "array":
      if (s["items"] === undefined) throw refuse(pointer, `an array needs "items" (its element type)`);
      return { kind: "array", element: fieldType(s["items"], `${pointer}/items`) };
    case "object":
      return { kind: "row", schema: objectSchema(s, pointer) };
    default:
      throw refuse(pointer, `"type": ${JSON.stringify(type)} has no Beam schema type`);
  }
}

function objectSchema(s: Json, pointer: string): Schema {
  const properties = s["properties"];
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) {
    throw refuse(pointer, `an object needs "properties" (a free-form object has no fixed fields)`);
  }
  const required = s["required"] ?? [];
  if (!Array.isArray(required) || !required.every((r) => typeof r === "string")) throw refuse(`${pointer}/required`, `expected a list of property names`);
  const names = Object.keys(properties);
  const unknown = required.find((r) => !names.includes(r as string));
  if (unknown !== undefined) throw refuse(`${pointer}/required`, `"${String(unknown)}" is required but not among the properties`);
  const fields: Field[] = names.map((name) => {
    const type = fieldType((properties as Json)[name], `${pointer}/properties/${name}`);
    return { name, type: required.includes(name) ? type : { ...type, nullable: true } };
  });
  return { fields };
}

function enumType(values: unknown, types: readonly string[], pointer: string): FieldType {
  const cases = Array.isArray(values) ? values.filter((v) => v !== null) : undefined;
  if (cases === undefined || cases.length === 0 || !cases.every((v) => typeof v === "string") || (types.length > 0 && (types.length !== 1 || types[0] !== "string"))) {
    throw refuse(`${pointer}/enum`, `only an enum of strings maps to an enumeration, got ${JSON.stringify(values)}`);
  }
  const argument = new Map((cases as string[]).map((c, i) => [c, i] as const));
  return {
    kind: "logical",
    urn: LogicalTypeUrns.enumeration,
    representation: { kind: "atomic", type: "INT32" },
    argumentType: { kind: "map", key: { kind: "atomic", type: "STRING" }, value: { kind: "atomic", type: "INT32" } },
    argument,
  };
}
