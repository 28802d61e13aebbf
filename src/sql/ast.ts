import type { BigDecimal } from "../coders/index.js";

/**
 * The SQL syntax tree beam-ts compiles: node-sql-parser's tree (untyped JSON) converted by
 * parse.ts into these typed, immutable nodes, so the binder never reads the parser's shapes.
 * `at` is the offset in the SQL text errors point at (-1 when unknown).
 */

/** A scalar expression as written. */
export type Expr =
  | { readonly kind: "column"; readonly table: string | undefined; readonly name: string; readonly at: number }
  | { readonly kind: "literal"; readonly value: LiteralValue; readonly at: number }
  | { readonly kind: "interval"; readonly millis: number; readonly at: number }
  | { readonly kind: "unary"; readonly op: "-" | "+" | "NOT"; readonly arg: Expr; readonly at: number }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly at: number }
  | { readonly kind: "isNull"; readonly arg: Expr; readonly negated: boolean; readonly at: number }
  /** `arg IS [NOT] TRUE | FALSE | UNKNOWN` over a BOOLEAN (Calcite's IS_TRUE ... IS_NOT_UNKNOWN); `at` is the IS keyword. */
  | { readonly kind: "isTruth"; readonly arg: Expr; readonly test: "TRUE" | "FALSE" | "UNKNOWN"; readonly negated: boolean; readonly at: number }
  /** `left IS [NOT] DISTINCT FROM right` (Calcite's IS_DISTINCT_FROM, IS_NOT_DISTINCT_FROM); `at` is the IS keyword. */
  | { readonly kind: "isDistinct"; readonly left: Expr; readonly right: Expr; readonly negated: boolean; readonly at: number }
  | { readonly kind: "in"; readonly arg: Expr; readonly list: readonly Expr[]; readonly negated: boolean; readonly at: number }
  | { readonly kind: "between"; readonly arg: Expr; readonly low: Expr; readonly high: Expr; readonly negated: boolean; readonly at: number }
  | { readonly kind: "like"; readonly arg: Expr; readonly pattern: Expr; readonly negated: boolean; readonly at: number }
  | {
      readonly kind: "case";
      readonly operand: Expr | undefined;
      readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
      readonly otherwise: Expr | undefined;
      readonly at: number;
    }
  /** CAST(arg AS to), with DECIMAL(precision, scale)'s parameters when given. */
  | { readonly kind: "cast"; readonly arg: Expr; readonly to: string; readonly precision?: number; readonly scale?: number; readonly at: number }
  | {
      readonly kind: "call";
      /** Upper case. */
      readonly name: string;
      readonly args: readonly Expr[];
      readonly distinct: boolean;
      /** COUNT(*). */
      readonly star: boolean;
      readonly at: number;
    };

/** The first position of an expression or of something inside it (its operands'), or -1. */
export function positionOf(e: Expr): number {
  if (e.at >= 0) return e.at;
  for (const v of Object.values(e)) {
    if (typeof v === "object" && v !== null && "kind" in v) {
      const p = positionOf(v as Expr);
      if (p >= 0) return p;
    }
  }
  return -1;
}

/**
 * A literal's value: SQL NULL is null; exact integers past 2^31 are bigints; a number with a
 * point is an exact DECIMAL (Calcite), one with an exponent a DOUBLE.
 */
export type LiteralValue =
  | { readonly type: "NULL" }
  | { readonly type: "BOOLEAN"; readonly value: boolean }
  | { readonly type: "INTEGER"; readonly value: number }
  | { readonly type: "BIGINT"; readonly value: bigint }
  | { readonly type: "DOUBLE"; readonly value: number }
  | { readonly type: "DECIMAL"; readonly value: BigDecimal }
  | { readonly type: "VARCHAR"; readonly value: string }
  /** TIMESTAMP '...': milliseconds since the epoch (UTC). */
  | { readonly type: "TIMESTAMP"; readonly value: number }
  /** DATE '...': days since 1970-01-01. */
  | { readonly type: "DATE"; readonly value: number };

/** Binary operators, as upper-case SQL. */
export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "||" | "=" | "<>" | "<" | "<=" | ">" | ">=" | "AND" | "OR";

/** One item of a SELECT list. */
export type SelectItem =
  | { readonly kind: "star"; readonly table: string | undefined; readonly at: number }
  | { readonly kind: "expr"; readonly expr: Expr; readonly alias: string | undefined };

/** The join kinds of FROM. */
export type JoinKind = "INNER" | "LEFT" | "RIGHT" | "FULL" | "CROSS";

/** One item of FROM: a named input or a subquery, joined to the items before it. */
export interface FromItem {
  readonly source: { readonly kind: "table"; readonly name: string } | { readonly kind: "subquery"; readonly query: Query };
  readonly alias: string | undefined;
  /** How it joins the items before it; undefined for the first item. */
  readonly join: JoinKind | undefined;
  readonly on: Expr | undefined;
  readonly at: number;
}

/** ORDER BY item. */
export interface OrderItem {
  readonly expr: Expr;
  readonly descending: boolean;
}

/** One SELECT block. */
export interface Select {
  readonly kind: "select";
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from: readonly FromItem[];
  readonly where: Expr | undefined;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | undefined;
  readonly orderBy: readonly OrderItem[];
  readonly limit: number | undefined;
  readonly offset: number | undefined;
  readonly at: number;
}

/** A query: a SELECT, a set operation of two queries, either with WITH before it. */
export type Query =
  | Select
  | { readonly kind: "setOp"; readonly op: SetOperator; readonly all: boolean; readonly left: Query; readonly right: Query; readonly at: number }
  | { readonly kind: "with"; readonly ctes: readonly { readonly name: string; readonly query: Query }[]; readonly body: Query; readonly at: number };

/** The set operators; each is DISTINCT unless ALL is given. */
export type SetOperator = "UNION" | "INTERSECT" | "EXCEPT";

/** A parsed statement: a query, maybe under EXPLAIN. */
export interface Statement {
  readonly explain: boolean;
  readonly query: Query;
}
