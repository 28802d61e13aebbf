import type { BigDecimal } from "../coders/index.js";
import { negateDecimal, remainderDecimal, rescale, truncateDecimal } from "./decimal-arithmetic.js";
import { SqlArithmeticError } from "./sql-error.js";
import { commonType, isIntegerType, isNumeric, type SqlTypeName } from "./sql-types.js";
import { isBigDecimal } from "./sql-values.js";

/**
 * Built-in scalar functions: how each types its arguments (the types they are converted to,
 * and the result type) and its implementation. Strict functions return NULL when an argument
 * is NULL without being called; the others (COALESCE, NULLIF, CONCAT) see the NULLs.
 */
export interface ScalarFunction {
  /** The argument types to convert to and the result type, or why the arguments do not fit. */
  signature(args: readonly SqlTypeName[]): { readonly args: readonly SqlTypeName[]; readonly result: SqlTypeName } | string;
  readonly strict: boolean;
  /** Never set: a result that is never NULL for non-NULL arguments. */
  readonly mayReturnNull?: boolean;
  call(args: readonly unknown[]): unknown;
}

type Signature = ReturnType<ScalarFunction["signature"]>;

function arity(args: readonly SqlTypeName[], min: number, max = min): string | undefined {
  if (args.length < min || args.length > max) return `takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${args.length}`;
  return undefined;
}

function strings(n: number, max = n, rest: SqlTypeName = "VARCHAR"): (args: readonly SqlTypeName[]) => Signature {
  return (args) => {
    const bad = arity(args, n, max);
    if (bad !== undefined) return bad;
    if (args[0] !== "VARCHAR" && args[0] !== "NULL") return `takes a VARCHAR, got ${args[0]}`;
    return { args: args.map((_, i) => (i === 0 ? "VARCHAR" : rest)), result: "VARCHAR" };
  };
}

function numeric(keepType: boolean): (args: readonly SqlTypeName[]) => Signature {
  return (args) => {
    const bad = arity(args, 1);
    if (bad !== undefined) return bad;
    const t = args[0] === "NULL" ? "DOUBLE" : args[0]!;
    if (!isNumeric(t)) return `takes a number, got ${t}`;
    const c = commonType(t, t)!;
    return { args: [c], result: keepType ? c : "DOUBLE" };
  };
}

function doubles(n: number): (args: readonly SqlTypeName[]) => Signature {
  return (args) => {
    const bad = arity(args, n);
    if (bad !== undefined) return bad;
    for (const t of args) if (!isNumeric(t) && t !== "NULL") return `takes numbers, got ${t}`;
    return { args: args.map(() => "DOUBLE"), result: "DOUBLE" };
  };
}

const math = (f: (x: number) => number): ScalarFunction => ({ signature: doubles(1), strict: true, call: (a) => f(a[0] as number) });

const divisionByZero = (): never => {
  throw new SqlArithmeticError("division by zero");
};

/** Rounds half away from zero, as Calcite's ROUND (BigDecimal HALF_UP). */
function roundHalfUp(x: number, digits: number): number {
  const f = 10 ** digits;
  return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
}

/** FLOOR or CEIL of a DECIMAL: a whole number at scale 0 (Calcite: DECIMAL(p, 0)). */
function wholeDecimal(d: BigDecimal, how: "floor" | "ceil"): BigDecimal {
  const whole = truncateDecimal(d);
  const exact = whole * 10n ** BigInt(Math.max(d.scale, 0)) === d.unscaledValue * (d.scale < 0 ? 10n ** BigInt(-d.scale) : 1n);
  // Truncation went toward zero: FLOOR of a negative and CEIL of a positive fraction move one further.
  const step = exact ? 0n : how === "floor" ? (d.unscaledValue < 0n ? -1n : 0n) : d.unscaledValue > 0n ? 1n : 0n;
  return { unscaledValue: whole + step, scale: 0 };
}

