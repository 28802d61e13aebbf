import type { Field, FieldSpec, FieldType, Schema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import { rowCoder, type Row } from "../../coders/index.js";
import { isBinaryCombineFn, toCombineFn, type CombineFn } from "../combine-fn.js";
import { readPath, resolveField } from "./field-path.js";
import { project, projection } from "./select.js";
import { nullableType, requireDistinctNames } from "./schema-input.js";

/**
 * The aggregations of Beam's Group (Java's SchemaAggregateFn): each one a CombineFn over one
 * field (or a row of several fields) with an output field, all run as one composite CombineFn
 * so that a Group is a single lifted Combine.perKey (or Combine.globally).
 */

/** An aggregation as the builder records it, before the input schema is known. */
export interface AggregationSpec {
  /** The input field path, or several paths whose values the CombineFn gets as a row. */
  readonly fields: string | readonly string[];
  readonly fn: CombineFn<unknown, unknown, unknown>;
  readonly as: string;
  /** The output field's type when given; otherwise inferred from the CombineFn. */
  readonly type?: FieldSpec<unknown>;
}

/** An aggregation resolved against the input schema. */
interface Aggregation {
  readonly read: (row: unknown) => unknown;
  readonly fn: CombineFn<unknown, unknown, unknown>;
  readonly field: Field;
  /** Makes the CombineFn's output a value of the field (Count's number becomes an INT64 bigint). */
  readonly toField: (value: unknown) => unknown;
}

const identity = (v: unknown): unknown => v;
const toBigInt = (v: unknown): unknown => (typeof v === "number" ? BigInt(v) : v);

/**
 * The output field type of an aggregation whose type was not given: as Beam Java infers it
 * from the CombineFn's output type, here from the built-in CombineFns' names. Count gives
 * an INT64 (Java's Long), Mean a DOUBLE, Sum the input's type, Min, Max and binary functions
 * the input's type made nullable (their result for no input is undefined).
 */
function inferredType(fn: CombineFn<unknown, unknown, unknown>, input: FieldType | undefined, where: string, as: string): { type: FieldType; toField: (v: unknown) => unknown } {
  if (fn.name === "Count") return { type: { kind: "atomic", type: "INT64" }, toField: toBigInt };
  if (fn.name === "Mean") return { type: { kind: "atomic", type: "DOUBLE" }, toField: identity };
  if (input !== undefined) {
    if (fn.name === "Sum") return { type: { ...input, nullable: false }, toField: identity };
    if (fn.name === "Min" || fn.name === "Max" || isBinaryCombineFn(fn)) return { type: nullableType(input), toField: identity };
  }
  throw new ConstructionError(
    `${where}: the type of the field "${as}" cannot be inferred from the CombineFn "${fn.name ?? "CombineFn"}"; give it: { name: "${as}", type: t.int64() } (the type of its output).`,
  );
}

/** Resolves aggregations against the input schema: how to read each input and the output schema. */
export function resolveAggregations(schema: Schema, specs: readonly AggregationSpec[], where: string): { aggregations: readonly Aggregation[]; schema: Schema } {
  if (specs.length === 0) throw new ConstructionError(`${where}: aggregate at least one field, as .aggregateField("amount", sum(), "total").`);
  const aggregations = specs.map((spec): Aggregation => {
    const fn = toCombineFn(spec.fn);
    let read: (row: unknown) => unknown;
    let inputType: FieldType | undefined;
    if (typeof spec.fields === "string") {
      const resolved = resolveField(schema, spec.fields, where);
      read = (row) => readPath(row, resolved.names);
      inputType = resolved.type;
    } else {
      const p = projection(schema, spec.fields, where);
      read = (row) => project(p, row);
      inputType = undefined;
    }
    const given = spec.type?.type;
    const { type, toField } = given !== undefined ? { type: given, toField: identity } : inferredType(fn, inputType, where, spec.as);
    return { read, fn, field: { name: spec.as, type }, toField };
  });
  requireDistinctNames(
    aggregations.map((a) => a.field.name),
    where,
    "Give each aggregation its own output name.",
  );
  return { aggregations, schema: { fields: aggregations.map((a) => a.field) } };
}

/**
 * One CombineFn running every aggregation on whole rows: its accumulator is the list of the
 * aggregations' accumulators, its output the row of their outputs. Lifting applies to it as
 * to any CombineFn.
 */
export function compositeCombineFn(aggregations: readonly Aggregation[], valueSchema: Schema): CombineFn<unknown, unknown[], Row> {
  return {
    name: `Aggregate(${aggregations.map((a) => a.field.name).join(", ")})`,
    createAccumulator: () => aggregations.map((a) => a.fn.createAccumulator()),
    addInput: (accs, row) => {
      aggregations.forEach((a, i) => {
        accs[i] = a.fn.addInput(accs[i], a.read(row));
      });
      return accs;
    },
    mergeAccumulators: (all) => {
      const lists = [...all];
      return aggregations.map((a, i) => a.fn.mergeAccumulators(lists.map((accs) => accs[i])));
    },
    compact: (accs) => aggregations.map((a, i) => (a.fn.compact ? a.fn.compact(accs[i]) : accs[i])),
    extractOutput: (accs) => {
      const out: Row = {};
      aggregations.forEach((a, i) => {
        out[a.field.name] = a.toField(a.fn.extractOutput(accs[i]));
      });
      return out;
    },
    outputCoder: rowCoder(valueSchema, { name: "aggregates" }),
  };
}
