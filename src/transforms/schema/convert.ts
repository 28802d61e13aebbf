import type { FieldType, RowSchema, Schema } from "../../model/index.js";
import { BeamError } from "../../model/index.js";
import { ptransform, type PCollection, type PTransform } from "../../pipeline/index.js";
import { map } from "../map.js";
import type { ParDoTransform } from "../par-do.js";
import { RowParDo } from "./row-par-do.js";
import { inputSchema } from "./schema-input.js";

/**
 * Beam's Convert: from plain objects (or class instances) to rows of a schema, and back. To
 * rows, each object's schema fields are read (own properties or getters; others are left
 * out), nested rows too, and the result is checked against the schema, so a wrong value fails
 * its element naming the field rather than failing later in a coder.
 */

/** An object that is not a row of the schema `convert.toRows` was given (code `SCHEMA_MISMATCH`). */
export class SchemaMismatchError extends BeamError {
  constructor(message: string) {
    super("SCHEMA_MISMATCH", message);
  }
}

/** The schema's fields read from an object, nested rows included, as a plain object. */
export function pickRow(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined || typeof value !== "object") return value;
  const source = value as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const f of schema.fields) out[f.name] = pickValue(f.type, source[f.name]);
  return out;
}

function pickValue(type: FieldType, value: unknown): unknown {
  if (value === undefined) return null;
  if (type.kind === "row") return pickRow(type.schema, value);
  if ((type.kind === "array" || type.kind === "iterable") && type.element.kind === "row" && value !== null && typeof value === "object" && Symbol.iterator in value) {
    return [...(value as Iterable<unknown>)].map((e) => pickValue(type.element, e));
  }
  return value;
}

/** A class whose instances `convert.fromRows` makes: constructed without arguments, then given the row's fields. */
export type RowClass<T> = new () => T;

/**
 * Beam's Convert transforms.
 *
 * @example
 * const orders = parsed.apply(convert.toRows(Order)); // PCollection<RowOf<typeof Order>>, schema attached
 * const plain = orders.apply(convert.fromRows()); // the same objects, without a schema
 * const models = orders.apply(convert.fromRows(OrderModel)); // OrderModel instances
 */
export const convert = {
  /**
   * Objects to rows of `target`: reads the schema's fields of each object and checks them; an
   * object that does not fit fails with a SchemaMismatchError naming the field (a dead letter
   * under `.withExceptionHandling()`). The output has the schema.
   */
  toRows<R, In = unknown>(target: RowSchema<R>): ParDoTransform<In, PCollection<R>> {
    const label = `Convert.toRows(${target.name})`;
    return new RowParDo<In, R>(label, "ToRows", () => ({
      fn: (value: In) => {
        const row = pickRow(target.schema, value);
        const problem = target.mismatch(row);
        if (problem !== undefined) throw new SchemaMismatchError(`${label}: ${problem}.`);
        return row as R;
      },
      schema: target.schema,
      name: target.name,
    }));
  },

  /**
   * Rows to plain objects (or to instances of `type`), without a schema: the output's coder
   * is the JS value coder, so an instance keeps its class only within a fused stage (give a
   * coder with `withCoder` to keep it across a shuffle).
   */
  fromRows<R, T = R>(type?: RowClass<T>): PTransform<PCollection<R>, PCollection<T>> {
    const label = type === undefined ? "Convert.fromRows" : `Convert.fromRows(${type.name})`;
    return ptransform(label, (input: PCollection<R>) => {
      const schema = inputSchema(input, label);
      return input.apply(
        "FromRows",
        map((row: R) => {
          const plain = pickRow(schema, row) as Readonly<Record<string, unknown>>;
          return (type === undefined ? plain : Object.assign(new type() as object, plain)) as T;
        }),
      );
    });
  },
} as const;
