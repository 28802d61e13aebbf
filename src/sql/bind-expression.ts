import { positionOf, type Expr } from "./ast.js";
import type { BoundExpr, CompareOp } from "./bound-expression.js";
import { bindIntervalArithmetic, bindTimeCall, refuseClock } from "./bind-time.js";
import { FUNCTION_ALIASES, SCALAR_FUNCTIONS } from "./scalar-functions.js";
import { SqlError, positionAt } from "./sql-error.js";
import { canCast } from "./sql-values.js";
import { commonType, computeType, isNumeric, type SqlType, type SqlTypeName } from "./sql-types.js";
import { INTEGER_SHAPES, MAX_DECIMAL_PRECISION, addShape, divideShape, multiplyShape, shapeOfValue, type DecimalShape } from "./decimal-arithmetic.js";
import type { SqlScalarUdf, UserFunctions } from "./user-functions.js";

/** A column of a relation: its (table) qualifier, name and type. */
export interface Column {
  readonly table: string | undefined;
  readonly name: string;
  readonly type: SqlType;
}

/** What names mean where an expression is bound. */
export interface BindContext {
  /** The SQL text, for errors. */
  readonly query: string;
  /** The input row's columns, by position. */
  readonly columns: readonly Column[];
  /** The clause, for errors: "WHERE", "SELECT". */
  readonly clause: string;
  /** Binds an aggregate call; undefined where aggregates are not allowed. */
  readonly aggregate?: (call: Extract<Expr, { kind: "call" }>) => BoundExpr;
  /** Tried first on every expression: the aggregate phase maps GROUP BY expressions and window functions to its fields. */
  readonly replace?: (e: Expr) => BoundExpr | undefined;
  /** The query's user-defined functions. */
  readonly functions?: UserFunctions;
}

/** The aggregate functions. */
export const AGGREGATES: ReadonlySet<string> = new Set(["COUNT", "SUM", "AVG", "MIN", "MAX", "ANY_VALUE"]);
/** Beam SQL's windowing functions of GROUP BY and their _START/_END. */
export const WINDOW_FUNCTIONS: ReadonlySet<string> = new Set(["TUMBLE", "HOP", "SESSION"]);

/** A canonical text of an expression as written, positions left out: GROUP BY matching. */
export function exprKey(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => (k === "at" ? undefined : typeof v === "bigint" ? `${v}n` : v));
}

/** The first position of an expression or of something inside it, or -1 (ast.ts's, re-exported for the planner). */
export { positionOf };

/** Raises a SqlError at `e`. */
export function failAt(ctx: { readonly query: string }, e: Expr | number, problem: string, hint?: string): never {
  const at = typeof e === "number" ? e : positionOf(e);
  throw new SqlError(problem, at >= 0 ? positionAt(ctx.query, at) : undefined, hint, ctx.query);
}

/** Converts `e` to type `to` (a no-op when it has it). */
export function coerce(e: BoundExpr, to: SqlTypeName): BoundExpr {
  if (e.type.name === to) return e;
  if (e.kind === "literal" && e.value === null) return { kind: "literal", value: null, type: { name: to, nullable: true } };
  // An exact integer becomes the DECIMAL that holds all its values (INTEGER is DECIMAL(10, 0)), exactly.
  const shape = to === "DECIMAL" ? INTEGER_SHAPES[e.type.name] : undefined;
  return { kind: "cast", arg: e, type: { name: to, nullable: e.type.nullable, ...shape } };
}

/** The precision and scale a numeric operand has as a DECIMAL, when its type fixes them. */
export function decimalShapeOf(type: SqlType): DecimalShape | undefined {
  if (type.name === "DECIMAL") return type.precision === undefined || type.scale === undefined ? undefined : { precision: type.precision, scale: type.scale };
  return INTEGER_SHAPES[type.name];
}

const BOOL = (nullable: boolean): SqlType => ({ name: "BOOLEAN", nullable });

