import type { ArithOp, BoundExpr, CompareOp } from "./bound-expression.js";
import { SCALAR_FUNCTIONS } from "./scalar-functions.js";
import type { BigDecimal } from "../coders/index.js";
import { addDecimal, divideDecimal, divideShape, multiplyDecimal, negateDecimal, remainderDecimal, shapeOfValue, subtractDecimal } from "./decimal-arithmetic.js";
import { SqlArithmeticError } from "./sql-error.js";
import { castValue, compareValues, isBigDecimal } from "./sql-values.js";
import { addUnits, ceilTo, diffUnits, extract, floorTo } from "./time-functions.js";
import type { SqlTypeName } from "./sql-types.js";

/** A compiled expression: the value of a row (SQL NULL is null). */
export type Evaluator = (row: readonly unknown[]) => unknown;

/**
 * Compiles a bound expression into nested closures over its tree. SQL text never becomes
 * JavaScript source: every operator is a closure chosen here, so a query cannot run code.
 * Boolean logic is SQL's three-valued one (null is UNKNOWN): FALSE AND NULL is FALSE,
 * TRUE OR NULL is TRUE, NOT NULL is NULL.
 *
 * @example compileExpression(bound)([1n, "a"]) // the value for the row (1n, 'a')
 */
export function compileExpression(e: BoundExpr): Evaluator {
  switch (e.kind) {
    case "field": {
      const i = e.index;
      return (row) => row[i] ?? null;
    }
    case "literal": {
      const v = e.value;
      return () => v;
    }
    case "not": {
      const arg = compileExpression(e.arg);
      return (row) => {
        const v = arg(row);
        return v === null ? null : !v;
      };
    }
    case "and": {
      const args = e.args.map(compileExpression);
      return (row) => {
        let unknown = false;
        for (const a of args) {
          const v = a(row);
          if (v === false) return false;
          if (v === null) unknown = true;
        }
        return unknown ? null : true;
      };
    }
    case "or": {
      const args = e.args.map(compileExpression);
      return (row) => {
        let unknown = false;
        for (const a of args) {
          const v = a(row);
          if (v === true) return true;
          if (v === null) unknown = true;
        }
        return unknown ? null : false;
      };
    }
    case "isNull": {
      const arg = compileExpression(e.arg);
      return e.negated ? (row) => arg(row) !== null : (row) => arg(row) === null;
    }
    case "isTruth": {
      // Two-valued: NULL (UNKNOWN) IS TRUE and IS FALSE are false, IS NOT TRUE and IS NOT FALSE true.
      const arg = compileExpression(e.arg);
      const value = e.value;
      return e.negated ? (row) => arg(row) !== value : (row) => arg(row) === value;
    }
    case "isDistinct": {
      // Two-valued: NULL is not distinct from NULL and is distinct from any value; two values by `=`.
      const l = compileExpression(e.left);
      const r = compileExpression(e.right);
      const negated = e.negated;
      return (row) => {
        const a = l(row);
        const b = r(row);
        const distinct = a === null || b === null ? a !== b : compareValues(a, b) !== 0;
        return distinct !== negated;
      };
    }
    case "compare": {
      const l = compileExpression(e.left);
      const r = compileExpression(e.right);
      const test = comparison(e.op);
      return (row) => {
        const a = l(row);
        if (a === null) return null;
        const b = r(row);
        if (b === null) return null;
        return test(compareValues(a, b));
      };
    }
    case "arith": {
      const l = compileExpression(e.left);
      const r = compileExpression(e.right);
      const op = e.type.name === "DECIMAL" ? decimalArithmetic(e.op, e.type.scale) : arithmetic(e.op, e.type.name);
      return (row) => {
        const a = l(row);
        if (a === null) return null;
        const b = r(row);
        if (b === null) return null;
        return op(a, b);
      };
    }
    case "negate": {
      const arg = compileExpression(e.arg);
      const name = e.type.name;
      return (row) => {
        const v = arg(row);
        if (v === null) return null;
        if (typeof v === "bigint") return BigInt.asIntN(64, -v);
        if (isBigDecimal(v)) return negateDecimal(v);
        return name === "INTEGER" ? -(v as number) | 0 : -(v as number);
      };
    }
    case "like": {
      const arg = compileExpression(e.arg);
      const negated = e.negated;
      if (e.pattern.kind === "literal" && typeof e.pattern.value === "string") {
        const re = likeRegExp(e.pattern.value);
        return (row) => {
          const v = arg(row);
          return v === null ? null : re.test(v as string) !== negated;
        };
      }
      const pattern = compileExpression(e.pattern);
      return (row) => {
        const v = arg(row);
        const p = pattern(row);
        return v === null || p === null ? null : likeRegExp(p as string).test(v as string) !== negated;
      };
    }
    case "in": {
      const arg = compileExpression(e.arg);
      const list = e.list.map(compileExpression);
      const negated = e.negated;
      return (row) => {
        const v = arg(row);
        if (v === null) return null;
        let unknown = false;
        for (const x of list) {
          const w = x(row);
          if (w === null) unknown = true;
          else if (compareValues(v, w) === 0) return !negated;
        }
        return unknown ? null : negated;
      };
    }
    case "case": {
      const whens = e.whens.map((w) => ({ when: compileExpression(w.when), then: compileExpression(w.then) }));
      const otherwise = compileExpression(e.otherwise);
      return (row) => {
        for (const w of whens) if (w.when(row) === true) return w.then(row);
        return otherwise(row);
      };
    }
    case "cast": {
      const arg = compileExpression(e.arg);
      const from = e.arg.type.name;
      const to = e.type.name;
      const shape = e.type.precision === undefined ? undefined : { precision: e.type.precision, scale: e.type.scale ?? 0 };
      return (row) => {
        const v = arg(row);
        return v === null ? null : castValue(v, from, to, shape);
      };
    }
    case "function":
      return compileFunction(e);
    case "time":
      return compileTime(e);
    case "udf": {
      const args = e.args.map(compileExpression);
      const call = e.fn.call as (...values: unknown[]) => unknown;
      // Strict, as Calcite calls a function of primitive parameters: a NULL argument is a NULL result.
      if (args.length === 1) {
        const [a] = args as [Evaluator];
        return (row) => {
          const v = a(row);
          return v === null ? null : (call(v) ?? null);
        };
      }
      return (row) => {
        const values = args.map((a) => a(row));
        if (values.includes(null)) return null;
        return call(...values) ?? null;
      };
    }
  }
}

