import { LogicalTypeUrns, type FieldType } from "../model/index.js";

/**
 * SQL types and their JS values, the schema types' (docs/ARCHITECTURE.md "Schemas"):
 * TINYINT/SMALLINT/INTEGER and FLOAT/DOUBLE are numbers, BIGINT a bigint, VARCHAR a string,
 * VARBINARY a Uint8Array, TIMESTAMP an Instant (ms number), DATE a number of days since
 * 1970-01-01 (the date logical type's value), DECIMAL a BigDecimal. OTHER is
 * a schema type SQL only carries (arrays, maps, rows, other logical types): it can be
 * selected and passed through, not computed with. NULL is the type of the NULL literal.
 * SQL NULL is JS null everywhere.
 */
export type SqlTypeName =
  | "BOOLEAN"
  | "TINYINT"
  | "SMALLINT"
  | "INTEGER"
  | "BIGINT"
  | "FLOAT"
  | "DOUBLE"
  | "DECIMAL"
  | "VARCHAR"
  | "VARBINARY"
  | "TIMESTAMP"
  | "DATE"
  | "OTHER"
  | "NULL";

/**
 * A value's SQL type: its name, whether it may be NULL, and for OTHER the schema type it
 * carries. A DECIMAL may know its precision and scale (a literal, a CAST to DECIMAL(p, s) and
 * arithmetic on those); a schema's decimal field does not (Beam's decimal logical type has
 * none), so its values keep their own scale.
 */
export interface SqlType {
  readonly name: SqlTypeName;
  readonly nullable: boolean;
  readonly field?: FieldType;
  readonly precision?: number;
  readonly scale?: number;
}

/** A type of `name`. */
export function sqlType(name: SqlTypeName, nullable: boolean): SqlType {
  return { name, nullable };
}

/** Types computed with as JS numbers. */
export function isNumberType(name: SqlTypeName): boolean {
  return name === "TINYINT" || name === "SMALLINT" || name === "INTEGER" || name === "FLOAT" || name === "DOUBLE";
}

/** Exact integer types. */
export function isIntegerType(name: SqlTypeName): boolean {
  return name === "TINYINT" || name === "SMALLINT" || name === "INTEGER" || name === "BIGINT";
}

/** Types arithmetic takes. */
export function isNumeric(name: SqlTypeName): boolean {
  return isNumberType(name) || name === "BIGINT" || name === "DECIMAL";
}

// An exact integer meets a DECIMAL as a DECIMAL, and a DECIMAL meets a FLOAT or DOUBLE as a DOUBLE (Calcite).
const NUMERIC_RANK: Readonly<Partial<Record<SqlTypeName, number>>> = { TINYINT: 0, SMALLINT: 1, INTEGER: 2, BIGINT: 3, DECIMAL: 4, FLOAT: 5, DOUBLE: 6 };

/**
 * The type two operands meet at (Calcite's leastRestrictive): the wider numeric type, the
 * same type, or undefined when they do not meet. TINYINT and SMALLINT widen to INTEGER and
 * FLOAT to DOUBLE for computing.
 */
export function commonType(a: SqlTypeName, b: SqlTypeName): SqlTypeName | undefined {
  if (a === "NULL") return b;
  if (b === "NULL") return a;
  if (a === b && a !== "OTHER") return a;
  // A DATE meets a TIMESTAMP as the TIMESTAMP of its midnight (UTC), as in Calcite.
  if ((a === "DATE" && b === "TIMESTAMP") || (a === "TIMESTAMP" && b === "DATE")) return "TIMESTAMP";
  const ra = NUMERIC_RANK[a];
  const rb = NUMERIC_RANK[b];
  if (ra !== undefined && rb !== undefined) return computeType(ra >= rb ? a : b);
  return undefined;
}

/** The type arithmetic computes in. */
export function computeType(name: SqlTypeName): SqlTypeName {
  if (name === "TINYINT" || name === "SMALLINT") return "INTEGER";
  if (name === "FLOAT") return "DOUBLE";
  return name;
}

/** The SQL type of a schema field type. */
export function sqlTypeOfField(type: FieldType): SqlType {
  const nullable = type.nullable === true;
  if (type.kind === "atomic") {
    const names: Readonly<Record<string, SqlTypeName>> = {
      BYTE: "TINYINT",
      INT16: "SMALLINT",
      INT32: "INTEGER",
      INT64: "BIGINT",
      FLOAT: "FLOAT",
      DOUBLE: "DOUBLE",
      STRING: "VARCHAR",
      BOOLEAN: "BOOLEAN",
      BYTES: "VARBINARY",
    };
    return { name: names[type.type] ?? "OTHER", nullable, field: type };
  }
  if (type.kind === "logical") {
    if (type.urn === LogicalTypeUrns.millisInstant) return { name: "TIMESTAMP", nullable, field: type };
    if (type.urn === LogicalTypeUrns.date) return { name: "DATE", nullable, field: type };
    if (type.urn === LogicalTypeUrns.decimal) return { name: "DECIMAL", nullable, field: type };
    if (type.urn === LogicalTypeUrns.varChar || type.urn === LogicalTypeUrns.fixedChar) return { name: "VARCHAR", nullable, field: type };
  }
  return { name: "OTHER", nullable, field: type };
}

const INT64: FieldType = { kind: "atomic", type: "INT64" };

/** The schema field type of a SQL type (its own field type when it came from a schema). */
export function fieldTypeOf(type: SqlType): FieldType {
  const base = ((): FieldType => {
    if (type.field !== undefined && sqlTypeOfField(type.field).name === type.name) return type.field;
    switch (type.name) {
      case "BOOLEAN":
        return { kind: "atomic", type: "BOOLEAN" };
      case "TINYINT":
        return { kind: "atomic", type: "BYTE" };
      case "SMALLINT":
        return { kind: "atomic", type: "INT16" };
      case "INTEGER":
        return { kind: "atomic", type: "INT32" };
      case "BIGINT":
        return INT64;
      case "FLOAT":
        return { kind: "atomic", type: "FLOAT" };
      case "DOUBLE":
        return { kind: "atomic", type: "DOUBLE" };
      case "VARCHAR":
      case "NULL":
        return { kind: "atomic", type: "STRING" };
      case "VARBINARY":
        return { kind: "atomic", type: "BYTES" };
      case "TIMESTAMP":
        return { kind: "logical", urn: LogicalTypeUrns.millisInstant, representation: INT64 };
      case "DATE":
        return { kind: "logical", urn: LogicalTypeUrns.date, representation: INT64 };
      case "DECIMAL":
        return { kind: "logical", urn: LogicalTypeUrns.decimal, representation: { kind: "atomic", type: "BYTES" } };
      case "OTHER":
        return type.field ?? { kind: "atomic", type: "STRING" };
    }
  })();
  const nullable = type.nullable || type.name === "NULL";
  return nullable === (base.nullable === true) ? base : { ...base, nullable };
}
