import { RowSchema, type Schema } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import { create } from "../transforms/index.js";
import type { Column } from "./bind-expression.js";
import { parseSql } from "./parse.js";
import { explainPlan, type PlanNode } from "./plan.js";
import { Planner } from "./plan-query.js";
import { SqlError } from "./sql-error.js";
import { fieldTypeOf, sqlTypeOfField } from "./sql-types.js";
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

function planOf(query: string, inputs: SqlInputs, functions: SqlFunctions): { explain: boolean; plan: PlanNode } {
  const statement = parseSql(query);
  return { explain: statement.explain, plan: new Planner(query, columnsOf(query, inputs), userFunctions(query, functions)).plan(statement.query) };
}

/** The output schema of a plan, fields named as its columns. */
function outputSchema(plan: PlanNode): RowSchema<SqlRow> {
  return new RowSchema<SqlRow>({ fields: plan.columns.map((c) => ({ name: c.name, type: fieldTypeOf(c.type) })) }, "SqlRow");
}

function expandSql(query: string, inputs: SqlInputs, functions: SqlFunctions): PCollection<SqlRow> {
  const { explain, plan } = planOf(query, inputs, functions);
  const first = Object.values(inputs)[0]!;
  if (explain) {
    const planSchema = new RowSchema<SqlRow>({ fields: [{ name: "PLAN", type: { kind: "atomic", type: "STRING" } }] }, "SqlPlan");
    return first.pipeline.apply("Explain", create<SqlRow>([{ PLAN: explainPlan(plan) }])).withSchema(planSchema);
  }
  const names = plan.columns.map((c) => c.name);
  return new PlanTranslator(new Map(Object.entries(inputs)), query).translateToRows(plan, names).withSchema(outputSchema(plan));
}

/** Options of `sql(query, inputs, options)`: the transform's name and the query's user functions. */
export interface SqlOptions extends SqlFunctions {
  /** The transform's name in the pipeline; "SqlTransform" by default. */
  readonly name?: string;
}

class MultiInputSql extends PTransform<SqlInputs, PCollection<SqlRow>> {
  constructor(
    private readonly query: string,
    private readonly functions: SqlFunctions,
  ) {
    super("SqlTransform");
  }
  expand(inputs: SqlInputs): PCollection<SqlRow> {
    return expandSql(this.query, inputs, this.functions);
  }
}

/**
 * A query over one input named PCOLLECTION (`sql(query)`), to apply to it. Registering a
 * function gives a new transform (Beam's SqlTransform.registerUdf and registerUdaf).
 */
export class SqlQueryTransform extends PTransform<PCollection<unknown>, PCollection<SqlRow>> {
  constructor(
    private readonly query: string,
    private readonly functions: SqlFunctions = {},
  ) {
    super("SqlTransform");
  }
  expand(input: PCollection<unknown>): PCollection<SqlRow> {
    return expandSql(this.query, { PCOLLECTION: input }, this.functions);
  }

  /**
   * This query with a scalar user function the query calls as `name(...)`.
   *
   * @example pc.apply(sql("SELECT DolToEur(price) AS price FROM PCOLLECTION").registerUdf("DolToEur", dolToEur))
   */
  registerUdf(name: string, fn: SqlScalarUdf): SqlQueryTransform {
    return new SqlQueryTransform(this.query, { ...this.functions, functions: { ...this.functions.functions, [name]: fn } });
  }

  /**
   * This query with an aggregate user function (a CombineFn) the query calls as `name(x)`.
   *
   * @example pc.apply(sql("SELECT k, product(x) FROM PCOLLECTION GROUP BY k").registerUdaf("product", product))
   */
  registerUdaf(name: string, fn: SqlAggregateUdf): SqlQueryTransform {
    return new SqlQueryTransform(this.query, { ...this.functions, aggregates: { ...this.functions.aggregates, [name]: fn } });
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
 */
export function sql(query: string): SqlQueryTransform;
export function sql(query: string, inputs: SqlInputs, nameOrOptions?: string | SqlOptions): PCollection<SqlRow>;
export function sql(query: string, inputs?: SqlInputs, nameOrOptions: string | SqlOptions = {}): SqlQueryTransform | PCollection<SqlRow> {
  if (inputs === undefined) return new SqlQueryTransform(query);
  const options: SqlOptions = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
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
export function explainSql(query: string, inputs: Readonly<Record<string, PCollection<unknown> | RowSchema<unknown>>>, functions: SqlFunctions = {}): string {
  const columns = new Map<string, readonly Column[]>();
  for (const [name, v] of Object.entries(inputs)) {
    const s = v instanceof RowSchema ? v.schema : schemaOf(v);
    if (s === undefined) throw new SqlError(`the input '${name}' has no schema`, undefined, `attach one: ${name}.withSchema(S)`, query);
    columns.set(
      name,
      s.fields.map((f) => ({ table: name, name: f.name, type: sqlTypeOfField(f.type) })),
    );
  }
  const statement = parseSql(query);
  return explainPlan(new Planner(query, columns, userFunctions(query, functions)).plan(statement.query));
}
