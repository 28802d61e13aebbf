import type { BigDecimal } from "../coders/index.js";
import { MAX_DECIMAL_PRECISION, addDecimal, decimalOfInteger, divideDecimal } from "./decimal-arithmetic.js";
import type { CombineFn } from "../transforms/index.js";
import { compareValues, keyValue, orderValues } from "./sql-values.js";
import { isIntegerType, type SqlType, type SqlTypeName } from "./sql-types.js";
import type { SqlAggregateUdf } from "./user-functions.js";

/** One aggregate call of a query after binding: which function, over which input field. */
export interface AggregateCall {
  readonly fn: "COUNT" | "SUM" | "AVG" | "MIN" | "MAX" | "ANY_VALUE" | "UDAF";
  /** The user's aggregate when `fn` is UDAF. */
  readonly udaf?: SqlAggregateUdf;
  readonly distinct: boolean;
  /** The field of the aggregate's input row it reads; undefined for COUNT(*). */
  readonly arg: number | undefined;
  readonly argType: SqlTypeName;
  readonly type: SqlType;
  /** For EXPLAIN: `COUNT(DISTINCT $1)`. */
  readonly text: string;
}

/** The result type of an aggregate over `arg` (see docs/SQL.md: SUM of integers is BIGINT, AVG is DOUBLE). */
export function aggregateType(fn: Exclude<AggregateCall["fn"], "UDAF">, arg: SqlType | undefined): SqlType {
  switch (fn) {
    case "COUNT":
      return { name: "BIGINT", nullable: false };
    case "SUM":
      // A DECIMAL sums exactly at its scale with room for 38 digits (Calcite under Beam's type system).
      if (arg?.name === "DECIMAL") return { name: "DECIMAL", nullable: true, ...(arg.scale === undefined ? {} : { precision: MAX_DECIMAL_PRECISION, scale: arg.scale }) };
      return { name: arg !== undefined && isIntegerType(arg.name) ? "BIGINT" : "DOUBLE", nullable: true };
    case "AVG":
      // Calcite: AVG of a DECIMAL is a DECIMAL of the argument's type.
      if (arg?.name === "DECIMAL") return { name: "DECIMAL", nullable: true, ...(arg.scale === undefined ? {} : { precision: arg.precision, scale: arg.scale }) };
      return { name: "DOUBLE", nullable: true };
    default:
      return { name: arg?.name ?? "NULL", nullable: true, ...(arg?.field === undefined ? {} : { field: arg.field }) };
  }
}

type Acc = unknown;

interface OneAggregate {
  create(): Acc;
  add(acc: Acc, v: unknown): Acc;
  merge(a: Acc, b: Acc): Acc;
  extract(acc: Acc): unknown;
}

/** Distinct values as comparable strings (the type keeps 1 and 1n apart; values here share one type). */
function distinctKey(value: unknown): string {
  // 1.5 and 1.50 are one DECIMAL value.
  const v = keyValue(value);
  return typeof v === "bigint" ? `${v}n` : typeof v === "object" ? JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x)) : `${typeof v}:${String(v)}`;
}

/**
 * AVG of DECIMALs: the exact sum over the count, rounded half away from zero to the
 * argument type's scale (Calcite keeps the type), or to the largest scale of the values
 * when the type has none.
 */
function decimalAverage(scale: number | undefined): OneAggregate {
  type Avg = [BigDecimal | null, number];
  const merge = (a: Acc, b: Acc): Acc => {
    const [s1, n1] = a as Avg;
    const [s2, n2] = b as Avg;
    return [s1 === null ? s2 : s2 === null ? s1 : addDecimal(s1, s2), n1 + n2];
  };
  return {
    create: () => [null, 0],
    add: (acc, v) => (v === null ? acc : merge(acc, [v as BigDecimal, 1])),
    merge,
    extract: (acc) => {
      const [sum, n] = acc as Avg;
      return sum === null ? null : divideDecimal(sum, decimalOfInteger(n), scale ?? Math.max(sum.scale, 0))!;
    },
  };
}

