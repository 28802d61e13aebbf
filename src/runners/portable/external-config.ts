import { randomUUID } from "node:crypto";
import { ConstructionError } from "../../model/index.js";
import { encodeToBytes, rowCoder, type AtomicType, type FieldType, type Row, type Schema } from "../../coders/index.js";
import { ExternalConfigurationPayload } from "../../proto/org/apache/beam/model/pipeline/v1/external_transforms.js";
import {
  AtomicType as ProtoAtomicType,
  type FieldType as ProtoFieldType,
  type Schema as ProtoSchema,
} from "../../proto/org/apache/beam/model/pipeline/v1/schema.js";

/**
 * The configuration of a cross-language transform as Beam's ExternalConfigurationPayload:
 * a schema and the configuration encoded as a row of it (RowCoder), which is what Python's
 * `ExternalTransform` sends with an `ImplicitSchemaPayloadBuilder` and what Java's
 * expansion service turns into its configuration object (snake_case names to setters).
 * Fields that are null or undefined are left out, as Python leaves out None.
 */
export function configurationPayload(config: Readonly<Record<string, unknown>>, schema?: Schema, label = "external"): Uint8Array {
  const present: Row = {};
  for (const [k, v] of Object.entries(config)) if (v !== null && v !== undefined) present[k] = v;
  const s = schema ?? inferConfigSchema(present, label);
  const row = int64sAsBigints({ kind: "row", schema: s }, present) as Row;
  return ExternalConfigurationPayload.encode({ schema: schemaToProto(s), payload: Buffer.from(encodeToBytes(rowCoder(s, { name: label }), row)) }).finish();
}

/** Config records hold integers as numbers; the row coder's INT64 values are bigints. */
function int64sAsBigints(type: FieldType, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (type.kind === "atomic" && type.type === "INT64" && typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if ((type.kind === "array" || type.kind === "iterable") && Array.isArray(v)) return v.map((e) => int64sAsBigints(type.element, e));
  if (type.kind === "row" && typeof v === "object") {
    const r = v as Row;
    return Object.fromEntries(type.schema.fields.map((f) => [f.name, int64sAsBigints(f.type, r[f.name])]));
  }
  return v;
}

/** The Beam schema of a configuration record, field by field (see `configurationPayload`). */
export function inferConfigSchema(config: Readonly<Record<string, unknown>>, label = "external"): Schema {
  return {
    id: randomUUID(),
    fields: Object.entries(config)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([name, v]) => ({ name, type: inferType(v, `${label}: config field "${name}"`) })),
  };
}

function inferType(v: unknown, where: string): FieldType {
  const atomic = (type: AtomicType): FieldType => ({ kind: "atomic", type });
  if (typeof v === "bigint") return atomic("INT64");
  if (typeof v === "number") return atomic(Number.isInteger(v) ? "INT64" : "DOUBLE");
  if (typeof v === "string") return atomic("STRING");
  if (typeof v === "boolean") return atomic("BOOLEAN");
  if (v instanceof Uint8Array) return atomic("BYTES");
  if (Array.isArray(v)) {
    const first = v.find((x) => x !== null && x !== undefined);
    if (first === undefined) throw new ConstructionError(`${where} is an empty array, whose element type cannot be inferred: pass configSchema.`);
    return { kind: "array", element: inferType(first, where) };
  }
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return { kind: "row", schema: inferConfigSchema(v as Record<string, unknown>, where) };
  }
  throw new ConstructionError(`${where} has a value of a type with no Beam schema type (${typeof v}); pass configSchema or a plain value.`);
}

const ATOMIC: Record<AtomicType, ProtoAtomicType> = {
  BYTE: ProtoAtomicType.BYTE,
  INT16: ProtoAtomicType.INT16,
  INT32: ProtoAtomicType.INT32,
  INT64: ProtoAtomicType.INT64,
  FLOAT: ProtoAtomicType.FLOAT,
  DOUBLE: ProtoAtomicType.DOUBLE,
  STRING: ProtoAtomicType.STRING,
  BOOLEAN: ProtoAtomicType.BOOLEAN,
  BYTES: ProtoAtomicType.BYTES,
};

/** A beam-ts schema as Beam's schema proto (schema.proto). */
export function schemaToProto(schema: Schema): ProtoSchema {
  return {
    id: schema.id ?? "",
    options: [],
    encodingPositionsSet: schema.encodingPositionsSet ?? false,
    fields: schema.fields.map((f, i) => ({
      name: f.name,
      description: f.description ?? "",
      type: fieldTypeToProto(f.type),
      id: i,
      encodingPosition: f.encodingPosition ?? i,
      options: [],
    })),
  };
}

function fieldTypeToProto(t: FieldType): ProtoFieldType {
  const nullable = t.nullable === true;
  switch (t.kind) {
    case "atomic":
      return { nullable, typeInfo: { $case: "atomicType", atomicType: ATOMIC[t.type] } };
    case "array":
      return { nullable, typeInfo: { $case: "arrayType", arrayType: { elementType: fieldTypeToProto(t.element) } } };
    case "iterable":
      return { nullable, typeInfo: { $case: "iterableType", iterableType: { elementType: fieldTypeToProto(t.element) } } };
    case "map":
      return { nullable, typeInfo: { $case: "mapType", mapType: { keyType: fieldTypeToProto(t.key), valueType: fieldTypeToProto(t.value) } } };
    case "row":
      return { nullable, typeInfo: { $case: "rowType", rowType: { schema: schemaToProto(t.schema) } } };
    case "logical":
      return {
        nullable,
        typeInfo: {
          $case: "logicalType",
          logicalType: { urn: t.urn, payload: Buffer.alloc(0), representation: fieldTypeToProto(t.representation), argumentType: undefined, argument: undefined },
        },
      };
  }
}
