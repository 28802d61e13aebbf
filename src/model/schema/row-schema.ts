import { rowMismatch } from "./check-value.js";
import { schemaOfFields, type FieldSpecs, type RowOfFields } from "./field-types.js";
import type { Schema } from "./schema-types.js";

/**
 * A schema defined once in TypeScript: the runtime Beam schema (`schema`) and, as a phantom,
 * the static type of its rows (`RowOf<typeof S>`). Attach it to a PCollection with
 * `pc.withSchema(S)`; the PCollection then encodes with Beam's RowCoder.
 *
 * @example
 * const Word = schema({ word: t.string(), count: t.int64() }, { name: "Word" });
 * type Word = RowOf<typeof Word>; // { readonly word: string; readonly count: bigint }
 */
export class RowSchema<R> {
  /** Phantom: the JS type of rows of this schema; never set. */
  declare readonly __row?: R;
  constructor(
    /** The Beam schema. */
    readonly schema: Schema,
    /** The name errors start field paths with (`Order.address.zip`). */
    readonly name: string = "row",
    /** The DSL fields it was built from (empty for schemas from elsewhere); `t.row(S.fields)` nests it. */
    readonly fields: FieldSpecs = {},
  ) {
    Object.freeze(this);
  }

  /**
   * Why `value` is not a row of this schema (`Order.address.zip: expected string, got 12345`),
   * or undefined when it is one.
   *
   * @example
   * Word.mismatch({ word: "a", count: 1 }); // "Word.count: expected int64 (bigint), got 1"
   */
  mismatch(value: unknown): string | undefined {
    return rowMismatch(this.schema, value, this.name);
  }
}

/** The static row type of a schema made with `schema(...)`. */
export type RowOf<S> = S extends RowSchema<infer R> ? R : never;

/** Options of `schema(...)`. */
export interface SchemaOptions {
  /** Starts the field paths of error messages; "row" when absent. */
  readonly name?: string;
  /** Beam's schema id (a UUID); derived from the fields when absent, so equal schemas share it. */
  readonly id?: string;
}

/**
 * Defines a schema from field types (`t.*`): the runtime schema and the static row type at once.
 * Field order is the order written, which is the order on the wire.
 *
 * @example
 * const Order = schema({
 *   id: t.int64(),
 *   customer: t.string(),
 *   amount: t.decimal(),
 *   at: t.timestamp(),
 *   tags: t.array(t.string()),
 *   address: t.row({ street: t.string(), zip: t.string() }).nullable(),
 * }, { name: "Order" });
 * type Order = RowOf<typeof Order>;
 */
export function schema<F extends FieldSpecs>(fields: F, options: SchemaOptions = {}): RowSchema<RowOfFields<F>> {
  const base = schemaOfFields(fields);
  return new RowSchema<RowOfFields<F>>(options.id === undefined ? base : { ...base, id: options.id }, options.name ?? "row", fields);
}
