import type { SchemaElement, SchemaTree } from "hyparquet";
import { LogicalTypeUrns, type BigDecimal, type Field, type FieldType, type Schema } from "../../model/index.js";

/**
 * The Beam schema of a Parquet schema, and for each column a converter from what hyparquet
 * decodes (decimals as raw unscaled values, timestamps as epoch millis, dates as days, byte
 * arrays undecoded) to the Beam value. Throws an Error naming the column for Parquet types
 * Beam has no type for (INT96, unsigned INT64, intervals, BSON, geospatial, variants).
 */

/** A Parquet column mapped to a Beam field: its type and how to convert decoded values. */
export interface MappedColumn {
  readonly field: Field;
  readonly convert: (value: unknown) => unknown;
}

const INT64: FieldType = { kind: "atomic", type: "INT64" };
const utf8 = new TextDecoder();

function withNullable(type: FieldType, nullable: boolean): FieldType {
  return nullable ? { ...type, nullable: true } : type;
}

function isDecimal(el: SchemaElement): boolean {
  return el.converted_type === "DECIMAL" || el.logical_type?.type === "DECIMAL";
}

function isList(node: SchemaTree): boolean {
  return node.element.converted_type === "LIST" || node.element.logical_type?.type === "LIST";
}

function isMap(node: SchemaTree): boolean {
  const el = node.element;
  return el.converted_type === "MAP" || el.converted_type === "MAP_KEY_VALUE" || el.logical_type?.type === "MAP";
}

/** An exact BigDecimal of a decoded unscaled value (int32 number, int64 bigint, big-endian two's complement bytes). */
function decimalOf(raw: unknown, scale: number): BigDecimal {
  let unscaled: bigint;
  if (typeof raw === "bigint") unscaled = raw;
  else if (typeof raw === "number") unscaled = BigInt(raw);
  else if (raw instanceof Uint8Array) {
    unscaled = 0n;
    for (const b of raw) unscaled = (unscaled << 8n) | BigInt(b);
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) unscaled -= 1n << BigInt(raw.length * 8);
  } else throw new Error(`expected a decimal's unscaled value, got ${typeof raw}`);
  return { unscaledValue: unscaled, scale };
}

type Convert = (value: unknown) => unknown;
const same: Convert = (v) => v;

function nullSafe(convert: Convert): Convert {
  return (v) => (v === null || v === undefined ? null : convert(v));
}

/** A primitive (leaf) column. */
function mapPrimitive(el: SchemaElement, where: string): { type: FieldType; convert: Convert } {
  const lt = el.logical_type;
  const ct = el.converted_type;
  if (isDecimal(el)) {
    const scale = el.scale ?? (lt?.type === "DECIMAL" ? lt.scale : 0);
    return {
      type: { kind: "logical", urn: LogicalTypeUrns.decimal, representation: { kind: "atomic", type: "BYTES" } },
      convert: (v) => decimalOf(v, scale),
    };
  }
  switch (el.type) {
    case "BOOLEAN":
      return { type: { kind: "atomic", type: "BOOLEAN" }, convert: same };
    case "INT32": {
      if (ct === "DATE" || lt?.type === "DATE") {
        return { type: { kind: "logical", urn: LogicalTypeUrns.date, representation: INT64 }, convert: same };
      }
      if (ct === "TIME_MILLIS" || lt?.type === "TIME") break;
      const bits = lt?.type === "INTEGER" ? lt.bitWidth : ct === "INT_8" || ct === "UINT_8" ? 8 : ct === "INT_16" || ct === "UINT_16" ? 16 : 32;
      const unsigned = (lt?.type === "INTEGER" && !lt.isSigned) || (ct?.startsWith("UINT_") ?? false);
      if (unsigned && bits === 32) return { type: INT64, convert: (v) => BigInt(v as number) };
      if (unsigned) return { type: { kind: "atomic", type: "INT32" }, convert: same };
      if (bits === 8) return { type: { kind: "atomic", type: "BYTE" }, convert: same };
      if (bits === 16) return { type: { kind: "atomic", type: "INT16" }, convert: same };
      return { type: { kind: "atomic", type: "INT32" }, convert: same };
    }
    case "INT64": {
      if (ct === "TIMESTAMP_MILLIS" || ct === "TIMESTAMP_MICROS" || lt?.type === "TIMESTAMP") {
        // hyparquet's parsers (see readParsers) already give epoch milliseconds.
        return { type: { kind: "logical", urn: LogicalTypeUrns.millisInstant, representation: INT64 }, convert: same };
      }
      if (ct === "TIME_MICROS" || lt?.type === "TIME") break;
      if (ct === "UINT_64" || (lt?.type === "INTEGER" && !lt.isSigned)) break;
      return { type: INT64, convert: same };
    }
    case "FLOAT":
      return { type: { kind: "atomic", type: "FLOAT" }, convert: same };
    case "DOUBLE":
      return { type: { kind: "atomic", type: "DOUBLE" }, convert: same };
    case "BYTE_ARRAY":
    case "FIXED_LEN_BYTE_ARRAY": {
      if (lt?.type === "FLOAT16") return { type: { kind: "atomic", type: "FLOAT" }, convert: same };
      if (lt?.type === "UUID") {
        return {
          type: {
            kind: "logical",
            urn: LogicalTypeUrns.uuid,
            representation: { kind: "row", schema: { fields: [{ name: "MostSignificantBits", type: INT64 }, { name: "LeastSignificantBits", type: INT64 }] } },
          },
          convert: same,
        };
      }
      const text = ct === "UTF8" || ct === "ENUM" || ct === "JSON" || lt?.type === "STRING" || lt?.type === "ENUM" || lt?.type === "JSON";
      if (text) return { type: { kind: "atomic", type: "STRING" }, convert: (v) => (v instanceof Uint8Array ? utf8.decode(v) : v) };
      if (ct === "BSON" || ct === "INTERVAL" || lt !== undefined) break;
      return { type: { kind: "atomic", type: "BYTES" }, convert: same };
    }
    default:
      break;
  }
  const annotation = lt?.type ?? ct;
  throw new Error(
    `column "${where}" has Parquet type ${String(el.type)}${annotation === undefined ? "" : ` (${annotation})`}, which beam-ts does not read ` +
      `(INT96, unsigned INT64, TIME, INTERVAL, BSON and geospatial columns have no Beam type). Leave it out with the "columns" option.`,
  );
}