/** Binds and type-checks an expression. */
export function bindExpr(e: Expr, ctx: BindContext): BoundExpr {
  const replaced = ctx.replace?.(e);
  if (replaced !== undefined) return replaced;
  switch (e.kind) {
    case "column":
      return resolveColumn(e, ctx);
    case "literal":
      if (e.value.type === "DECIMAL") return { kind: "literal", value: e.value.value, type: { name: "DECIMAL", nullable: false, ...shapeOfValue(e.value.value) } };
      return e.value.type === "NULL"
        ? { kind: "literal", value: null, type: { name: "NULL", nullable: true } }
        : { kind: "literal", value: e.value.value, type: { name: e.value.type, nullable: false } };
    case "interval":
      return failAt(ctx, e, "an INTERVAL outside TUMBLE, HOP or SESSION and not added to a TIMESTAMP", "INTERVAL literals are windowing arguments in GROUP BY or added to a TIMESTAMP: ts + INTERVAL '1' HOUR");
    case "unary": {
      const arg = bindExpr(e.arg, ctx);
      if (e.op === "NOT") return { kind: "not", arg: requireBoolean(arg, e.arg, ctx, "NOT"), type: BOOL(arg.type.nullable) };
      if (!isNumeric(arg.type.name) && arg.type.name !== "NULL") failAt(ctx, e.arg, `${e.op} takes a number, got ${arg.type.name}`);
      const typed = coerce(arg, computeType(arg.type.name === "NULL" ? "INTEGER" : arg.type.name));
      return e.op === "+" ? typed : { kind: "negate", arg: typed, type: typed.type };
    }
    case "binary":
      return bindBinary(e, ctx);
    case "isNull":
      return { kind: "isNull", arg: bindExpr(e.arg, ctx), negated: e.negated, type: BOOL(false) };
    case "isTruth": {
      // Calcite types the operand BOOLEAN (a bare NULL becomes one); IS UNKNOWN is its IS NULL.
      const arg = requireBoolean(bindExpr(e.arg, ctx), e.arg, ctx, `IS ${e.negated ? "NOT " : ""}${e.test}`);
      if (e.test === "UNKNOWN") return { kind: "isNull", arg, negated: e.negated, type: BOOL(false) };
      return { kind: "isTruth", arg, value: e.test === "TRUE", negated: e.negated, type: BOOL(false) };
    }
    case "isDistinct": {
      // Calcite's operand types are `=`'s (comparable, one common type); the result is never NULL.
      const { left, right } = comparable(bindExpr(e.left, ctx), bindExpr(e.right, ctx), e, ctx);
      return { kind: "isDistinct", left, right, negated: e.negated, type: BOOL(false) };
    }
    case "between": {
      const arg = bindExpr(e.arg, ctx);
      const low = compare(">=", arg, bindExpr(e.low, ctx), e, ctx);
      const high = compare("<=", arg, bindExpr(e.high, ctx), e, ctx);
      const both: BoundExpr = { kind: "and", args: [low, high], type: BOOL(low.type.nullable || high.type.nullable) };
      return e.negated ? { kind: "not", arg: both, type: both.type } : both;
    }
    case "in": {
      const arg = bindExpr(e.arg, ctx);
      const list = e.list.map((x) => bindExpr(x, ctx));
      let t: SqlTypeName | undefined = arg.type.name;
      for (let i = 0; i < list.length; i++) {
        t = commonType(t ?? "NULL", list[i]!.type.name);
        if (t === undefined) failAt(ctx, e.list[i]!, `IN list value of type ${list[i]!.type.name} does not compare with ${arg.type.name}`);
      }
      const to = t ?? "NULL";
      return {
        kind: "in",
        arg: coerce(arg, to),
        list: list.map((x) => coerce(x, to)),
        negated: e.negated,
        type: BOOL(arg.type.nullable || list.some((x) => x.type.nullable)),
      };
    }
    case "like": {
      const arg = bindExpr(e.arg, ctx);
      const pattern = bindExpr(e.pattern, ctx);
      for (const [b, x] of [
        [arg, e.arg],
        [pattern, e.pattern],
      ] as const) {
        if (b.type.name !== "VARCHAR" && b.type.name !== "NULL") failAt(ctx, x, `LIKE takes VARCHAR operands, got ${b.type.name}`, "CAST(x AS VARCHAR) first");
      }
      return { kind: "like", arg: coerce(arg, "VARCHAR"), pattern: coerce(pattern, "VARCHAR"), negated: e.negated, type: BOOL(arg.type.nullable || pattern.type.nullable) };
    }
    case "case":
      return bindCase(e, ctx);
    case "cast": {
      const arg = bindExpr(e.arg, ctx);
      const to = castTarget(e.to);
      if (to === undefined) failAt(ctx, e, `CAST to ${e.to} is not supported`, "cast to BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL, VARCHAR, TIMESTAMP or DATE");
      if (!canCast(arg.type.name, to)) failAt(ctx, e, `cannot CAST ${arg.type.name} to ${to}`);
      if (to === "DECIMAL" && e.precision !== undefined) {
        const scale = e.scale ?? 0;
        if (e.precision < 1 || e.precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > e.precision) {
          failAt(ctx, e, `DECIMAL(${e.precision}, ${scale}) is not a valid type`, `the precision is 1 to ${MAX_DECIMAL_PRECISION} digits and the scale 0 to the precision, e.g. DECIMAL(10, 2)`);
        }
        return { kind: "cast", arg, type: { name: "DECIMAL", nullable: arg.type.nullable, precision: e.precision, scale } };
      }
      return arg.type.name === to ? arg : { kind: "cast", arg, type: { name: to, nullable: arg.type.nullable } };
    }
    case "call":
      return bindCall(e, ctx);
  }
}

