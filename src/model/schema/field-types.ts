import type { Instant } from "../time.js";
import { LogicalTypeUrns, type BigDecimal, type FieldType, type Schema } from "./schema-types.js";

/**
 * A field type of the schema DSL: the runtime Beam `FieldType` and, as a phantom, the JS type
 * of its values. Built with `t.*`; immutable (`nullable()` returns a new one).
 *
 * @example
 * const zip: FieldSpec<string | null> = t.string().nullable();
 */
export class FieldSpec<V> {
  /** Phantom: the JS type of values of this field; never set. */
  declare readonly __value?: V;
  constructor(readonly type: FieldType) {
    Object.freeze(this);
  }
  /** The same type, nullable: its values may be null (or undefined, which encodes as null). */
  nullable(): FieldSpec<V | null> {
    return new FieldSpec<V | null>({ ...this.type, nullable: true });
  }
}

/** The JS type of a field spec's values. */
export type ValueOf<F> = F extends FieldSpec<infer V> ? V : never;

/** The fields of a row type: name to field spec. */
export type FieldSpecs = Readonly<Record<string, FieldSpec<unknown>>>;

/** The JS row type of some field specs: every field present, read-only. */
export type RowOfFields<F extends FieldSpecs> = { readonly [K in keyof F]: ValueOf<F[K]> };

/** A value of Beam's one_of logical type: which case is set, and its value. */
export type OneOfValue<F extends FieldSpecs> = { [K in keyof F & string]: { readonly case: K; readonly value: Exclude<ValueOf<F[K]>, null> } }[keyof F & string];

/** A Java-style local date and time: days since 1970-01-01 and nanoseconds since midnight. */
export interface LocalDateTime {
  readonly date: number;
  readonly time: number;
}

const atomic = <V>(type: FieldType & { kind: "atomic" } extends { type: infer A } ? A : never) => new FieldSpec<V>({ kind: "atomic", type });
const INT64: FieldType = { kind: "atomic", type: "INT64" };
const INT32: FieldType = { kind: "atomic", type: "INT32" };
const logical = <V>(urn: string, representation: FieldType, argument?: { type: FieldType; value: unknown }) =>
  new FieldSpec<V>(
    argument === undefined
      ? { kind: "logical", urn, representation }
      : { kind: "logical", urn, representation, argumentType: argument.type, argument: argument.value },
  );

/** The fields of `specs` as a Beam schema. */
export function schemaOfFields(specs: FieldSpecs): Schema {
  return { fields: Object.entries(specs).map(([name, spec]) => ({ name, type: spec.type })) };
}

function checkLength(kind: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new RangeError(`t.${kind}(${n}): the length must be an integer from 0 to 2^31-1.`);
  return n;
}

/**
 * The schema DSL's field types: every Beam schema type and Beam's standard logical types, each
 * with the JS type of its values. See docs/ARCHITECTURE.md "Schemas" for why each JS type.
 *
 * @example
 * const Order = schema({ id: t.int64(), tags: t.array(t.string()), note: t.string().nullable() });
 */