/** The functions by upper-case name. */
export const SCALAR_FUNCTIONS: Readonly<Record<string, ScalarFunction>> = {
  UPPER: { signature: strings(1), strict: true, call: (a) => (a[0] as string).toUpperCase() },
  LOWER: { signature: strings(1), strict: true, call: (a) => (a[0] as string).toLowerCase() },
  TRIM: { signature: strings(1), strict: true, call: (a) => (a[0] as string).replace(/^ +| +$/g, "") },
  LTRIM: { signature: strings(1), strict: true, call: (a) => (a[0] as string).replace(/^ +/, "") },
  RTRIM: { signature: strings(1), strict: true, call: (a) => (a[0] as string).replace(/ +$/, "") },
  REVERSE: { signature: strings(1), strict: true, call: (a) => [...(a[0] as string)].reverse().join("") },
  CHAR_LENGTH: {
    signature: (args) => {
      const s = strings(1)(args);
      return typeof s === "string" ? s : { args: s.args, result: "INTEGER" };
    },
    strict: true,
    call: (a) => [...(a[0] as string)].length,
  },
  REPLACE: { signature: strings(3), strict: true, call: (a) => (a[0] as string).replaceAll(a[1] as string, a[2] as string) },
  SUBSTRING: {
    signature: strings(2, 3, "INTEGER"),
    strict: true,
    // SQL positions start at 1; a start before 1 shortens the length, as in Calcite.
    call: (a) => {
      const chars = [...(a[0] as string)];
      const start = a[1] as number;
      const end = a.length > 2 ? start + (a[2] as number) : chars.length + 1;
      return chars.slice(Math.max(start, 1) - 1, Math.max(end - 1, 0)).join("");
    },
  },
  CONCAT: {
    signature: (args) => (args.length < 1 ? "takes at least one argument" : { args: args.map(() => "VARCHAR"), result: "VARCHAR" }),
    strict: true,
    call: (a) => a.join(""),
  },
  ABS: {
    signature: numeric(true),
    strict: true,
    call: (a) => {
      const v = a[0];
      if (isBigDecimal(v)) return v.unscaledValue < 0n ? negateDecimal(v) : v;
      return typeof v === "bigint" ? (v < 0n ? -v : v) : Math.abs(v as number);
    },
  },
  MOD: {
    signature: (args) => {
      const bad = arity(args, 2);
      if (bad !== undefined) return bad;
      // Calcite's MOD takes exact numbers: integers and DECIMAL, as the % operator.
      const c = commonType(args[0]!, args[1]!);
      if (c === undefined || (!isIntegerType(c) && c !== "DECIMAL")) return `takes two integers or DECIMALs, got ${args.join(", ")}`;
      return { args: [c, c], result: c };
    },
    strict: true,
    call: (a) => {
      const [x, y] = a;
      // MOD(x, 0) fails the element, as % does (Calcite's ArithmeticException): never NaN.
      if (isBigDecimal(x)) return remainderDecimal(x, y as BigDecimal) ?? divisionByZero();
      if (typeof x === "bigint") return y === 0n ? divisionByZero() : x % (y as bigint);
      return y === 0 ? divisionByZero() : (x as number) % (y as number);
    },
  },
  FLOOR: { signature: numeric(true), strict: true, call: (a) => (isBigDecimal(a[0]) ? wholeDecimal(a[0], "floor") : typeof a[0] === "bigint" ? a[0] : Math.floor(a[0] as number)) },
  CEIL: { signature: numeric(true), strict: true, call: (a) => (isBigDecimal(a[0]) ? wholeDecimal(a[0], "ceil") : typeof a[0] === "bigint" ? a[0] : Math.ceil(a[0] as number)) },
  ROUND: {
    signature: (args) => {
      const bad = arity(args, 1, 2);
      if (bad !== undefined) return bad;
      if (!isNumeric(args[0]!) && args[0] !== "NULL") return `takes a number, got ${args[0]}`;
      const t = args[0] === "NULL" ? "DOUBLE" : commonType(args[0]!, args[0]!)!;
      return { args: args.length === 2 ? [t, "INTEGER"] : [t], result: t };
    },
    strict: true,
    call: (a) => {
      const digits = (a[1] as number | undefined) ?? 0;
      if (isBigDecimal(a[0])) return digits >= a[0].scale ? a[0] : rescale(a[0], digits);
      return typeof a[0] === "bigint" ? a[0] : roundHalfUp(a[0] as number, digits);
    },
  },
  POWER: { signature: doubles(2), strict: true, call: (a) => (a[0] as number) ** (a[1] as number) },
  SQRT: math(Math.sqrt),
  EXP: math(Math.exp),
  LN: math(Math.log),
  LOG10: math(Math.log10),
  SIGN: math(Math.sign),
};

/** Other names of functions. */
export const FUNCTION_ALIASES: Readonly<Record<string, string>> = {
  CHARACTER_LENGTH: "CHAR_LENGTH",
  LENGTH: "CHAR_LENGTH",
  CEILING: "CEIL",
  POW: "POWER",
  SUBSTR: "SUBSTRING",
};
