import type { BoundExpr } from "./bound-expression.js";
import { compileExpression } from "./compile-expression.js";
import type { PlanNode } from "./plan.js";
import { castValue } from "./sql-values.js";
import type { SqlTypeName } from "./sql-types.js";

/** A row inside a query: column values by position (SQL NULL is null). */
type Row = readonly unknown[];

/**
 * A reduction of a GROUP BY's input by the side-input join above it: the side, and the
 * keys of an input row of the GROUP BY and of a side row, converted to the keys' common types.
 */
export interface SemiJoinReduction {
  readonly aggregate: Extract<PlanNode, { kind: "aggregate" }>;
  readonly side: PlanNode;
  readonly mainKey: (row: Row) => readonly unknown[];
  readonly sideKey: (row: Row) => readonly unknown[];
}

/**
 * A semi-join reduction (as Calcite's SemiJoin rules; Beam SQL does not do it): when the main
 * side of an inner side-input join is a GROUP BY (under a calc or not) that is used nowhere
 * else, and some join keys read only its GROUP BY columns, the groups no side row matches on
 * those keys are dropped by the join anyway. Every row of a group has the group's key
 * columns, so the GROUP BY's input rows can be filtered by the side's keys first, in the same
 * window, and the grouping (the costly step) sees only rows that can meet a side row. Keys
 * that read an aggregate's result or the window's bounds (the filter reads the row's own
 * window instead) are left out: the filter keeps a superset of what the join keeps, and the
 * join above still applies all of ON. Nexmark's SqlQuery7 (the bids at their window's highest
 * price, over a GROUP BY of every bid column) has this shape.
 *
 * `mainKeys` and `sideKeys` are the join's key expressions over each side's own row.
 * Undefined when nothing can be reduced.
 */
export function semiJoinReduction(
  main: PlanNode,
  side: PlanNode,
  mainKeys: readonly BoundExpr[],
  sideKeys: readonly BoundExpr[],
  keyTypes: readonly SqlTypeName[],
  usedOnce: (node: PlanNode) => boolean,
): SemiJoinReduction | undefined {
  let aggregate = main;
  // Where a column of the join's main side is in the GROUP BY's input row: its key columns come first.
  let inputColumn: (index: number) => number | undefined = (index) => index;
  if (main.kind === "calc") {
    if (!usedOnce(main)) return undefined;
    aggregate = main.input;
    const projects = main.projects;
    inputColumn = (index) => {
      const p = projects[index];
      return p?.kind === "field" ? p.index : undefined;
    };
  }
  if (aggregate.kind !== "aggregate" || !usedOnce(aggregate) || aggregate.window?.fn === "SESSION") return undefined;
  const keyCount = aggregate.keyCount;
  const picked: { readonly main: (row: Row) => unknown; readonly from: SqlTypeName; readonly side: (row: Row) => unknown; readonly sideFrom: SqlTypeName; readonly to: SqlTypeName }[] = [];
  mainKeys.forEach((key, i) => {
    const onInput = remapFields(key, (index) => {
      const c = inputColumn(index);
      return c !== undefined && c < keyCount ? c : undefined;
    });
    if (onInput === undefined) return;
    picked.push({ main: compileExpression(onInput), from: key.type.name, side: compileExpression(sideKeys[i]!), sideFrom: sideKeys[i]!.type.name, to: keyTypes[i]! });
  });
  if (picked.length === 0) return undefined;
  // As the join keys its rows: each key's value converted to the common type, NULL matching nothing.
  const keyOf = (row: Row, value: (p: (typeof picked)[number]) => unknown, from: (p: (typeof picked)[number]) => SqlTypeName): unknown[] =>
    picked.map((p) => {
      const v = value(p) ?? null;
      return v === null ? null : castValue(v, from(p), p.to);
    });
  return {
    aggregate,
    side,
    mainKey: (row) => keyOf(row, (p) => p.main(row), (p) => p.from),
    sideKey: (row) => keyOf(row, (p) => p.side(row), (p) => p.sideFrom),
  };
}

/** `e` with every field position moved by `to`, or undefined when `to` has no place for one of them. */
function remapFields(e: BoundExpr, to: (index: number) => number | undefined): BoundExpr | undefined {
  let unmapped = false;
  const walk = (x: unknown): unknown => {
    if (typeof x !== "object" || x === null) return x;
    if (Array.isArray(x)) return x.map(walk);
    const b = x as BoundExpr;
    if (b.kind === "field") {
      const index = to(b.index);
      if (index === undefined) unmapped = true;
      return { ...b, index: index ?? -1 };
    }
    // Types and user functions are not expressions: kept as they are.
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === "type" || k === "fn" ? v : walk(v)]));
  };
  const out = walk(e) as BoundExpr;
  return unmapped ? undefined : out;
}