/** Any node: a group (row, LIST, MAP) or a primitive column. */
function mapNode(node: SchemaTree, where: string): { type: FieldType; convert: Convert } {
  const el = node.element;
  const nullable = el.repetition_type !== "REQUIRED";
  if (el.logical_type?.type === "VARIANT") throw new Error(`column "${where}" is a Parquet VARIANT, which beam-ts does not read. Leave it out with the "columns" option.`);
  let mapped: { type: FieldType; convert: Convert };
  if (node.children.length === 0) {
    mapped = mapPrimitive(el, where);
  } else if (isList(node) && node.children.length === 1) {
    const repeated = node.children[0]!;
    // The 3-level form (list → element); a repeated group of several fields is its own element.
    const element = repeated.children.length === 1 && !isList(repeated) ? repeated.children[0]! : repeated;
    const inner = element === repeated ? mapGroupOrLeaf({ ...repeated, element: { ...repeated.element, repetition_type: "REQUIRED" } }, `${where}.element`) : mapNode(element, `${where}.element`);
    mapped = { type: { kind: "array", element: inner.type }, convert: (v) => (v as unknown[]).map(nullSafe(inner.convert)) };
  } else if (isMap(node) && node.children.length === 1 && node.children[0]!.children.length === 2) {
    const [keyNode, valueNode] = node.children[0]!.children as [SchemaTree, SchemaTree];
    const key = mapNode({ ...keyNode, element: { ...keyNode.element, repetition_type: "REQUIRED" } }, `${where}.key`);
    const value = mapNode(valueNode, `${where}.value`);
    const keyOf = keyFromProperty(key.type);
    mapped = {
      type: { kind: "map", key: key.type, value: value.type },
      convert: (v) => {
        const entries: [unknown, unknown][] =
          v instanceof Map ? [...(v as Map<unknown, unknown>)] : Object.entries(v as Record<string, unknown>).map(([k, x]) => [keyOf(k), x]);
        return new Map(entries.map(([k, x]) => [key.convert(k), nullSafe(value.convert)(x)]));
      },
    };
  } else {
    mapped = mapGroupOrLeaf(node, where);
  }
  // A repeated field outside a LIST (legacy 2-level lists) is an array of its values.
  if (el.repetition_type === "REPEATED") {
    const inner = mapped;
    return { type: { kind: "array", element: inner.type }, convert: (v) => (v as unknown[]).map(inner.convert) };
  }
  return { type: withNullable(mapped.type, nullable), convert: mapped.convert };
}

/** hyparquet assembles MAP columns as plain objects: their keys come back as property names. */
function keyFromProperty(type: FieldType): (k: string) => unknown {
  if (type.kind === "atomic" && type.type === "INT64") return (k) => BigInt(k);
  if (type.kind === "atomic" && ["BYTE", "INT16", "INT32", "FLOAT", "DOUBLE"].includes(type.type)) return Number;
  if (type.kind === "atomic" && type.type === "BOOLEAN") return (k) => k === "true";
  return (k) => k;
}

function mapGroupOrLeaf(node: SchemaTree, where: string): { type: FieldType; convert: Convert } {
  if (node.children.length === 0) return mapPrimitive(node.element, where);
  const columns = node.children.map((c) => mapColumn(c, `${where}.${c.element.name}`));
  return { type: { kind: "row", schema: { fields: columns.map((c) => c.field) } }, convert: rowConverter(columns) };
}

function rowConverter(columns: readonly MappedColumn[]): Convert {
  return (v) => {
    const row = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const c of columns) out[c.field.name] = c.convert(row[c.field.name]);
    return out;
  };
}

function mapColumn(node: SchemaTree, where: string): MappedColumn {
  const { type, convert } = mapNode(node, where);
  return { field: { name: node.element.name, type }, convert: nullSafe(convert) };
}

/**
 * The Beam schema of a Parquet file's top-level columns `names` (all when undefined), with
 * one converter per column. Throws naming the first column beam-ts cannot read.
 */
export function beamSchemaOf(root: SchemaTree, names?: readonly string[]): { schema: Schema; columns: readonly MappedColumn[] } {
  const byName = new Map(root.children.map((c) => [c.element.name, c] as const));
  const chosen = names === undefined ? root.children : names.map((n) => byName.get(n)).filter((c): c is SchemaTree => c !== undefined);
  const columns = chosen.map((c) => mapColumn(c, c.element.name));
  return { schema: { fields: columns.map((c) => c.field) }, columns };
}

/** The top-level column names of a Parquet schema. */
export function columnNamesOf(root: SchemaTree): string[] {
  return root.children.map((c) => c.element.name);
}

/** The schema elements with decimal annotations removed, so hyparquet leaves decimals unscaled (exact). */
export function withRawDecimals(elements: readonly SchemaElement[]): SchemaElement[] {
  return elements.map((el) => {
    if (!isDecimal(el)) return el;
    const { converted_type: _c, logical_type: _l, ...rest } = el;
    void _c;
    void _l;
    return rest;
  });
}