function resolveColumn(e: Extract<Expr, { kind: "column" }>, ctx: BindContext): BoundExpr {
  const matches = (exact: boolean) =>
    ctx.columns
      .map((c, index) => ({ c, index }))
      .filter(({ c }) => {
        const eq = (a: string | undefined, b: string) => a !== undefined && (exact ? a === b : a.toLowerCase() === b.toLowerCase());
        return eq(c.name, e.name) && (e.table === undefined || eq(c.table, e.table));
      });
  let found = matches(true);
  if (found.length === 0) found = matches(false);
  const shown = e.table === undefined ? e.name : `${e.table}.${e.name}`;
  if (found.length > 1) {
    failAt(ctx, e, `column '${shown}' is ambiguous`, `qualify it: ${[...new Set(found.map(({ c }) => `${c.table ?? "?"}.${c.name}`))].join(" or ")}`);
  }
  const hit = found[0];
  if (hit === undefined) {
    const names = ctx.columns.map((c) => (e.table !== undefined && c.table !== undefined ? `${c.table}.${c.name}` : c.name));
    const near = closest(shown, names);
    failAt(
      ctx,
      e,
      `unknown column '${shown}' in ${ctx.clause}`,
      `${near === undefined ? "" : `did you mean '${near}'? `}the columns here are ${[...new Set(names)].join(", ") || "(none)"}`,
    );
  }
  return { kind: "field", index: hit.index, name: shown, type: hit.c.type };
}

