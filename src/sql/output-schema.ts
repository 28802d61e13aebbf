import type { RowSchema } from "../model/index.js";
import type { Column } from "./bind-expression.js";
import { SqlError } from "./sql-error.js";
import { sqlTypeOfField, type SqlType } from "./sql-types.js";

/** A column's SQL type as the query text would CAST to it. */
function spelled(type: SqlType): string {
  return type.name === "DECIMAL" && type.precision !== undefined ? `DECIMAL(${type.precision}, ${type.scale ?? 0})` : type.name;
}

/**
 * Checks the output schema a caller declares (`sql(query, inputs, { outputSchema })`) against
 * the one the query gives, while the pipeline is built: the same field names in the same
 * order, each of the SQL type the query computes (a schema type of another width is another
 * type: INT32 is not INT64), and NOT NULL only where the query can never give NULL. The
 * declared schema then types the output PCollection and encodes its rows.
 *
 * @example checkOutputSchema("SELECT k FROM t", plan.columns, schema({ k: t.string() }))
 */
export function checkOutputSchema(query: string, columns: readonly Column[], declared: RowSchema<unknown>): void {
  const fields = declared.schema.fields;
  const fail = (problem: string, fix: string): never => {
    throw new SqlError(`the query's output does not match outputSchema ${declared.name}: ${problem}`, undefined, fix, query);
  };
  const names = columns.map((c) => c.name).join(", ");
  if (fields.length !== columns.length) {
    fail(`the query gives ${columns.length} columns (${names}), the schema has ${fields.length} fields (${fields.map((f) => f.name).join(", ")})`, "select one column per field, in the schema's order");
  }
  columns.forEach((c, i) => {
    const f = fields[i]!;
    if (f.name !== c.name) fail(`column ${i + 1} is '${c.name}', the schema's field ${i + 1} is '${f.name}'`, `name it with AS ${f.name}, or rename the field (names are case-sensitive, in the schema's order)`);
    const want = sqlTypeOfField(f.type);
    const sameOther = want.name !== "OTHER" || JSON.stringify({ ...f.type, nullable: undefined }) === JSON.stringify({ ...(c.type.field ?? {}), nullable: undefined });
    if (want.name !== c.type.name || !sameOther) {
      fail(`column '${c.name}' is ${spelled(c.type)}, the schema's field is ${want.name}`, `declare the field as the query's type, or CAST(... AS ${want.name}) AS ${c.name} in the query`);
    }
    if (c.type.nullable && f.type.nullable !== true) {
      fail(`column '${c.name}' may be NULL, the schema's field is not nullable`, `declare it .nullable(), or give it a value for NULL, e.g. COALESCE(${c.name}, ...)`);
    }
  });
}
