import type { AggregateCall } from "./aggregate-functions.js";
import type { Column } from "./bind-expression.js";
import { renderExpression, type BoundExpr } from "./bound-expression.js";
import type { JoinKind } from "./ast.js";

/**
 * The logical plan of a query: relational operators over rows (arrays of column values).
 * translate-plan.ts applies each as Beam transforms; `explainPlan` prints which.
 */
export type PlanNode =
  /** A named input PCollection of schema rows. */
  | { readonly kind: "input"; readonly name: string; readonly columns: readonly Column[] }
  /** Filter then project: one ParDo (a projection and a filter fuse). */
  | { readonly kind: "calc"; readonly input: PlanNode; readonly filter: BoundExpr | undefined; readonly projects: readonly BoundExpr[]; readonly columns: readonly Column[] }
  /**
   * GROUP BY: the input's first `keyCount` fields are the key; the output is the key, the
   * aggregates, then the window's start and end when windowed.
   */
  | {
      readonly kind: "aggregate";
      readonly input: PlanNode;
      readonly keyCount: number;
      readonly aggregates: readonly AggregateCall[];
      readonly window: WindowSpec | undefined;
      readonly columns: readonly Column[];
    }
  /**
   * An equi-join on CoGroupByKey; `residual` is the rest of ON, tested per pair. With
   * `sideInput` that side is read as a side input instead (side-input-join.ts), as the query's
   * options ask; translate-plan.ts also picks one for a bounded side of an unbounded join.
   */
  | {
      readonly kind: "join";
      readonly left: PlanNode;
      readonly right: PlanNode;
      readonly join: JoinKind;
      readonly leftKeys: readonly BoundExpr[];
      readonly rightKeys: readonly BoundExpr[];
      readonly residual: BoundExpr | undefined;
      readonly sideInput?: "left" | "right";
      /** The joined FROM item's offset in the query text, for errors found while translating. */
      readonly at: number;
      readonly columns: readonly Column[];
    }
  | { readonly kind: "union"; readonly inputs: readonly PlanNode[]; readonly columns: readonly Column[] }
  /**
   * INTERSECT or EXCEPT [ALL] (Beam's BeamSetOperatorRelBase): both sides keyed by the whole
   * row on one CoGroupByKey; a row with m copies on the left and n on the right gives
   * INTERSECT ALL min(m, n), INTERSECT one if both are positive, EXCEPT ALL max(m - n, 0),
   * EXCEPT one if n is 0. Rows are equal when every column is (NULL equals NULL here).
   */
  | {
      readonly kind: "setOp";
      readonly op: "INTERSECT" | "EXCEPT";
      readonly all: boolean;
      readonly left: PlanNode;
      readonly right: PlanNode;
      /** The operator's offset in the query text, for the windowing check at translation. */
      readonly at: number;
      readonly columns: readonly Column[];
    }
  /** ORDER BY ... LIMIT: a global top-N combine. */
  | {
      readonly kind: "topN";
      readonly input: PlanNode;
      readonly order: readonly { readonly index: number; readonly descending: boolean }[];
      readonly limit: number;
      readonly offset: number;
      readonly columns: readonly Column[];
    };

/** Beam SQL's windowing of a GROUP BY: TUMBLE, HOP or SESSION over the timestamp field `field`. */
export interface WindowSpec {
  readonly fn: "TUMBLE" | "HOP" | "SESSION";
  /** The pre-aggregation field holding the event time. */
  readonly field: number;
  /** TUMBLE: size; HOP: size (the second interval); SESSION: gap. */
  readonly size: number;
  /** HOP only: how often a window starts (the first interval). */
  readonly period: number;
}

/** The plan as a tree of the Beam transforms it becomes, for EXPLAIN. */
export function explainPlan(node: PlanNode, indent = ""): string {
  const child = (n: PlanNode) => explainPlan(n, `${indent}  `);
  const cols = (c: readonly Column[]) => c.map((x) => x.name).join(", ");
  switch (node.kind) {
    case "input":
      return `${indent}Input(${node.name}) [${cols(node.columns)}]`;
    case "calc": {
      const filter = node.filter === undefined ? "" : ` filter=${renderExpression(node.filter)}`;
      return `${indent}ParDo(Calc${filter} project=[${node.projects.map(renderExpression).join(", ")}])\n${child(node.input)}`;
    }
    case "aggregate": {
      const window =
        node.window === undefined
          ? ""
          : `${indent}WindowInto(${node.window.fn === "TUMBLE" ? `FixedWindows(${node.window.size}ms)` : node.window.fn === "HOP" ? `SlidingWindows(${node.window.size}ms, every ${node.window.period}ms)` : `Sessions(gap ${node.window.size}ms)`}) <- WithTimestamps($${node.window.field})\n`;
      const how = node.keyCount === 0 && node.window === undefined ? "CombineGlobally" : "CombinePerKey";
      return `${indent}${how}(keys=[${node.columns.slice(0, node.keyCount).map((c) => c.name).join(", ")}] aggregates=[${node.aggregates.map((a) => a.text).join(", ")}])\n${window}${child(node.input)}`;
    }
    case "join": {
      const keys = node.leftKeys.map((k, i) => `${renderExpression(k)} = ${renderExpression(node.rightKeys[i]!)}`).join(" AND ");
      const residual = node.residual === undefined ? "" : ` residual=${renderExpression(node.residual)}`;
      const what = `${node.join} JOIN on ${keys || "TRUE"}${residual}`;
      const how = node.sideInput === undefined ? `CoGroupByKey(${what})` : `ParDo(SideInputJoin ${what}, side input=${node.sideInput})`;
      return `${indent}${how}\n${child(node.left)}\n${child(node.right)}`;
    }
    case "union":
      return `${indent}Flatten(UNION ALL)\n${node.inputs.map(child).join("\n")}`;
    case "setOp":
      return `${indent}CoGroupByKey(${node.op}${node.all ? " ALL" : ""} on all columns)\n${child(node.left)}\n${child(node.right)}`;
    case "topN":
      return `${indent}CombineGlobally(TopN limit=${node.limit} offset=${node.offset} order=[${node.order.map((o) => `$${o.index}${o.descending ? " DESC" : ""}`).join(", ")}])\n${child(node.input)}`;
  }
}
