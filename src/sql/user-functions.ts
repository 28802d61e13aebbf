import type { BigDecimal } from "../coders/index.js";
import type { CombineFn } from "../transforms/index.js";
import { AGGREGATES, WINDOW_FUNCTIONS } from "./bind-expression.js";
import { FUNCTION_ALIASES, SCALAR_FUNCTIONS } from "./scalar-functions.js";
import { SqlError } from "./sql-error.js";
import type { SqlTypeName } from "./sql-types.js";

/**
 * User-defined functions of a query (Beam's SqlTransform.registerUdf and registerUdaf): a
 * scalar function is a JS function with declared SQL argument and result types; an
 * aggregate function is a CombineFn over one argument. The declared types are what the
 * binder checks calls against, so a wrong call is a SqlError at the call's position while
 * the pipeline is built, never a failure inside the function.
 */

/** The SQL types a user function may take and return. */
export type SqlValueType = Exclude<SqlTypeName, "OTHER" | "NULL">;

/** The JS value of a non-NULL SQL value of type `T` (docs/SQL.md "Types"). */
export type SqlJsValue<T extends SqlValueType> = T extends "BOOLEAN"
  ? boolean
  : T extends "BIGINT"
    ? bigint
    : T extends "VARCHAR"
      ? string
      : T extends "VARBINARY"
        ? Uint8Array
        : T extends "DECIMAL"
          ? BigDecimal
          : number;

/** The JS arguments of declared SQL argument types. */
export type SqlJsArgs<A extends readonly SqlValueType[]> = { -readonly [I in keyof A]: SqlJsValue<A[I]> };

/**
 * A scalar user function: the SQL types of its arguments and result and the JS function.
 * A call with a NULL argument gives NULL without calling it (a strict function, as Calcite's
 * for primitive parameters); `call` returns null (or undefined) for a NULL result.
 */
export interface SqlScalarUdf {
  readonly args: readonly SqlValueType[];
  readonly returns: SqlValueType;
  readonly call: (...args: never[]) => unknown;
}

/**
 * An aggregate user function: a CombineFn over the values of its one argument (rows where
 * the argument is NULL are skipped, as SQL's own aggregates skip them). Its accumulator
 * crosses bundles with the JS value coder, so it must be plain data (numbers, bigints,
 * strings, arrays, plain objects, Maps, Sets). A group of no rows gives
 * `extractOutput(createAccumulator())`.
 */
export interface SqlAggregateUdf {
  readonly combineFn: CombineFn<never, unknown, unknown>;
  readonly arg: SqlValueType;
  readonly returns: SqlValueType;
}

/** User functions by the names queries call them (case-insensitive, as unquoted SQL names). */
export interface SqlFunctions {
  readonly functions?: Readonly<Record<string, SqlScalarUdf>>;
  readonly aggregates?: Readonly<Record<string, SqlAggregateUdf>>;
}

/**
 * A typed scalar user function: `call` gets the JS values of the declared argument types.
 *
 * @example
 * const dolToEur = scalarUdf({ args: ["BIGINT"], returns: "BIGINT", call: (price) => (price * 89n) / 100n });
 */
export function scalarUdf<const A extends readonly SqlValueType[], R extends SqlValueType>(definition: {
  readonly args: A;
  readonly returns: R;
  readonly call: (...args: SqlJsArgs<A>) => SqlJsValue<R> | null | undefined;
}): SqlScalarUdf {
  return definition as unknown as SqlScalarUdf;
}

/**
 * A typed aggregate user function over a CombineFn of the argument's JS values.
 *
 * @example
 * const product = aggregateUdf({ arg: "DOUBLE", returns: "DOUBLE", combineFn: { createAccumulator: () => 1, addInput: (a, x) => a * x, mergeAccumulators: (as) => [...as].reduce((a, b) => a * b, 1), extractOutput: (a) => a } });
 */
export function aggregateUdf<T extends SqlValueType, R extends SqlValueType, Acc>(definition: {
  readonly arg: T;
  readonly returns: R;
  readonly combineFn: CombineFn<SqlJsValue<T>, Acc, SqlJsValue<R> | null>;
}): SqlAggregateUdf {
  return definition as unknown as SqlAggregateUdf;
}

/** The registered user functions of one query, by upper-case name. */
export interface UserFunctions {
  readonly scalar: ReadonlyMap<string, SqlScalarUdf>;
  readonly aggregate: ReadonlyMap<string, SqlAggregateUdf>;
}

/** No user functions. */
export const NO_USER_FUNCTIONS: UserFunctions = { scalar: new Map(), aggregate: new Map() };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks and indexes user functions: a name must be a plain SQL identifier, must not be a
 * built-in function (which it would silently shadow) and must be registered once.
 */
export function userFunctions(query: string, given: SqlFunctions | undefined): UserFunctions {
  if (given === undefined) return NO_USER_FUNCTIONS;
  const scalar = new Map<string, SqlScalarUdf>();
  const aggregate = new Map<string, SqlAggregateUdf>();
  const check = (name: string, kind: string): string => {
    const upper = name.toUpperCase();
    const refuse = (problem: string, hint: string): never => {
      throw new SqlError(`the ${kind} '${name}' ${problem}`, undefined, hint, query);
    };
    if (!NAME.test(name)) refuse("is not a SQL identifier", "name it with letters, digits and _");
    if (SCALAR_FUNCTIONS[upper] !== undefined || FUNCTION_ALIASES[upper] !== undefined || AGGREGATES.has(upper) || WINDOW_FUNCTIONS.has(upper.replace(/_(START|END)$/, "")) || BUILT_IN_NAMES.has(upper)) {
      refuse("has the name of a built-in function", "choose another name");
    }
    if (scalar.has(upper) || aggregate.has(upper)) refuse("is registered twice (names are case-insensitive)", "register each name once");
    return upper;
  };
  for (const [name, fn] of Object.entries(given.functions ?? {})) {
    if (typeof fn.call !== "function") throw new SqlError(`the function '${name}' has no call`, undefined, "give { args, returns, call }", query);
    scalar.set(check(name, "function"), fn);
  }
  for (const [name, fn] of Object.entries(given.aggregates ?? {})) {
    if (typeof fn.combineFn?.createAccumulator !== "function") throw new SqlError(`the aggregate '${name}' has no combineFn`, undefined, "give { arg, returns, combineFn }", query);
    aggregate.set(check(name, "aggregate"), fn);
  }
  return { scalar, aggregate };
}

/** Functions the binder knows that are not in SCALAR_FUNCTIONS. */
const BUILT_IN_NAMES: ReadonlySet<string> = new Set(["COALESCE", "NULLIF", "CAST", "EXTRACT", "TIMESTAMPADD", "TIMESTAMPDIFF", "CURRENT_TIMESTAMP", "CURRENT_DATE"]);
