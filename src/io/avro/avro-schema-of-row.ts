import { LogicalTypeUrns, enumCases, type FieldType, type Schema } from "../../model/index.js";

/**
 * The Avro schema of a Beam row schema, for writeAvro's `schema: RowSchema` (as Beam's
 * AvroUtils.toAvroSchema): a record named `name`, fields in order; INT64 → long,
 * BYTE/INT16/INT32 → int, FLOAT → float, DOUBLE → double, STRING → string, BOOLEAN →
 * boolean, BYTES → bytes; timestamp → long timestamp-millis; micros_instant → long
 * timestamp-micros; date → int date; uuid → string uuid; enumeration → enum; fixed_bytes →
 * fixed; array/iterable → array; map of string keys → map; row → nested record; nullable
 * → ["null", T]. Refused, naming the field: decimal (Avro needs a fixed scale: give an
 * Avro schema), maps with non-string keys, and other logical types.
 *
 * @example avroSchemaOfRow(Order.schema, "Order")
 */
export function avroSchemaOfRow(schema: Schema, name: string): Record<string, unknown> {
  return record(schema, name, name);
}

function record(schema: Schema, name: string, path: string): Record<string, unknown> {
  return {
    type: "record",
    name: name.replace(/[^A-Za-z0-9_]/g, "_"),
    fields: schema.fields.map((f) => ({ name: f.name, type: fieldType(f.type, `${path}.${f.name}`) })),
  };
}

function fieldType(type: FieldType, path: string): unknown {
  const base = nonNull(type, path);
  return type.nullable === true ? ["null", base] : base;
}

function nonNull(type: FieldType, path: string): unknown {
  const refuse = (what: string, fix: string): never => {
    throw new TypeError(`${path}: ${what} has no Avro type in writeAvro. ${fix}`);
  };
  switch (type.kind) {
    case "atomic":
      switch (type.type) {
        case "INT64":
          return "long";
        case "BYTE":
        case "INT16":
        case "INT32":
          return "int";
        case "FLOAT":
          return "float";
        case "DOUBLE":
          return "double";
        case "STRING":
          return "string";
        case "BOOLEAN":
          return "boolean";
        case "BYTES":
          return "bytes";
      }
      break;
    case "array":
    case "iterable":
      return { type: "array", items: fieldType(type.element, `${path}[]`) };
    case "map":
      if (type.key.kind !== "atomic" || type.key.type !== "STRING") {
        refuse("a map with non-string keys", "Avro map keys are strings: convert the keys, or use an array of key/value rows.");
      }
      return { type: "map", values: fieldType(type.value, `${path}{}`) };
    case "row":
      return record(type.schema, path.replace(/\./g, "_"), path);
    case "logical":
      switch (type.urn) {
        case LogicalTypeUrns.millisInstant:
          return { type: "long", logicalType: "timestamp-millis" };
        case LogicalTypeUrns.microsInstant:
          return { type: "long", logicalType: "timestamp-micros" };
        case LogicalTypeUrns.date:
          return { type: "int", logicalType: "date" };
        case LogicalTypeUrns.uuid:
          return { type: "string", logicalType: "uuid" };
        case LogicalTypeUrns.fixedBytes:
          return { type: "fixed", name: path.replace(/[^A-Za-z0-9_]/g, "_"), size: type.argument as number };
        case LogicalTypeUrns.enumeration:
          return { type: "enum", name: path.replace(/[^A-Za-z0-9_]/g, "_"), symbols: [...enumCases(type)].sort((a, b) => a[1] - b[1]).map(([s]) => s) };
        case LogicalTypeUrns.decimal:
          return refuse(
            "a decimal without a fixed scale",
            `Pass an Avro schema with { type: "bytes", logicalType: "decimal", precision, scale } for this field.`,
          );
      }
      return refuse(`the logical type ${type.urn}`, "Convert the field to a supported type first, or pass an Avro schema.");
  }
  return refuse("this type", "Pass an Avro schema.");
}