/** The nearest name by edit distance, if near enough to be a typo. */
export function closest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const n of names) {
    const d = editDistance(word.toLowerCase(), n.toLowerCase());
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function requireBoolean(b: BoundExpr, e: Expr, ctx: BindContext, where: string): BoundExpr {
  if (b.type.name === "NULL") return coerce(b, "BOOLEAN");
  if (b.type.name !== "BOOLEAN") failAt(ctx, e, `${where} takes a BOOLEAN, got ${b.type.name}`, "compare it with something: x = 1, x IS NOT NULL");
  return b;
}

function compare(op: CompareOp, left: BoundExpr, right: BoundExpr, e: Expr, ctx: BindContext): BoundExpr {
  const both = comparable(left, right, e, ctx);
  return { kind: "compare", op, left: both.left, right: both.right, type: BOOL(left.type.nullable || right.type.nullable) };
}

/** Two operands of a comparison cast to their common type; a SqlError at `e` when they have none. */
function comparable(left: BoundExpr, right: BoundExpr, e: Expr, ctx: BindContext): { readonly left: BoundExpr; readonly right: BoundExpr } {
  const t = commonType(left.type.name, right.type.name);
  if (t === undefined || t === "OTHER") {
    failAt(ctx, e, `cannot compare ${left.type.name} with ${right.type.name}`, `CAST one side, e.g. CAST(x AS ${left.type.name})`);
  }
  return { left: coerce(left, t), right: coerce(right, t) };
}

function bindBinary(e: Extract<Expr, { kind: "binary" }>, ctx: BindContext): BoundExpr {
  const interval = bindIntervalArithmetic(e, (x) => bindExpr(x, ctx), ctx);
  if (interval !== undefined) return interval;
  const left = bindExpr(e.left, ctx);
  const right = bindExpr(e.right, ctx);
  switch (e.op) {
    case "AND":
    case "OR": {
      const l = requireBoolean(left, e.left, ctx, e.op);
      const r = requireBoolean(right, e.right, ctx, e.op);
      return { kind: e.op === "AND" ? "and" : "or", args: [l, r], type: BOOL(l.type.nullable || r.type.nullable) };
    }
    case "=":
    case "<>":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compare(e.op, left, right, e, ctx);
    case "||": {
      for (const [b, x] of [
        [left, e.left],
        [right, e.right],
      ] as const) {
        if (b.type.name !== "VARCHAR" && b.type.name !== "NULL") failAt(ctx, x, `|| takes VARCHAR operands, got ${b.type.name}`, "CAST(x AS VARCHAR) first");
      }
      return { kind: "arith", op: "||", left: coerce(left, "VARCHAR"), right: coerce(right, "VARCHAR"), type: { name: "VARCHAR", nullable: left.type.nullable || right.type.nullable } };
    }
    default: {
      for (const [b, x] of [
        [left, e.left],
        [right, e.right],
      ] as const) {
        if (!isNumeric(b.type.name) && b.type.name !== "NULL") failAt(ctx, x, `${e.op} takes numbers, got ${b.type.name}`, "CAST it to a number");
      }
      const t = commonType(left.type.name, right.type.name);
      const to = t === undefined || t === "NULL" ? "INTEGER" : computeType(t);
      const nullable = left.type.nullable || right.type.nullable;
      if (to === "DECIMAL") return { kind: "arith", op: e.op, left: coerce(left, to), right: coerce(right, to), type: { name: to, nullable, ...decimalResultShape(e.op, left.type, right.type) } };
      return { kind: "arith", op: e.op, left: coerce(left, to), right: coerce(right, to), type: { name: to, nullable } };
    }
  }
}

/** Calcite's DECIMAL result type of an arithmetic operator, when both operands' shapes are known. */
function decimalResultShape(op: string, left: SqlType, right: SqlType): DecimalShape | undefined {
  const a = left.name === "NULL" ? decimalShapeOf(right) : decimalShapeOf(left);
  const b = right.name === "NULL" ? a : decimalShapeOf(right);
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case "+":
    case "-":
      return addShape(a, b);
    case "*":
      return multiplyShape(a, b);
    case "/":
      return divideShape(a, b);
    default:
      // MOD: Calcite's type is the wider operand's (the remainder is smaller than either).
      return { precision: Math.max(a.precision, b.precision), scale: Math.max(a.scale, b.scale) };
  }
}

function bindCase(e: Extract<Expr, { kind: "case" }>, ctx: BindContext): BoundExpr {
  const operand = e.operand === undefined ? undefined : bindExpr(e.operand, ctx);
  const whens = e.whens.map((w) => {
    const when = bindExpr(w.when, ctx);
    return { when: operand === undefined ? requireBoolean(when, w.when, ctx, "WHEN") : compare("=", operand, when, w.when, ctx), then: bindExpr(w.then, ctx) };
  });
  const otherwise = e.otherwise === undefined ? undefined : bindExpr(e.otherwise, ctx);
  const results = [...whens.map((w) => w.then), ...(otherwise === undefined ? [] : [otherwise])];
  let t: SqlTypeName = "NULL";
  for (const [i, r] of results.entries()) {
    const next = commonType(t, r.type.name);
    if (next === undefined) failAt(ctx, i < e.whens.length ? e.whens[i]!.then : e, `CASE results of types ${t} and ${r.type.name} do not mix`, "CAST them to one type");
    t = next;
  }
  const nullable = otherwise === undefined || results.some((r) => r.type.nullable);
  return {
    kind: "case",
    whens: whens.map((w) => ({ when: w.when, then: coerce(w.then, t) })),
    otherwise: otherwise === undefined ? { kind: "literal", value: null, type: { name: t, nullable: true } } : coerce(otherwise, t),
    type: { name: t, nullable },
  };
}

