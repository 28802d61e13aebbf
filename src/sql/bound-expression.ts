import type { SqlType, SqlTypeName } from "./sql-types.js";
import { formatDate, formatTimestamp, type ExtractField, type TimeUnit } from "./time-functions.js";
import type { SqlScalarUdf } from "./user-functions.js";

/**
 * A scalar expression after binding: names resolved to positions in the input row, every
 * node typed, implicit conversions made explicit `cast` nodes. compile-expression.ts turns
 * it into a closure; `renderExpression` prints it for EXPLAIN.
 */
export type BoundExpr =
  | { readonly kind: "field"; readonly index: number; readonly name: string; readonly type: SqlType }
  | { readonly kind: "literal"; readonly value: unknown; readonly type: SqlType }
  | { readonly kind: "not"; readonly arg: BoundExpr; readonly type: SqlType }
  | { readonly kind: "and" | "or"; readonly args: readonly BoundExpr[]; readonly type: SqlType }
  | { readonly kind: "isNull"; readonly arg: BoundExpr; readonly negated: boolean; readonly type: SqlType }
  /** `arg IS [NOT] TRUE` (value true) or `IS [NOT] FALSE` (value false): never NULL, a NULL arg is neither TRUE nor FALSE. */
  | { readonly kind: "isTruth"; readonly arg: BoundExpr; readonly value: boolean; readonly negated: boolean; readonly type: SqlType }
  /**
   * `left IS [NOT] DISTINCT FROM right`, the operands cast to one type as `=`'s are: never NULL;
   * two NULLs are not distinct, a NULL and a value are.
   */
  | { readonly kind: "isDistinct"; readonly left: BoundExpr; readonly right: BoundExpr; readonly negated: boolean; readonly type: SqlType }
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: SqlType }
  | { readonly kind: "arith"; readonly op: ArithOp; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: SqlType }
  | { readonly kind: "negate"; readonly arg: BoundExpr; readonly type: SqlType }
  | { readonly kind: "like"; readonly arg: BoundExpr; readonly pattern: BoundExpr; readonly negated: boolean; readonly type: SqlType }
  | { readonly kind: "in"; readonly arg: BoundExpr; readonly list: readonly BoundExpr[]; readonly negated: boolean; readonly type: SqlType }
  | {
      readonly kind: "case";
      readonly whens: readonly { readonly when: BoundExpr; readonly then: BoundExpr }[];
      readonly otherwise: BoundExpr;
      readonly type: SqlType;
    }
  | { readonly kind: "cast"; readonly arg: BoundExpr; readonly type: SqlType }
  | { readonly kind: "function"; readonly name: string; readonly args: readonly BoundExpr[]; readonly type: SqlType }
  /** Date/time arithmetic (time-functions.ts): EXTRACT(unit FROM ts), FLOOR/CEIL(ts TO unit), TIMESTAMPADD(unit, n, ts), TIMESTAMPDIFF(unit, a, b). */
  | { readonly kind: "time"; readonly op: "EXTRACT"; readonly unit: ExtractField; readonly args: readonly BoundExpr[]; readonly type: SqlType }
  | { readonly kind: "time"; readonly op: "FLOOR" | "CEIL" | "TIMESTAMPADD" | "TIMESTAMPDIFF"; readonly unit: TimeUnit; readonly args: readonly BoundExpr[]; readonly type: SqlType }
  /** A user-defined scalar function (registered with the query). */
  | { readonly kind: "udf"; readonly name: string; readonly fn: SqlScalarUdf; readonly args: readonly BoundExpr[]; readonly type: SqlType };

/** Comparison operators. */
export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";
/** Arithmetic operators; `||` is string concatenation. */
export type ArithOp = "+" | "-" | "*" | "/" | "%" | "||";

/** A bound expression as SQL-like text with `$i` for input fields, for EXPLAIN. */
export function renderExpression(e: BoundExpr): string {
  switch (e.kind) {
    case "field":
      return e.name;
    case "literal":
      if (e.value !== null && e.type.name === "TIMESTAMP") return `TIMESTAMP '${formatTimestamp(e.value as number)}'`;
      if (e.value !== null && e.type.name === "DATE") return `DATE '${formatDate(e.value as number)}'`;
      return e.value === null ? "NULL" : typeof e.value === "string" ? `'${e.value.replaceAll("'", "''")}'` : String(e.value);
    case "not":
      return `NOT ${renderExpression(e.arg)}`;
    case "and":
    case "or":
      return `(${e.args.map(renderExpression).join(` ${e.kind.toUpperCase()} `)})`;
    case "isNull":
      return `${renderExpression(e.arg)} IS ${e.negated ? "NOT " : ""}NULL`;
    case "isTruth":
      return `${renderExpression(e.arg)} IS ${e.negated ? "NOT " : ""}${e.value ? "TRUE" : "FALSE"}`;
    case "isDistinct":
      return `(${renderExpression(e.left)} IS ${e.negated ? "NOT " : ""}DISTINCT FROM ${renderExpression(e.right)})`;
    case "compare":
    case "arith":
      return `(${renderExpression(e.left)} ${e.op} ${renderExpression(e.right)})`;
    case "negate":
      return `-${renderExpression(e.arg)}`;
    case "like":
      return `${renderExpression(e.arg)} ${e.negated ? "NOT " : ""}LIKE ${renderExpression(e.pattern)}`;
    case "in":
      return `${renderExpression(e.arg)} ${e.negated ? "NOT " : ""}IN (${e.list.map(renderExpression).join(", ")})`;
    case "case":
      return `CASE ${e.whens.map((w) => `WHEN ${renderExpression(w.when)} THEN ${renderExpression(w.then)}`).join(" ")} ELSE ${renderExpression(e.otherwise)} END`;
    case "cast":
      return `CAST(${renderExpression(e.arg)} AS ${e.type.name})`;
    case "time": {
      const a = e.args.map(renderExpression);
      if (e.op === "EXTRACT") return `EXTRACT(${e.unit} FROM ${a[0]!})`;
      if (e.op === "FLOOR" || e.op === "CEIL") return `${e.op}(${a[0]!} TO ${e.unit})`;
      return `${e.op}(${e.unit}, ${a.join(", ")})`;
    }
    case "function":
    case "udf":
      return `${e.name}(${e.args.map(renderExpression).join(", ")})`;
  }
}

/** A typed NULL literal. */
export function nullLiteral(name: SqlTypeName): BoundExpr {
  return { kind: "literal", value: null, type: { name, nullable: true } };
}
