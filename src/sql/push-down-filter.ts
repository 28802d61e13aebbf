import type { BoundExpr } from "./bound-expression.js";
import type { PlanNode } from "./plan.js";

/**
 * Filter pushdown (Calcite's FilterJoinRule, for the simple case): the parts of a WHERE
 * over a join that read only one side filter that side before the CoGroupByKey, so rows
 * that cannot match are not shuffled. A part may move below an inner join to either side,
 * below a LEFT join only to the left (the preserved side) and below a RIGHT join only to the
 * right; on the other side of an outer join it would turn dropped rows into NULL-padded ones.
 */

/** Which side of a join a bound expression reads: only the left, only the right, both, or none. */
export function sidesOf(e: BoundExpr, leftCount: number): "left" | "right" | "both" | "none" {
  let left = false;
  let right = false;
  const walk = (x: unknown): void => {
    if (typeof x !== "object" || x === null) return;
    if (Array.isArray(x)) return x.forEach(walk);
    const b = x as BoundExpr;
    if (b.kind === "field") {
      if (b.index < leftCount) left = true;
      else right = true;
      return;
    }
    Object.values(x).forEach(walk);
  };
  walk(e);
  return left && right ? "both" : left ? "left" : right ? "right" : "none";
}

/** The expression over the right side's own row (field positions shifted down). */
export function shift(e: BoundExpr, by: number): BoundExpr {
  const walk = (x: unknown): unknown => {
    if (typeof x !== "object" || x === null) return x;
    if (Array.isArray(x)) return x.map(walk);
    const b = x as BoundExpr;
    if (b.kind === "field") return { ...b, index: b.index - by };
    if ("kind" in x) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === "type" ? v : walk(v)]));
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
  };
  return walk(e) as BoundExpr;
}

/** The conjuncts of a condition (its AND parts). */
function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === "and" ? e.args.flatMap(conjuncts) : [e];
}

function filtered(node: PlanNode, parts: readonly BoundExpr[]): PlanNode {
  if (parts.length === 0) return node;
  const filter: BoundExpr = parts.length === 1 ? parts[0]! : { kind: "and", args: parts, type: { name: "BOOLEAN", nullable: parts.some((p) => p.type.nullable) } };
  const projects = node.columns.map((c, index): BoundExpr => ({ kind: "field", index, name: c.name, type: c.type }));
  return { kind: "calc", input: node, filter, projects, columns: node.columns };
}

/** The node with what of `where` can move below its join moved there, and the rest of `where`. */
export function pushDownFilter(node: PlanNode, where: BoundExpr | undefined): { readonly node: PlanNode; readonly rest: BoundExpr | undefined } {
  if (where === undefined || node.kind !== "join") return { node, rest: where };
  const width = node.left.columns.length;
  const toLeft: BoundExpr[] = [];
  const toRight: BoundExpr[] = [];
  const rest: BoundExpr[] = [];
  for (const part of conjuncts(where)) {
    const side = sidesOf(part, width);
    if (side === "left" && (node.join === "INNER" || node.join === "LEFT")) toLeft.push(part);
    else if (side === "right" && (node.join === "INNER" || node.join === "RIGHT")) toRight.push(shift(part, width));
    else rest.push(part);
  }
  if (toLeft.length === 0 && toRight.length === 0) return { node, rest: where };
  const joined: PlanNode = { ...node, left: filtered(node.left, toLeft), right: filtered(node.right, toRight) };
  const remaining = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { kind: "and" as const, args: rest, type: { name: "BOOLEAN" as const, nullable: true } };
  return { node: joined, rest: remaining };
}