function bindCall(e: Extract<Expr, { kind: "call" }>, ctx: BindContext): BoundExpr {
  if (AGGREGATES.has(e.name) || ctx.functions?.aggregate.has(e.name) === true) {
    if (ctx.aggregate === undefined) failAt(ctx, e, `the aggregate ${e.name} is not allowed in ${ctx.clause}`, "aggregate in SELECT or HAVING, or filter groups with HAVING");
    return ctx.aggregate(e);
  }
  const window = e.name.replace(/_(START|END)$/, "");
  if (WINDOW_FUNCTIONS.has(window)) {
    failAt(ctx, e, `${e.name} is allowed only in a query that groups by ${window}(...)`, `add GROUP BY ${window}(ts, INTERVAL ...) with the same arguments`);
  }
  refuseClock(e, ctx);
  const args = e.args.map((a) => bindExpr(a, ctx));
  const time = bindTimeCall(e, args, ctx);
  if (time !== undefined) return time;
  if (e.name === "COALESCE" || e.name === "NULLIF") {
    if (e.name === "NULLIF" && args.length !== 2) failAt(ctx, e, "NULLIF takes 2 arguments");
    if (args.length === 0) failAt(ctx, e, "COALESCE takes at least one argument");
    let t: SqlTypeName = "NULL";
    for (const [i, a] of args.entries()) {
      const next = commonType(t, a.type.name);
      if (next === undefined) failAt(ctx, e.args[i]!, `${e.name} arguments of types ${t} and ${a.type.name} do not mix`, "CAST them to one type");
      t = next;
    }
    const nullable = e.name === "NULLIF" || args.every((a) => a.type.nullable);
    return { kind: "function", name: e.name, args: args.map((a) => coerce(a, t)), type: { name: t, nullable } };
  }
  const udf = ctx.functions?.scalar.get(e.name);
  if (udf !== undefined) return bindUdf(e, udf, args, ctx);
  const name = FUNCTION_ALIASES[e.name] ?? e.name;
  const fn = SCALAR_FUNCTIONS[name];
  if (fn === undefined) failAt(ctx, e, `unknown function ${e.name}`, `see docs/SQL.md for the functions beam-ts SQL has`);
  const sig = fn.signature(args.map((a) => a.type.name));
  if (typeof sig === "string") failAt(ctx, e, `${e.name} ${sig}`);
  return { kind: "function", name, args: args.map((a, i) => coerce(a, sig.args[i]!)), type: { name: sig.result, nullable: args.some((a) => a.type.nullable) } };
}

/**
 * Whether a value of type `from` passes where `to` is declared without an explicit CAST:
 * the same type, NULL, or a widening (an integer to a wider integer or a floating type).
 */
export function widensTo(from: SqlTypeName, to: SqlTypeName): boolean {
  if (from === to || from === "NULL") return true;
  const a = WIDENING.indexOf(from);
  return a >= 0 && a <= WIDENING.indexOf(to);
}

const WIDENING: readonly SqlTypeName[] = ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE"];

/** A call of a user-defined scalar function, its arguments checked against the declared types. */
function bindUdf(e: Extract<Expr, { kind: "call" }>, fn: SqlScalarUdf, args: readonly BoundExpr[], ctx: BindContext): BoundExpr {
  const declared = `${e.name}(${fn.args.join(", ")})`;
  if (e.distinct || e.star) failAt(ctx, e, `${e.name} is a scalar function`, `call it as ${declared}`);
  if (args.length !== fn.args.length) failAt(ctx, e, `${e.name} takes ${fn.args.length} argument${fn.args.length === 1 ? "" : "s"}, got ${args.length}`, `call it as ${declared}`);
  const converted = args.map((a, i) => {
    const want = fn.args[i]!;
    if (!widensTo(a.type.name, want)) failAt(ctx, e.args[i]!, `argument ${i + 1} of ${e.name} is ${want}, got ${a.type.name}`, `CAST(... AS ${want}); the function is ${declared}`);
    return coerce(a, want);
  });
  return { kind: "udf", name: e.name, fn, args: converted, type: { name: fn.returns, nullable: true } };
}

/** The SQL type a CAST names. */
export function castTarget(name: string): SqlTypeName | undefined {
  const names: Readonly<Record<string, SqlTypeName>> = {
    BOOLEAN: "BOOLEAN",
    BOOL: "BOOLEAN",
    TINYINT: "TINYINT",
    SMALLINT: "SMALLINT",
    INT: "INTEGER",
    INTEGER: "INTEGER",
    BIGINT: "BIGINT",
    FLOAT: "FLOAT",
    REAL: "FLOAT",
    DOUBLE: "DOUBLE",
    DECIMAL: "DECIMAL",
    NUMERIC: "DECIMAL",
    VARCHAR: "VARCHAR",
    CHAR: "VARCHAR",
    STRING: "VARCHAR",
    TIMESTAMP: "TIMESTAMP",
    DATE: "DATE",
  };
  return names[name.toUpperCase()];
}
