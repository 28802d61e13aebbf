import type { Expr } from "./ast.js";
import { coerce, failAt, type BindContext } from "./bind-expression.js";
import type { BoundExpr } from "./bound-expression.js";
import { isIntegerType, type SqlType } from "./sql-types.js";
import { extractField, timeUnit, type TimeUnit } from "./time-functions.js";

/**
 * Binding of SQL's date/time calls and TIMESTAMP ± INTERVAL (the arithmetic is in
 * time-functions.ts). A DATE argument is computed with as the TIMESTAMP of its midnight.
 * Functions that read the clock are refused: a pipeline's rows are computed on several
 * workers at several times, so "now" would differ between rows and between retries.
 */

type Call = Extract<Expr, { kind: "call" }>;

const CLOCK_FUNCTIONS: ReadonlySet<string> = new Set(["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME", "NOW"]);

/** Refuses a function that reads the clock, before its arguments are bound. */
export function refuseClock(e: Call, ctx: BindContext): void {
  if (CLOCK_FUNCTIONS.has(e.name)) {
    failAt(ctx, e, `${e.name} is not supported: rows are computed on different workers at different times, and again on a retry`, "put the time in a field before sql(), or use the element's event time (a TIMESTAMP field)");
  }
}

const TIMESTAMP = (nullable: boolean): SqlType => ({ name: "TIMESTAMP", nullable });
const BIGINT = (nullable: boolean): SqlType => ({ name: "BIGINT", nullable });

function unitOf(e: Call, arg: BoundExpr, ctx: BindContext, forExtract: boolean): string {
  if (arg.kind !== "literal" || typeof arg.value !== "string") failAt(ctx, e, `${e.name} takes a time unit first`, `${e.name}(HOUR, ...)`);
  const ok = forExtract ? extractField(arg.value) : timeUnit(arg.value);
  if (ok === undefined) {
    failAt(ctx, e, `${e.name} does not take the unit ${arg.value}`, `units: MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR${forExtract ? ", DOW, ISODOW, DOY, EPOCH" : ""}`);
  }
  return ok;
}

/** A TIMESTAMP or DATE argument as a TIMESTAMP. */
function instant(e: Call, arg: BoundExpr, argExpr: Expr, ctx: BindContext): BoundExpr {
  if (arg.type.name !== "TIMESTAMP" && arg.type.name !== "DATE" && arg.type.name !== "NULL") {
    failAt(ctx, argExpr, `${e.name} takes a TIMESTAMP or DATE, got ${arg.type.name}`, "CAST(x AS TIMESTAMP)");
  }
  return coerce(arg, "TIMESTAMP");
}

/** Binds EXTRACT, FLOOR/CEIL(ts TO unit), TIMESTAMPADD and TIMESTAMPDIFF; undefined for any other call. */
export function bindTimeCall(e: Call, args: readonly BoundExpr[], ctx: BindContext): BoundExpr | undefined {
  switch (e.name) {
    case "EXTRACT": {
      const unit = extractField(unitOf(e, args[0]!, ctx, true))!;
      const ts = instant(e, args[1]!, e.args[1]!, ctx);
      return { kind: "time", op: "EXTRACT", unit, args: [ts], type: BIGINT(ts.type.nullable) };
    }
    case "FLOOR":
    case "CEIL":
    case "CEILING": {
      // FLOOR(x) of a number is scalar-functions.ts's; FLOOR(ts TO unit) arrives with the unit as a string second argument.
      if (args.length !== 2 || (args[0]!.type.name !== "TIMESTAMP" && args[0]!.type.name !== "DATE")) return undefined;
      const unit = timeUnit(unitOf(e, args[1]!, ctx, false))!;
      const op = e.name === "FLOOR" ? "FLOOR" : "CEIL";
      const ts = instant(e, args[0]!, e.args[0]!, ctx);
      const bound: BoundExpr = { kind: "time", op, unit, args: [ts], type: TIMESTAMP(ts.type.nullable) };
      return args[0]!.type.name === "DATE" ? coerce(bound, "DATE") : bound;
    }
    case "TIMESTAMPADD": {
      if (args.length !== 3) failAt(ctx, e, `TIMESTAMPADD takes a unit, a count and a timestamp, got ${args.length} arguments`, "TIMESTAMPADD(MINUTE, 5, ts)");
      const unit = timeUnit(unitOf(e, args[0]!, ctx, false))!;
      const n = args[1]!;
      if (!isIntegerType(n.type.name) && n.type.name !== "NULL") failAt(ctx, e.args[1]!, `TIMESTAMPADD takes an integer count, got ${n.type.name}`, "CAST(n AS INTEGER)");
      const ts = instant(e, args[2]!, e.args[2]!, ctx);
      return { kind: "time", op: "TIMESTAMPADD", unit, args: [coerce(n, "BIGINT"), ts], type: TIMESTAMP(n.type.nullable || ts.type.nullable) };
    }
    case "TIMESTAMPDIFF": {
      if (args.length !== 3) failAt(ctx, e, `TIMESTAMPDIFF takes a unit and two timestamps, got ${args.length} arguments`, "TIMESTAMPDIFF(SECOND, start, end)");
      const unit = timeUnit(unitOf(e, args[0]!, ctx, false))!;
      const a = instant(e, args[1]!, e.args[1]!, ctx);
      const b = instant(e, args[2]!, e.args[2]!, ctx);
      return { kind: "time", op: "TIMESTAMPDIFF", unit, args: [a, b], type: BIGINT(a.type.nullable || b.type.nullable) };
    }
    default:
      return undefined;
  }
}

/**
 * `ts + INTERVAL`, `INTERVAL + ts` or `ts - INTERVAL` as a TIMESTAMPADD of milliseconds;
 * undefined when neither operand is an INTERVAL.
 */
export function bindIntervalArithmetic(e: Extract<Expr, { kind: "binary" }>, bind: (x: Expr) => BoundExpr, ctx: BindContext): BoundExpr | undefined {
  const leftInterval = e.left.kind === "interval";
  const rightInterval = e.right.kind === "interval";
  if (!leftInterval && !rightInterval) return undefined;
  if (leftInterval === rightInterval || (e.op !== "+" && e.op !== "-") || (leftInterval && e.op === "-")) {
    failAt(ctx, e, `${e.op} of an INTERVAL is not supported here`, "add an INTERVAL to a TIMESTAMP: ts + INTERVAL '1' HOUR, ts - INTERVAL '5' MINUTE");
  }
  const interval = (leftInterval ? e.left : e.right) as Extract<Expr, { kind: "interval" }>;
  const tsExpr = leftInterval ? e.right : e.left;
  const ts = bind(tsExpr);
  if (ts.type.name !== "TIMESTAMP" && ts.type.name !== "DATE" && ts.type.name !== "NULL") {
    failAt(ctx, tsExpr, `an INTERVAL is added to a TIMESTAMP or DATE, got ${ts.type.name}`, "CAST(x AS TIMESTAMP)");
  }
  const millis = BigInt(Math.round(e.op === "-" ? -interval.millis : interval.millis));
  const unit: TimeUnit = "MILLISECOND";
  const n: BoundExpr = { kind: "literal", value: millis, type: BIGINT(false) };
  return { kind: "time", op: "TIMESTAMPADD", unit, args: [n, coerce(ts, "TIMESTAMP")], type: TIMESTAMP(ts.type.nullable) };
}