function one(call: AggregateCall): OneAggregate {
  if (call.udaf !== undefined) {
    const fn = call.udaf.combineFn as unknown as CombineFn<unknown, unknown, unknown>;
    // NULL arguments are skipped, as SQL's own aggregates skip them.
    return {
      create: () => fn.createAccumulator(),
      add: (acc, v) => (v === null ? acc : fn.addInput(acc, v)),
      merge: (a, b) => fn.mergeAccumulators([a, b]),
      extract: (acc) => fn.extractOutput(acc) ?? null,
    };
  }
  if (call.fn === "COUNT" && call.distinct) {
    return {
      create: () => new Set<string>(),
      add: (acc, v) => (v === null ? acc : (acc as Set<string>).add(distinctKey(v))),
      merge: (a, b) => {
        for (const k of b as Set<string>) (a as Set<string>).add(k);
        return a;
      },
      extract: (acc) => BigInt((acc as Set<string>).size),
    };
  }
  switch (call.fn) {
    case "COUNT":
      return {
        create: () => 0,
        add: (acc, v) => (call.arg === undefined || v !== null ? (acc as number) + 1 : acc),
        merge: (a, b) => (a as number) + (b as number),
        extract: (acc) => BigInt(acc as number),
      };
    case "SUM": {
      if (call.type.name === "BIGINT") {
        return {
          create: () => null,
          add: (acc, v) => (v === null ? acc : ((acc as bigint | null) ?? 0n) + (typeof v === "bigint" ? v : BigInt(v as number))),
          merge: (a, b) => (a === null ? b : b === null ? a : (a as bigint) + (b as bigint)),
          extract: (acc) => (acc === null ? null : BigInt.asIntN(64, acc as bigint)),
        };
      }
      if (call.type.name === "DECIMAL") {
        const plus = (a: Acc, b: Acc): Acc => (a === null ? b : b === null ? a : addDecimal(a as BigDecimal, b as BigDecimal));
        return { create: () => null, add: plus, merge: plus, extract: (acc) => acc };
      }
      return {
        create: () => null,
        add: (acc, v) => (v === null ? acc : ((acc as number | null) ?? 0) + Number(v)),
        merge: (a, b) => (a === null ? b : b === null ? a : (a as number) + (b as number)),
        extract: (acc) => acc,
      };
    }
    case "AVG":
      if (call.type.name === "DECIMAL") return decimalAverage(call.type.scale);
      return {
        create: () => [0, 0],
        add: (acc, v) => {
          if (v === null) return acc;
          const [s, n] = acc as [number, number];
          return [s + Number(v), n + 1];
        },
        merge: (a, b) => {
          const [s1, n1] = a as [number, number];
          const [s2, n2] = b as [number, number];
          return [s1 + s2, n1 + n2];
        },
        extract: (acc) => {
          const [s, n] = acc as [number, number];
          return n === 0 ? null : s / n;
        },
      };
    case "MIN":
    case "MAX": {
      const sign = call.fn === "MIN" ? -1 : 1;
      // As Beam SQL: a DOUBLE's MIN and MAX are Java's Math.min and Math.max (Min/Max.ofDoubles),
      // where a NaN wins; other types compare with compareTo (a FLOAT's NaN is its largest value).
      const better =
        call.type.name === "DOUBLE"
          ? (a: unknown, b: unknown) => Number.isNaN(b) || (!Number.isNaN(a) && compareValues(b, a) * sign > 0)
          : (a: unknown, b: unknown) => orderValues(b, a) * sign > 0;
      const pick = (a: unknown, b: unknown) => (a === null ? b : b === null ? a : better(a, b) ? b : a);
      return { create: () => null, add: pick, merge: pick, extract: (acc) => acc };
    }
    case "ANY_VALUE": {
      const pick = (a: unknown, b: unknown) => (a === null ? b : a);
      return { create: () => null, add: pick, merge: pick, extract: (acc) => acc };
    }
    case "UDAF":
      throw new Error(`unreachable: ${call.text} without its CombineFn`);
  }
}

/**
 * One CombineFn computing all aggregates of a query over rows (arrays): the accumulator is
 * an array of the aggregates' accumulators, the output an array of their results. Runners
 * lift it (partial results per bundle before the shuffle) as any CombineFn.
 *
 * @example combineGlobally(aggregatesCombineFn([countStar])) // [count]
 */
export function aggregatesCombineFn(calls: readonly AggregateCall[]): CombineFn<readonly unknown[], Acc[], unknown[]> {
  const aggs = calls.map(one);
  const args = calls.map((c) => c.arg);
  return {
    name: `Aggregates(${calls.map((c) => c.text).join(", ")})`,
    createAccumulator: () => aggs.map((a) => a.create()),
    addInput: (acc, row) => {
      for (let i = 0; i < aggs.length; i++) {
        const arg = args[i];
        acc[i] = aggs[i]!.add(acc[i], arg === undefined ? true : (row[arg] ?? null));
      }
      return acc;
    },
    mergeAccumulators: (accs) => {
      let merged: Acc[] | undefined;
      for (const acc of accs) {
        if (merged === undefined) merged = [...acc];
        else for (let i = 0; i < aggs.length; i++) merged[i] = aggs[i]!.merge(merged[i], acc[i]);
      }
      return merged ?? aggs.map((a) => a.create());
    },
    extractOutput: (acc) => aggs.map((a, i) => a.extract(acc[i])),
  };
}
