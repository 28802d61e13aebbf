import { RowSchema, type Schema } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { create } from "../transforms/index.js";
import type { Column } from "./bind-expression.js";
import { parseSql } from "./parse.js";
import { explainPlan, type PlanNode } from "./plan.js";
import { Planner } from "./plan-query.js";
import { SqlError } from "./sql-error.js";
import { fieldTypeOf, sqlTypeOfField } from "./sql-types.js";
import type { SqlOutputRow } from "./infer-output-type.js";
import { checkOutputSchema } from "./output-schema.js";
import { PlanTranslator } from "./translate-plan.js";
import { userFunctions, type SqlAggregateUdf, type SqlFunctions, type SqlScalarUdf } from "./user-functions.js";

/** A row of a query's output: its columns by name (SQL NULL is null). */
export type SqlRow = Readonly<Record<string, unknown>>;

/** The inputs of a query by the names it uses in FROM: PCollections with schemas. */
export type SqlInputs = Readonly<Record<string, PCollection<unknown>>>;

/** The schema of a PCollection that has one (`withSchema`, or a reader that sets it). */
function schemaOf(pc: PCollection<unknown>): Schema | undefined {
  const coder = pc.coder as { readonly schema?: Schema };
  return coder.schema !== undefined && typeof coder.schema === "object" && Array.isArray(coder.schema.fields) ? coder.schema : undefined;
}

function columnsOf(query: string, inputs: SqlInputs): Map<string, readonly Column[]> {
  const out = new Map<string, readonly Column[]>();
  for (const [name, pc] of Object.entries(inputs)) {
    const s = schemaOf(pc);
    if (s === undefined) {
      throw new SqlError(`the input '${name}' has no schema`, undefined, `attach one before sql(): ${name}.withSchema(schema({...}))`, query);
    }
    out.set(
      name,
      s.fields.map((f) => ({ table: name, name: f.name, type: sqlTypeOfField(f.type) })),
    );
  }
  return out;
}

function planOf(query: string, columns: ReadonlyMap<string, readonly Column[]>, options: SqlPlanOptions): { explain: boolean; plan: PlanNode } {
  const statement = parseSql(query);
  const planner = new Planner(query, columns, userFunctions(query, options), options.sideInputJoins);
  const plan = planner.plan(statement.query);
  const unused = planner.unusedSideInputHints();
  if (unused.length > 0) {
    throw new SqlError(`sideInputJoins names ${unused.map((n) => `'${n}'`).join(", ")}, which the query joins nowhere`, undefined, "name the joined input or subquery by its alias in FROM ... JOIN", query);
  }
  return { explain: statement.explain, plan };
}

/** What planning a query takes besides its text and inputs: its user functions and join hints. */
export interface SqlPlanOptions extends SqlFunctions {
  /**
   * FROM items (input names or aliases of subqueries) to join as side inputs (Beam SQL's
   * BeamSideInputJoinRel): the item's rows are broadcast to every worker as a multimap and
   * the other side is never shuffled. For a small side; an INNER join, or an outer join that
   * keeps the other side's rows. Without it, a bounded side joined to an unbounded one is a
   * side input, every other join a CoGroupByKey.
   */
  readonly sideInputJoins?: readonly string[];
}

/** The output schema of a plan, fields named as its columns. */
function outputSchema(plan: PlanNode): RowSchema<SqlRow> {
  return new RowSchema<SqlRow>({ fields: plan.columns.map((c) => ({ name: c.name, type: fieldTypeOf(c.type) })) }, "SqlRow");
}

/** What expanding a query takes: its plan options and the output schema the caller declared. */
interface ExpandOptions extends SqlPlanOptions {
  readonly outputSchema?: RowSchema<unknown>;
}

