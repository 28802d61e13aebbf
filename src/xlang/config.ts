import { decodeFromBytes, decodeSchemaProto, rowCoder, type Row } from "../coders/index.js";
import { ExternalConfigurationPayload, SchemaTransformPayload } from "../proto/org/apache/beam/model/pipeline/v1/external_transforms.js";
import { Schema as ProtoSchema } from "../proto/org/apache/beam/model/pipeline/v1/schema.js";
import { BEAM_URNS } from "../proto/urns.js";

/** Python's `SchemaAwareExternalTransform` URN: the payload names a SchemaTransform. */
export const SCHEMA_TRANSFORM_URN = BEAM_URNS["org.apache.beam.model.pipeline.v1.ExpansionMethods.Enum"].SCHEMA_TRANSFORM;

/** Which transform a request names, and its configuration. */
export interface RequestedTransform {
  readonly urn: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * Reads an expansion request's spec: a SchemaTransformPayload (identifier and configuration
 * row) under the schematransform URN, else the transform's own URN with its payload read as
 * JSON (a payload starting with `{`) or as Beam's ExternalConfigurationPayload (schema and
 * row, what Python's PayloadBuilders and beam-ts's `external({ config })` send). An empty
 * payload is an empty configuration.
 */
export function requestedTransform(urn: string, payload: Uint8Array): RequestedTransform {
  if (urn === SCHEMA_TRANSFORM_URN) {
    const p = SchemaTransformPayload.decode(payload);
    return { urn: p.identifier, config: decodeRow(p.configurationSchema, p.configurationRow) };
  }
  if (payload.length === 0) return { urn, config: {} };
  const text = firstNonSpace(payload) === 0x7b ? tryJson(payload) : undefined;
  if (text !== undefined) return { urn, config: text };
  const p = ExternalConfigurationPayload.decode(payload);
  return { urn, config: decodeRow(p.schema, p.payload) };
}

function decodeRow(schema: ProtoSchema | undefined, row: Uint8Array): Row {
  if (schema === undefined || schema.fields.length === 0) return {};
  return safeNumbers(decodeFromBytes(rowCoder(decodeSchemaProto(ProtoSchema.encode(schema).finish())), row)) as Row;
}

/** Configuration INT64s (bigints in rows) as numbers where exact, as ServedTransform documents. */
function safeNumbers(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(safeNumbers);
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, safeNumbers(x)]));
  }
  return v;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

function tryJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
