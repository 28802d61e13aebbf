/**
 * Beam schemas (schema.proto) as plain, immutable model values: named, typed fields. The row
 * coder (src/coders) encodes rows of a schema as every Beam SDK does; the schema DSL
 * (`schema`, `t`) builds these values together with their static row type.
 */

/** Beam's atomic field types (schema.proto AtomicType). */
export type AtomicType = "BYTE" | "INT16" | "INT32" | "INT64" | "FLOAT" | "DOUBLE" | "STRING" | "BOOLEAN" | "BYTES";

/**
 * The type of a field or of a collection's elements. `nullable` is Beam's FieldType.nullable.
 * A logical type names its meaning by URN and is carried on the wire as its `representation`;
 * `argumentType`/`argument` parameterize it (a fixed_char's length, an enumeration's cases).
 *
 * @example
 * const zip: FieldType = { kind: "atomic", type: "STRING", nullable: true };
 */
export type FieldType =
  | { readonly kind: "atomic"; readonly type: AtomicType; readonly nullable?: boolean }
  | { readonly kind: "array" | "iterable"; readonly element: FieldType; readonly nullable?: boolean }
  | { readonly kind: "map"; readonly key: FieldType; readonly value: FieldType; readonly nullable?: boolean }
  | { readonly kind: "row"; readonly schema: Schema; readonly nullable?: boolean }
  | {
      readonly kind: "logical";
      readonly urn: string;
      readonly representation: FieldType;
      readonly argumentType?: FieldType;
      /** The argument as a value of `argumentType` (a Map for map types). */
      readonly argument?: unknown;
      readonly nullable?: boolean;
    };

/**
 * One named field of a schema.
 *
 * @example
 * const id: Field = { name: "id", type: { kind: "atomic", type: "INT64" } };
 */
export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly description?: string;
  /** Position on the wire when the schema says encoding positions are set. */
  readonly encodingPosition?: number;
}

/**
 * A Beam schema: an ordered list of uniquely named fields.
 *
 * @example
 * const s: Schema = { fields: [{ name: "word", type: { kind: "atomic", type: "STRING" } }] };
 */
export interface Schema {
  readonly fields: readonly Field[];
  /** Beam's schema id (a UUID); rows of equal ids share a coder. Derived from the fields when absent. */
  readonly id?: string;
  readonly encodingPositionsSet?: boolean;
}

/**
 * An exact decimal number as Java's BigDecimal holds it: `unscaledValue × 10^-scale`. The
 * scale is part of the value ("1.0" is 10 at scale 1, "1.00" 100 at scale 2). Values of the
 * schema logical type `beam:logical_type:decimal:v1` (SQL DECIMAL, Java BigDecimal fields).
 *
 * @example
 * const price: BigDecimal = { unscaledValue: 31415n, scale: 4 }; // 3.1415
 */
export interface BigDecimal {
  readonly unscaledValue: bigint;
  readonly scale: number;
}

/**
 * URNs of the logical types beam-ts knows: schema.proto's standard ones (micros_instant,
 * millis_instant, python_callable, decimal, fixed/var bytes and chars) and those of Beam
 * Java's `logicaltypes` package that name a URN (date, time, datetime, uuid, enum, one_of).
 * A logical type beam-ts does not know is read and written as its representation.
 *
 * @example
 * const at: FieldType = { kind: "logical", urn: LogicalTypeUrns.millisInstant, representation: { kind: "atomic", type: "INT64" } };
 */
export const LogicalTypeUrns = {
  /** An instant as Java's InstantCoder writes it (8 bytes), not as its INT64 representation. */
  millisInstant: "beam:logical_type:millis_instant:v1",
  /** ROW<seconds: INT64, micros: INT64>: Python's Timestamp. */
  microsInstant: "beam:logical_type:micros_instant:v1",
  /** Java's BigDecimalCoder (scale, then the unscaled value), not its BYTES representation. */
  decimal: "beam:logical_type:decimal:v1",
  /** INT64 days since 1970-01-01 (Java's LocalDate). */
  date: "beam:logical_type:date:v1",
  /** INT64 nanoseconds since midnight (Java's LocalTime). */
  time: "beam:logical_type:time:v1",
  /** ROW<Date: INT64, Time: INT64>: a date and time without a time zone (Java's LocalDateTime). */
  datetime: "beam:logical_type:datetime:v1",
  /** BYTES of exactly `argument` (INT32) bytes. */
  fixedBytes: "beam:logical_type:fixed_bytes:v1",
  /** BYTES of at most `argument` (INT32) bytes. */
  varBytes: "beam:logical_type:var_bytes:v1",
  /** STRING of exactly `argument` (INT32) characters. */
  fixedChar: "beam:logical_type:fixed_char:v1",
  /** STRING of at most `argument` (INT32) characters. */
  varChar: "beam:logical_type:var_char:v1",
  /** INT32 case numbers; the argument MAP<STRING, INT32> names them (Java's EnumerationType). */
  enumeration: "beam:logical_type:enum:v1",
  /** A ROW of nullable fields of which exactly one is set (Java's OneOfType). */
  oneOf: "beam:logical_type:one_of:v1",
  /** ROW<MostSignificantBits: INT64, LeastSignificantBits: INT64> (Java's UuidLogicalType). */
  uuid: "beam:logical_type:uuid:v1",
  /** STRING: the source of a Python callable, for Python transforms; never evaluated here. */
  pythonCallable: "beam:logical_type:python_callable:v1",
} as const;