function expandSql(query: string, inputs: SqlInputs, options: ExpandOptions): PCollection<SqlRow> {
  const { explain, plan } = planOf(query, columnsOf(query, inputs), options);
  const first = Object.values(inputs)[0]!;
  const declared = options.outputSchema as RowSchema<SqlRow> | undefined;
  if (explain) {
    const planSchema = new RowSchema<SqlRow>({ fields: [{ name: "PLAN", type: { kind: "atomic", type: "STRING" } }] }, "SqlPlan");
    if (declared !== undefined) checkOutputSchema(query, [{ table: undefined, name: "PLAN", type: { name: "VARCHAR", nullable: false } }], declared);
    return first.pipeline.apply("Explain", create<SqlRow>([{ PLAN: explainPlan(plan) }])).withSchema(declared ?? planSchema);
  }
  if (declared !== undefined) checkOutputSchema(query, plan.columns, declared);
  const names = plan.columns.map((c) => c.name);
  return new PlanTranslator(new Map(Object.entries(inputs)), query).translateToRows(plan, names).withSchema(declared ?? outputSchema(plan));
}

/** Options of `sql(query, inputs, options)`: the transform's name, the query's user functions and join hints. */
export interface SqlOptions extends SqlPlanOptions {
  /** The transform's name in the pipeline; "SqlTransform" by default. */
  readonly name?: string;
}

/**
 * Options of `sql(query, inputs, options)` with the schema of the query's output: the output
 * PCollection is typed `PCollection<RowOf<typeof S>>`, and the schema the query gives is
 * checked against it while the pipeline is built (names, order, types, nullability).
 */
export interface SqlTypedOptions<R> extends SqlOptions {
  readonly outputSchema: RowSchema<R>;
}

class MultiInputSql extends PTransform<SqlInputs, PCollection<SqlRow>> {
  constructor(
    private readonly query: string,
    private readonly functions: ExpandOptions,
  ) {
    super("SqlTransform");
  }
  expand(inputs: SqlInputs): PCollection<SqlRow> {
    return expandSql(this.query, inputs, this.functions);
  }
}

/**
 * A query over one input named PCOLLECTION (`sql(query)`), to apply to it; its output rows are
 * `R` (SqlRow until `withOutputSchema`). Registering a function gives a new transform (Beam's
 * SqlTransform.registerUdf and registerUdaf).
 */
export class SqlQueryTransform<R = SqlRow> extends PTransform<PCollection<unknown>, PCollection<R>> {
  constructor(
    private readonly query: string,
    private readonly functions: ExpandOptions = {},
  ) {
    super("SqlTransform");
  }
  expand(input: PCollection<unknown>): PCollection<R> {
    return expandSql(this.query, { PCOLLECTION: input }, this.functions) as unknown as PCollection<R>;
  }

  /**
   * This query with a scalar user function the query calls as `name(...)`.
   *
   * @example pc.apply(sql("SELECT DolToEur(price) AS price FROM PCOLLECTION").registerUdf("DolToEur", dolToEur))
   */
  registerUdf(name: string, fn: SqlScalarUdf): SqlQueryTransform<R> {
    return new SqlQueryTransform<R>(this.query, { ...this.functions, functions: { ...this.functions.functions, [name]: fn } });
  }

  /**
   * This query with an aggregate user function (a CombineFn) the query calls as `name(x)`.
   *
   * @example pc.apply(sql("SELECT k, product(x) FROM PCOLLECTION GROUP BY k").registerUdaf("product", product))
   */
  registerUdaf(name: string, fn: SqlAggregateUdf): SqlQueryTransform<R> {
    return new SqlQueryTransform<R>(this.query, { ...this.functions, aggregates: { ...this.functions.aggregates, [name]: fn } });
  }

  /**
   * This query with its output declared as rows of `schema`: the output is a PCollection<S's
   * rows>, and a query whose output does not match (names, order, types, nullability) is a
   * SqlError when applied.
   *
   * @example const totals = orders.apply(sql("SELECT customer, SUM(amount) AS total FROM PCOLLECTION GROUP BY customer").withOutputSchema(Total));
   */
  withOutputSchema<S>(schema: RowSchema<S>): SqlQueryTransform<S> {
    return new SqlQueryTransform<S>(this.query, { ...this.functions, outputSchema: schema });
  }
}