function compileFunction(e: Extract<BoundExpr, { kind: "function" }>): Evaluator {
  const args = e.args.map(compileExpression);
  if (e.name === "COALESCE") {
    return (row) => {
      for (const a of args) {
        const v = a(row);
        if (v !== null) return v;
      }
      return null;
    };
  }
  if (e.name === "NULLIF") {
    const [a, b] = args as [Evaluator, Evaluator];
    return (row) => {
      const x = a(row);
      const y = b(row);
      return x !== null && y !== null && compareValues(x, y) === 0 ? null : x;
    };
  }
  const fn = SCALAR_FUNCTIONS[e.name]!;
  if (fn.strict && args.length >= 1 && args.length <= 2) {
    const [a, b] = args as [Evaluator, Evaluator | undefined];
    return (row) => {
      const x = a(row);
      if (x === null) return null;
      if (b === undefined) return fn.call([x]);
      const y = b(row);
      return y === null ? null : fn.call([x, y]);
    };
  }
  return (row) => {
    const values = args.map((a) => a(row));
    if (fn.strict && values.includes(null)) return null;
    return fn.call(values);
  };
}

function compileTime(e: Extract<BoundExpr, { kind: "time" }>): Evaluator {
  const [a, b] = e.args.map(compileExpression) as [Evaluator, Evaluator | undefined];
  const strict2 = (f: (x: unknown, y: unknown) => unknown): Evaluator => (row) => {
    const x = a(row);
    if (x === null) return null;
    const y = b!(row);
    return y === null ? null : f(x, y);
  };
  switch (e.op) {
    case "EXTRACT": {
      const unit = e.unit;
      return (row) => {
        const v = a(row);
        return v === null ? null : extract(unit, v as number);
      };
    }
    case "FLOOR":
    case "CEIL": {
      const unit = e.unit;
      const f = e.op === "FLOOR" ? floorTo : ceilTo;
      return (row) => {
        const v = a(row);
        return v === null ? null : f(unit, v as number);
      };
    }
    case "TIMESTAMPADD": {
      const unit = e.unit;
      return strict2((n, ts) => addUnits(unit, Number(n as bigint), ts as number));
    }
    case "TIMESTAMPDIFF": {
      const unit = e.unit;
      return strict2((x, y) => diffUnits(unit, x as number, y as number));
    }
  }
}