export const t = {
  /** BYTE: an integer number from -128 to 127. */
  byte: () => atomic<number>("BYTE"),
  /** INT16: an integer number from -32768 to 32767. */
  int16: () => atomic<number>("INT16"),
  /** INT32: an integer number from -2^31 to 2^31-1. */
  int32: () => atomic<number>("INT32"),
  /** INT64: a bigint from -2^63 to 2^63-1 (exact, as Java's long). */
  int64: () => atomic<bigint>("INT64"),
  /** FLOAT: a number, written as a 32-bit float. */
  float: () => atomic<number>("FLOAT"),
  /** DOUBLE: a number. */
  double: () => atomic<number>("DOUBLE"),
  /** STRING: a string, written as UTF-8. */
  string: () => atomic<string>("STRING"),
  /** BOOLEAN: a boolean. */
  boolean: () => atomic<boolean>("BOOLEAN"),
  /** BYTES: a Uint8Array. */
  bytes: () => atomic<Uint8Array>("BYTES"),
  /** Beam's decimal logical type (Java's BigDecimal): a BigDecimal, e.g. `parseBigDecimal("9.99")`. */
  decimal: () => logical<BigDecimal>(LogicalTypeUrns.decimal, { kind: "atomic", type: "BYTES" }),
  /** Java's DATETIME (millis_instant): an Instant, integer milliseconds since the epoch. */
  timestamp: () => logical<Instant>(LogicalTypeUrns.millisInstant, INT64),
  /** The same as `t.timestamp()`: Java's `FieldType.DATETIME` is an instant. */
  datetime: () => logical<Instant>(LogicalTypeUrns.millisInstant, INT64),
  /** micros_instant (Python's Timestamp): a bigint of microseconds since the epoch. */
  microsInstant: () =>
    logical<bigint>(LogicalTypeUrns.microsInstant, {
      kind: "row",
      schema: { fields: [{ name: "seconds", type: INT64 }, { name: "micros", type: INT64 }] },
    }),
  /** A date without time zone (Java's LocalDate): integer days since 1970-01-01. */
  date: () => logical<number>(LogicalTypeUrns.date, INT64),
  /** A time of day (Java's LocalTime): integer nanoseconds since midnight. */
  time: () => logical<number>(LogicalTypeUrns.time, INT64),
  /** A date and time without time zone (Java's LocalDateTime): `{ date, time }`, as `t.date()` and `t.time()`. */
  localDateTime: () =>
    logical<LocalDateTime>(LogicalTypeUrns.datetime, {
      kind: "row",
      schema: { fields: [{ name: "Date", type: INT64 }, { name: "Time", type: INT64 }] },
    }),
  /** Exactly `length` bytes: a Uint8Array. */
  fixedBytes: (length: number) => logical<Uint8Array>(LogicalTypeUrns.fixedBytes, { kind: "atomic", type: "BYTES" }, { type: INT32, value: checkLength("fixedBytes", length) }),
  /** At most `maxLength` bytes: a Uint8Array. */
  varBytes: (maxLength: number) => logical<Uint8Array>(LogicalTypeUrns.varBytes, { kind: "atomic", type: "BYTES" }, { type: INT32, value: checkLength("varBytes", maxLength) }),
  /** Exactly `length` characters (SQL CHAR): a string. */
  fixedChar: (length: number) => logical<string>(LogicalTypeUrns.fixedChar, { kind: "atomic", type: "STRING" }, { type: INT32, value: checkLength("fixedChar", length) }),
  /** At most `maxLength` characters (SQL VARCHAR): a string. */
  varChar: (maxLength: number) => logical<string>(LogicalTypeUrns.varChar, { kind: "atomic", type: "STRING" }, { type: INT32, value: checkLength("varChar", maxLength) }),
  /** A UUID: its string form, 8-4-4-4-12 hex digits. */
  uuid: () =>
    logical<string>(LogicalTypeUrns.uuid, {
      kind: "row",
      schema: { fields: [{ name: "MostSignificantBits", type: INT64 }, { name: "LeastSignificantBits", type: INT64 }] },
    }),
  /** An enumeration: one of the given names (numbered 0, 1, ... on the wire, as Java's EnumerationType.create). */
  enumeration: <const C extends readonly string[]>(...cases: C) => {
    if (new Set(cases).size !== cases.length || cases.length === 0) throw new RangeError(`t.enumeration(${cases.join(", ")}): give one or more distinct names.`);
    const argument = new Map(cases.map((c, i) => [c, i] as const));
    return logical<C[number]>(LogicalTypeUrns.enumeration, INT32, { type: { kind: "map", key: { kind: "atomic", type: "STRING" }, value: INT32 }, value: argument });
  },
  /** A union (Java's OneOfType): `{ case, value }` with exactly one of the given fields set. */
  oneOf: <F extends FieldSpecs>(cases: F) => {
    const fields = Object.entries(cases).map(([name, spec]) => ({ name, type: { ...spec.type, nullable: true } }));
    return logical<OneOfValue<F>>(LogicalTypeUrns.oneOf, { kind: "row", schema: { fields } });
  },
  /** Python's python_callable: the source text of a Python callable, for Python transforms. beam-ts never evaluates it. */
  pythonCallable: () => logical<string>(LogicalTypeUrns.pythonCallable, { kind: "atomic", type: "STRING" }),
  /** ARRAY: a JS array. */
  array: <V>(element: FieldSpec<V>) => new FieldSpec<readonly V[]>({ kind: "array", element: element.type }),
  /** ITERABLE: any iterable when writing; an array when read. */
  iterable: <V>(element: FieldSpec<V>) => new FieldSpec<Iterable<V>>({ kind: "iterable", element: element.type }),
  /** MAP: a JS Map. */
  map: <K, V>(key: FieldSpec<K>, value: FieldSpec<V>) => new FieldSpec<ReadonlyMap<K, V>>({ kind: "map", key: key.type, value: value.type }),
  /** A nested row: a plain object with these fields. */
  row: <F extends FieldSpecs>(fields: F) => new FieldSpec<RowOfFields<F>>({ kind: "row", schema: schemaOfFields(fields) }),
} as const;