/**
 * Beam SQL (SqlTransform): runs a SQL query over PCollections with schemas and returns a
 * PCollection of rows with the output schema attached. With one input, apply it and name the
 * input PCOLLECTION; with several, pass them by the names the query uses. The query is
 * parsed, bound, type-checked and planned while the pipeline is built (a SqlError names the
 * position and the fix) and becomes ordinary transforms, so it runs on every runner.
 * `EXPLAIN SELECT ...` gives one row { PLAN } with the Beam transforms instead. User
 * functions come in `options` (or `registerUdf`/`registerUdaf` on the one-input form).
 * See docs/SQL.md for the syntax.
 *
 * @example
 * const big = orders.apply(sql("SELECT id, amount * 2 AS doubled FROM PCOLLECTION WHERE amount > 10"));
 * @example
 * const joined = sql("SELECT o.id, c.name FROM orders o JOIN customers c ON o.customer = c.id", { orders, customers });
 * @example
 * const euros = sql("SELECT DolToEur(price) AS price FROM bids", { bids }, { functions: { DolToEur: dolToEur } });
 * @example
 * const Total = schema({ customer: t.string(), total: t.int64().nullable() });
 * const totals = sql("SELECT customer, SUM(qty) AS total FROM orders GROUP BY customer", { orders }, { outputSchema: Total }); // PCollection<RowOf<typeof Total>>
 * @example
 * // Typed from the text (infer-output-type.ts): PCollection<{ readonly customer: string; readonly n: bigint }>
 * const counts = sql("SELECT customer, COUNT(*) AS n FROM orders GROUP BY customer", { orders });
 */
export function sql(query: string): SqlQueryTransform;
export function sql<R>(query: string, inputs: SqlInputs, options: SqlTypedOptions<R>): PCollection<R>;
export function sql<const Q extends string, In extends SqlInputs>(query: Q, inputs: In, nameOrOptions?: string | SqlOptions): PCollection<SqlOutputRow<Q, In>>;
export function sql(query: string, inputs?: SqlInputs, nameOrOptions: string | SqlOptions | SqlTypedOptions<unknown> = {}): SqlQueryTransform | PCollection<unknown> {
  if (inputs === undefined) return new SqlQueryTransform(query);
  const options: ExpandOptions & SqlOptions = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  const list = Object.values(inputs);
  if (list.length === 0) throw new SqlError("sql() got no inputs", undefined, "pass the PCollections by name: sql(query, { orders })", query);
  return list[0]!.pipeline.applyTransform(inputs, options.name ?? "SqlTransform", new MultiInputSql(query, options));
}

/**
 * The plan of a query as the Beam transforms it becomes, without building anything
 * (EXPLAIN). Inputs are PCollections or schemas.
 *
 * @example explainSql("SELECT k, COUNT(*) FROM PCOLLECTION GROUP BY k", { PCOLLECTION: Words })
 */
export function explainSql(query: string, inputs: Readonly<Record<string, PCollection<unknown> | RowSchema<unknown>>>, options: SqlPlanOptions = {}): string {
  const columns = new Map<string, readonly Column[]>();
  for (const [name, v] of Object.entries(inputs)) {
    const s = v instanceof RowSchema ? v.schema : schemaOf(v);
    if (s === undefined) throw new SqlError(`the input '${name}' has no schema`, undefined, `attach one: ${name}.withSchema(S)`, query);
    columns.set(
      name,
      s.fields.map((f) => ({ table: name, name: f.name, type: sqlTypeOfField(f.type) })),
    );
  }
  return explainPlan(planOf(query, columns, options).plan);
}