function comparison(op: CompareOp): (c: number) => boolean {
  switch (op) {
    case "=":
      return (c) => c === 0;
    case "<>":
      return (c) => c !== 0;
    case "<":
      return (c) => c < 0;
    case "<=":
      return (c) => c <= 0;
    case ">":
      return (c) => c > 0;
    case ">=":
      return (c) => c >= 0;
  }
}


/**
 * One operator in one type. INTEGER wraps at 32 bits and BIGINT at 64, as Java's int and
 * long do in Beam SQL; integer division truncates toward zero; DOUBLE is IEEE.
 */
function arithmetic(op: ArithOp, type: SqlTypeName): (a: unknown, b: unknown) => unknown {
  if (op === "||") return (a, b) => (a as string) + (b as string);
  if (type === "BIGINT") {
    const wrap = (x: bigint) => BigInt.asIntN(64, x);
    switch (op) {
      case "+":
        return (a, b) => wrap((a as bigint) + (b as bigint));
      case "-":
        return (a, b) => wrap((a as bigint) - (b as bigint));
      case "*":
        return (a, b) => wrap((a as bigint) * (b as bigint));
      case "/":
      case "%":
        return (a, b) => {
          if (b === 0n) throw new SqlArithmeticError("division by zero");
          return wrap(op === "/" ? (a as bigint) / (b as bigint) : (a as bigint) % (b as bigint));
        };
    }
  }
  if (type === "INTEGER") {
    switch (op) {
      case "+":
        return (a, b) => ((a as number) + (b as number)) | 0;
      case "-":
        return (a, b) => ((a as number) - (b as number)) | 0;
      case "*":
        return (a, b) => Math.imul(a as number, b as number);
      case "/":
      case "%":
        return (a, b) => {
          if (b === 0) throw new SqlArithmeticError("division by zero");
          return op === "/" ? Math.trunc((a as number) / (b as number)) | 0 : (a as number) % (b as number) | 0;
        };
    }
  }
  switch (op) {
    case "+":
      return (a, b) => (a as number) + (b as number);
    case "-":
      return (a, b) => (a as number) - (b as number);
    case "*":
      return (a, b) => (a as number) * (b as number);
    case "/":
      return (a, b) => (a as number) / (b as number);
    case "%":
      return (a, b) => (a as number) % (b as number);
  }
}

/**
 * One operator on DECIMALs, exact: + and - at the larger scale, * at the sum of the scales,
 * / at Calcite's scale (the type's when both operands' types fix it, else derived from the
 * two values' own digits) rounded half away from zero, % at the larger scale.
 */
function decimalArithmetic(op: ArithOp, scale: number | undefined): (a: unknown, b: unknown) => unknown {
  switch (op) {
    case "+":
      return (a, b) => addDecimal(a as BigDecimal, b as BigDecimal);
    case "-":
      return (a, b) => subtractDecimal(a as BigDecimal, b as BigDecimal);
    case "*":
      return (a, b) => multiplyDecimal(a as BigDecimal, b as BigDecimal);
    case "/":
      return (a, b) => {
        const x = a as BigDecimal;
        const y = b as BigDecimal;
        const q = divideDecimal(x, y, scale ?? divideShape(shapeOfValue(x), shapeOfValue(y)).scale);
        if (q === undefined) throw new SqlArithmeticError("division by zero");
        return q;
      };
    case "%":
      return (a, b) => {
        const r = remainderDecimal(a as BigDecimal, b as BigDecimal);
        if (r === undefined) throw new SqlArithmeticError("division by zero");
        return r;
      };
    case "||":
      return (a, b) => (a as string) + (b as string);
  }
}

/** SQL LIKE as a regular expression: % any run, _ any one character, the rest literal. */
export function likeRegExp(pattern: string): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "%") source += "[\\s\\S]*";
    else if (ch === "_") source += "[\\s\\S]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}
