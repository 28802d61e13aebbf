import type { Expr, FromItem, Query, Select } from "./ast.js";
import { aggregateType, type AggregateCall } from "./aggregate-functions.js";
import { AGGREGATES, WINDOW_FUNCTIONS, bindExpr, closest, coerce, exprKey, failAt, widensTo, type BindContext, type Column } from "./bind-expression.js";
import type { BoundExpr } from "./bound-expression.js";
import type { PlanNode, WindowSpec } from "./plan.js";
import { pushDownFilter, shift, sidesOf } from "./push-down-filter.js";
import { commonType, type SqlType } from "./sql-types.js";
import { NO_USER_FUNCTIONS, type UserFunctions } from "./user-functions.js";

/**
 * The planner: binds a query against its inputs' columns and builds the logical plan.
 * Clause order is SQL's: FROM (joins), WHERE, GROUP BY and aggregates, HAVING, SELECT,
 * DISTINCT, ORDER BY/LIMIT. WHERE and SELECT of an ungrouped query are one calc.
 */
export class Planner {
  constructor(
    private readonly query: string,
    private readonly inputs: ReadonlyMap<string, readonly Column[]>,
    private readonly functions: UserFunctions = NO_USER_FUNCTIONS,
    /** FROM items (input names or aliases) to join as side inputs rather than on CoGroupByKey. */
    private readonly sideInputJoins: readonly string[] = [],
  ) {}

  /** The side-input hints that named no joined FROM item (the caller reports them). */
  readonly unusedSideInputHints = (): string[] => this.sideInputJoins.filter((h) => !this.usedHints.has(h.toLowerCase()));
  private readonly usedHints = new Set<string>();

  private hinted(name: string | undefined): boolean {
    if (name === undefined || !this.sideInputJoins.some((h) => h.toLowerCase() === name.toLowerCase())) return false;
    this.usedHints.add(name.toLowerCase());
    return true;
  }

  plan(q: Query, ctes: ReadonlyMap<string, Query> = new Map()): PlanNode {
    switch (q.kind) {
      case "with": {
        const scope = new Map(ctes);
        for (const c of q.ctes) scope.set(c.name, c.query);
        return this.plan(q.body, scope);
      }
      case "setOp": {
        const left = this.plan(q.left, ctes);
        const right = this.plan(q.right, ctes);
        if (left.columns.length !== right.columns.length) {
          failAt({ query: this.query }, q.at, `${q.op} inputs have ${left.columns.length} and ${right.columns.length} columns`, "select the same number of columns on both sides");
        }
        const types = left.columns.map((c, i) => {
          const other = right.columns[i]!.type;
          const t = commonType(c.type.name, other.name);
          if (t === undefined) failAt({ query: this.query }, q.at, `${q.op} column ${i + 1} (${c.name}) has types ${c.type.name} and ${other.name}`, "CAST one side to the other's type");
          // EXCEPT gives left rows only, so a column is nullable when the left one is (Calcite).
          return { ...c.type, name: t, nullable: c.type.nullable || (q.op !== "EXCEPT" && other.nullable) } as SqlType;
        });
        const columns = left.columns.map((c, i) => ({ table: undefined, name: c.name, type: types[i]! }));
        const inputs = [conform(left, columns), conform(right, columns)] as const;
        if (q.op !== "UNION") return { kind: "setOp", op: q.op, all: q.all, left: inputs[0], right: inputs[1], at: q.at, columns };
        const union: PlanNode = { kind: "union", inputs, columns };
        return q.all ? union : distinctOf(union);
      }
      case "select":
        return this.select(q, ctes);
    }
  }

  private from(items: readonly FromItem[], ctes: ReadonlyMap<string, Query>): PlanNode {
    let node: PlanNode | undefined;
    let firstQualifier: string | undefined;
    for (const item of items) {
      let right: PlanNode;
      if (item.source.kind === "subquery") {
        right = this.plan(item.source.query, ctes);
      } else {
        const name = item.source.name;
        const cte = ctes.get(name) ?? [...ctes].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
        if (cte !== undefined) right = this.plan(cte, ctes);
        else {
          const columns = this.inputs.get(name) ?? [...this.inputs].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
          if (columns === undefined) {
            const names = [...this.inputs.keys(), ...ctes.keys()];
            const near = closest(name, names);
            failAt({ query: this.query }, item.at, `unknown input '${name}'`, `${near === undefined ? "" : `did you mean '${near}'? `}the inputs are ${names.join(", ")}: pass it in sql(query, { ${name}: pcollection })`);
          }
          right = { kind: "input", name, columns };
        }
      }
      const qualifier = item.alias ?? (item.source.kind === "table" ? item.source.name : undefined);
      right = requalify(right, qualifier);
      if (node === undefined) firstQualifier = qualifier;
      node = node === undefined ? right : this.join(node, right, item, node.kind === "join" ? undefined : firstQualifier, qualifier);
    }
    return node!;
  }

  private join(left: PlanNode, right: PlanNode, item: FromItem, leftName: string | undefined, rightName: string | undefined): PlanNode {
    const columns = [...left.columns, ...right.columns].map((c, i) => {
      const outer = (item.join === "LEFT" || item.join === "FULL") && i >= left.columns.length;
      const outerLeft = (item.join === "RIGHT" || item.join === "FULL") && i < left.columns.length;
      return outer || outerLeft ? { ...c, type: { ...c.type, nullable: true } } : c;
    });
    const ctx: BindContext = { query: this.query, columns, clause: "ON", functions: this.functions };
    const leftKeys: BoundExpr[] = [];
    const rightKeys: BoundExpr[] = [];
    const rest: BoundExpr[] = [];
    const split = (e: Expr): void => {
      if (e.kind === "binary" && e.op === "AND") {
        split(e.left);
        split(e.right);
        return;
      }
      const b = bindExpr(e, ctx);
      if (b.kind === "compare" && b.op === "=") {
        const l = sidesOf(b.left, left.columns.length);
        const r = sidesOf(b.right, left.columns.length);
        if (l === "left" && r === "right") {
          leftKeys.push(b.left);
          rightKeys.push(shift(b.right, left.columns.length));
          return;
        }
        if (l === "right" && r === "left") {
          leftKeys.push(b.right);
          rightKeys.push(shift(b.left, left.columns.length));
          return;
        }
      }
      if (b.type.name !== "BOOLEAN") failAt({ query: this.query }, e, `ON takes a BOOLEAN condition, got ${b.type.name}`);
      rest.push(b);
    };
    if (item.on !== undefined) split(item.on);
    else if (item.join !== "CROSS") failAt({ query: this.query }, item.at, `${item.join} JOIN without ON`, "add ON left.key = right.key");
    if (leftKeys.length === 0 && item.join !== "INNER" && item.join !== "CROSS") {
      failAt({ query: this.query }, item.at, `${item.join} JOIN needs at least one equality between the two sides in ON`, "join on left.key = right.key (beam-ts joins on CoGroupByKey)");
    }
    const residual: BoundExpr | undefined = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { kind: "and", args: rest, type: { name: "BOOLEAN", nullable: true } };
    const join = item.join === "CROSS" ? "INNER" : item.join!;
    const sideInput = this.hinted(rightName) ? "right" : this.hinted(leftName) ? "left" : undefined;
    if (sideInput !== undefined) {
      const name = sideInput === "right" ? rightName : leftName;
      // A side input is read whole by every main row: only the main side's unmatched rows can be kept.
      if (leftKeys.length === 0) failAt({ query: this.query }, item.at, `the side-input join with '${name}' has no equality between the two sides in ON`, "join on left.key = right.key, or drop it from sideInputJoins");
      if (join === "FULL" || join === (sideInput === "right" ? "RIGHT" : "LEFT")) {
        failAt({ query: this.query }, item.at, `a ${join} JOIN cannot read '${name}' as a side input: it would keep the side input's unmatched rows`, `use ${sideInput === "right" ? "INNER or LEFT" : "INNER or RIGHT"} JOIN, or drop '${name}' from sideInputJoins`);
      }
    }
    return { kind: "join", left, right, join, leftKeys, rightKeys, residual, ...(sideInput === undefined ? {} : { sideInput }), at: item.at, columns };
  }

  private select(s: Select, ctes: ReadonlyMap<string, Query>): PlanNode {
    const joined = this.from(s.from, ctes);
    const base: BindContext = { query: this.query, columns: joined.columns, clause: "WHERE", functions: this.functions };
    const condition = s.where === undefined ? undefined : bindExpr(s.where, base);
    if (condition !== undefined && condition.type.name !== "BOOLEAN" && condition.type.name !== "NULL") failAt({ query: this.query }, s.where!, `WHERE takes a BOOLEAN condition, got ${condition.type.name}`);
    const { node: source, rest: where } = pushDownFilter(joined, condition);

    const aggregateCalls = collectAggregates(this.functions, [
      ...s.items.flatMap((i) => (i.kind === "expr" ? [i.expr] : [])),
      ...(s.having === undefined ? [] : [s.having]),
      ...s.orderBy.map((o) => o.expr),
    ]);
    const grouped = s.groupBy.length > 0 || aggregateCalls.length > 0;
    let input: PlanNode = source;
    let ctx: BindContext = { query: this.query, columns: source.columns, clause: "SELECT", functions: this.functions };
    let filter = where;
    if (grouped) {
      input = this.aggregate(s, source, where, aggregateCalls);
      ctx = this.afterAggregate(s, input, aggregateCalls, source.columns);
      filter = undefined;
      if (s.having !== undefined) {
        filter = bindExpr(s.having, { ...ctx, clause: "HAVING" });
        if (filter.type.name !== "BOOLEAN") failAt({ query: this.query }, s.having, `HAVING takes a BOOLEAN condition, got ${filter.type.name}`);
      }
    } else if (s.having !== undefined) {
      failAt({ query: this.query }, s.having, "HAVING without GROUP BY or aggregates", "use WHERE");
    }

    const projects: BoundExpr[] = [];
    const names: string[] = [];
    for (const item of s.items) {
      if (item.kind === "star") {
        if (grouped) failAt({ query: this.query }, item.at, "SELECT * in a grouped query", "list the GROUP BY columns and aggregates");
        const matches = source.columns.map((c, index) => ({ c, index })).filter(({ c }) => item.table === undefined || c.table?.toLowerCase() === item.table.toLowerCase());
        if (matches.length === 0) failAt({ query: this.query }, item.at, `unknown input '${item.table ?? ""}' in ${item.table ?? ""}.*`);
        for (const { c, index } of matches) {
          projects.push({ kind: "field", index, name: c.name, type: c.type });
          names.push(c.name);
        }
        continue;
      }
      const b = bindExpr(item.expr, ctx);
      projects.push(b);
      names.push(item.alias ?? (item.expr.kind === "column" ? item.expr.name : `EXPR$${names.length}`));
    }
    const visible = projects.length;
    // ORDER BY may name input columns the SELECT list drops: they ride along hidden, as in Calcite.
    const outputNames = new Set(uniqueNames(names).map((n) => n.toLowerCase()));
    const orderBy = s.orderBy.map((o) => {
      if (s.distinct || (o.expr.kind === "literal" && o.expr.value.type === "INTEGER")) return o;
      if (o.expr.kind === "column" && o.expr.table === undefined && outputNames.has(o.expr.name.toLowerCase())) return o;
      projects.push(bindExpr(o.expr, { ...ctx, clause: "ORDER BY" }));
      names.push(`$order${projects.length}`);
      return { ...o, expr: { kind: "literal", value: { type: "INTEGER", value: projects.length }, at: o.expr.at } as Expr };
    });
    const columns = uniqueNames(names).map((name, i) => ({ table: undefined, name, type: projects[i]!.type }));
    let node: PlanNode = { kind: "calc", input, filter, projects, columns };
    if (s.distinct) node = distinctOf(node);
    if (orderBy.length > 0 || s.limit !== undefined || s.offset !== undefined) node = this.topN({ ...s, orderBy }, node);
    if (projects.length > visible) {
      const kept = columns.slice(0, visible);
      node = { kind: "calc", input: node, filter: undefined, projects: kept.map((c, index) => ({ kind: "field", index, name: c.name, type: c.type })), columns: kept };
    }
    return node;
  }

  private aggregate(s: Select, source: PlanNode, where: BoundExpr | undefined, calls: readonly Extract<Expr, { kind: "call" }>[]): PlanNode {
    const ctx: BindContext = { query: this.query, columns: source.columns, clause: "GROUP BY", functions: this.functions };
    const keys: BoundExpr[] = [];
    const keyNames: string[] = [];
    let window: WindowSpec | undefined;
    let windowTs: BoundExpr | undefined;
    for (const g of s.groupBy) {
      if (g.kind === "call" && WINDOW_FUNCTIONS.has(g.name)) {
        if (window !== undefined) failAt({ query: this.query }, g, "more than one window function in GROUP BY", "group by one TUMBLE, HOP or SESSION");
        const ts = bindExpr(g.args[0] ?? g, ctx);
        if (ts.type.name !== "TIMESTAMP") failAt({ query: this.query }, g, `${g.name} takes a TIMESTAMP field first, got ${ts.type.name}`, "use a t.timestamp() field");
        const intervals = g.args.slice(1).map((a) => (a.kind === "interval" ? a.millis : failAt({ query: this.query }, a, `${g.name} takes INTERVAL arguments`, `${g.name}(ts, INTERVAL '1' MINUTE)`)));
        const expected = g.name === "HOP" ? 2 : 1;
        if (intervals.length !== expected) failAt({ query: this.query }, g, `${g.name} takes a timestamp and ${expected} interval${expected > 1 ? "s" : ""}`);
        windowTs = ts;
        window = { fn: g.name as WindowSpec["fn"], field: -1, size: intervals[expected - 1]!, period: intervals[0]! };
        continue;
      }
      if (g.kind === "literal" && g.value.type === "INTEGER") {
        const item = s.items[g.value.value - 1];
        if (item === undefined || item.kind !== "expr") failAt({ query: this.query }, g, `GROUP BY ${g.value.value} names no SELECT item`);
        keys.push(bindExpr(item.expr, ctx));
        keyNames.push(item.expr.kind === "column" ? item.expr.name : `$${keys.length - 1}`);
        continue;
      }
      keys.push(bindExpr(g, ctx));
      keyNames.push(g.kind === "column" ? g.name : `$${keys.length - 1}`);
    }
    const args: BoundExpr[] = [];
    const aggregates: AggregateCall[] = [];
    const aggCtx: BindContext = { ...ctx, clause: "an aggregate's argument" };
    for (const call of calls) {
      const udaf = this.functions.aggregate.get(call.name);
      if (udaf !== undefined) {
        const declared = `${call.name}(${udaf.arg})`;
        if (call.star || call.distinct || call.args.length !== 1) failAt({ query: this.query }, call, `${call.name} takes one argument`, `call it as ${declared}`);
        const arg = bindExpr(call.args[0]!, aggCtx);
        if (!widensTo(arg.type.name, udaf.arg)) failAt({ query: this.query }, call.args[0]!, `the argument of ${call.name} is ${udaf.arg}, got ${arg.type.name}`, `CAST(... AS ${udaf.arg}); the aggregate is ${declared}`);
        const index = keys.length + args.length;
        args.push(coerce(arg, udaf.arg));
        aggregates.push({ fn: "UDAF", udaf, distinct: false, arg: index, argType: udaf.arg, type: { name: udaf.returns, nullable: true }, text: `${call.name}($${index})` });
        continue;
      }
      if (call.distinct && call.name !== "COUNT") failAt({ query: this.query }, call, `${call.name}(DISTINCT ...) is not supported`, "only COUNT(DISTINCT x) takes DISTINCT");
      if (call.star && call.name !== "COUNT") failAt({ query: this.query }, call, `${call.name}(*) is not valid`, `${call.name} takes a column`);
      if (!call.star && call.args.length !== 1) failAt({ query: this.query }, call, `${call.name} takes one argument`);
      const arg = call.star ? undefined : bindExpr(call.args[0]!, aggCtx);
      if (arg !== undefined && (call.name === "SUM" || call.name === "AVG") && !["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE", "NULL"].includes(arg.type.name)) {
        failAt({ query: this.query }, call, `${call.name} takes a number, got ${arg.type.name}`, `${call.name}(CAST(x AS DOUBLE))`);
      }
      const fn = call.name as Exclude<AggregateCall["fn"], "UDAF">;
      const index = arg === undefined ? undefined : keys.length + args.length;
      if (arg !== undefined) args.push(arg);
      const text = `${fn}(${call.distinct ? "DISTINCT " : ""}${arg === undefined ? "*" : `$${index}`})`;
      aggregates.push({ fn, distinct: call.distinct, arg: index, argType: arg?.type.name ?? "NULL", type: aggregateType(fn, arg?.type), text });
    }
    const pre = [...keys, ...args, ...(windowTs === undefined ? [] : [windowTs])];
    if (window !== undefined) window = { ...window, field: pre.length - 1 };
    const preColumns = pre.map((p, i) => ({ table: undefined, name: i < keys.length ? keyNames[i]! : `$${i}`, type: p.type }));
    const columns: Column[] = [
      ...keys.map((k, i) => ({ table: undefined, name: keyNames[i]!, type: k.type })),
      ...aggregates.map((a) => ({ table: undefined, name: a.text, type: a.type })),
      ...(window === undefined
        ? []
        : [
            { table: undefined, name: "window_start", type: { name: "TIMESTAMP", nullable: false } as SqlType },
            { table: undefined, name: "window_end", type: { name: "TIMESTAMP", nullable: false } as SqlType },
          ]),
    ];
    const input: PlanNode = { kind: "calc", input: source, filter: where, projects: pre, columns: preColumns };
    return { kind: "aggregate", input, keyCount: keys.length, aggregates, window, columns };
  }

  /** How SELECT and HAVING see the aggregate's output: GROUP BY expressions, aggregates and window bounds by position. */
  private afterAggregate(s: Select, node: PlanNode, calls: readonly Extract<Expr, { kind: "call" }>[], sourceColumns: readonly Column[]): BindContext {
    if (node.kind !== "aggregate") throw new Error("unreachable");
    const keyIndex = new Map<string, number>();
    let k = 0;
    let windowFn: string | undefined;
    for (const g of s.groupBy) {
      if (g.kind === "call" && WINDOW_FUNCTIONS.has(g.name)) {
        windowFn = g.name;
        continue;
      }
      const expr = g.kind === "literal" && g.value.type === "INTEGER" ? (s.items[g.value.value - 1] as { expr: Expr }).expr : g;
      keyIndex.set(exprKey(expr), k++);
      // A key that is a qualified or bare column also matches the other spelling.
      if (expr.kind === "column") {
        const bound = bindExpr(expr, { query: this.query, columns: sourceColumns, clause: "GROUP BY", functions: this.functions });
        if (bound.kind === "field") {
          const c = sourceColumns[bound.index]!;
          keyIndex.set(exprKey({ ...expr, table: undefined }), k - 1);
          if (c.table !== undefined) keyIndex.set(exprKey({ ...expr, table: c.table }), k - 1);
        }
      }
    }
    const aggIndex = new Map(calls.map((c, i) => [exprKey(c), node.keyCount + i]));
    const field = (index: number): BoundExpr => ({ kind: "field", index, name: node.columns[index]!.name, type: node.columns[index]!.type });
    const windowStart = node.keyCount + node.aggregates.length;
    return {
      query: this.query,
      columns: node.columns,
      clause: "SELECT",
      functions: this.functions,
      replace: (e) => {
        const key = keyIndex.get(exprKey(e));
        if (key !== undefined) return field(key);
        if (e.kind === "call") {
          const agg = aggIndex.get(exprKey(e));
          if (agg !== undefined) return field(agg);
          const m = /^(TUMBLE|HOP|SESSION)_(START|END)$/.exec(e.name);
          if (m !== null) {
            if (m[1] !== windowFn) failAt({ query: this.query }, e, `${e.name} needs GROUP BY ${m[1]}(...)`, windowFn === undefined ? `add GROUP BY ${m[1]}(ts, INTERVAL ...)` : `use ${windowFn}_${m[2]}`);
            return field(windowStart + (m[2] === "START" ? 0 : 1));
          }
        }
        if (e.kind === "column") {
          failAt({ query: this.query }, e, `column '${e.name}' is neither grouped nor aggregated`, `add it to GROUP BY or aggregate it, e.g. ANY_VALUE(${e.name})`);
        }
        return undefined;
      },
      aggregate: (call) => failAt({ query: this.query }, call, `nested aggregate ${call.name}`),
    };
  }

  private topN(s: Select, node: PlanNode): PlanNode {
    if (s.limit === undefined) {
      failAt({ query: this.query }, s.orderBy[0]?.expr ?? s.at, "ORDER BY without LIMIT", "add LIMIT n: a PCollection has no order, so ORDER BY only chooses the top n rows (as in Beam SQL)");
    }
    const ctx: BindContext = { query: this.query, columns: node.columns, clause: "ORDER BY", functions: this.functions };
    const order = s.orderBy.map((o) => {
      if (o.expr.kind === "literal" && o.expr.value.type === "INTEGER") {
        const index = o.expr.value.value - 1;
        if (index < 0 || index >= node.columns.length) failAt({ query: this.query }, o.expr, `ORDER BY ${index + 1} names no SELECT item`);
        return { index, descending: o.descending };
      }
      const b = bindExpr(o.expr, ctx);
      if (b.kind !== "field") failAt({ query: this.query }, o.expr, "ORDER BY takes output columns", "select the expression with an alias and order by the alias");
      return { index: b.index, descending: o.descending };
    });
    return { kind: "topN", input: node, order, limit: s.limit, offset: s.offset ?? 0, columns: node.columns };
  }
}

/** The aggregate calls in expressions, each once. */
function collectAggregates(functions: UserFunctions, exprs: readonly Expr[]): Extract<Expr, { kind: "call" }>[] {
  const found = new Map<string, Extract<Expr, { kind: "call" }>>();
  const walk = (e: unknown): void => {
    if (typeof e !== "object" || e === null) return;
    if (Array.isArray(e)) return e.forEach(walk);
    const x = e as Expr;
    if (x.kind === "call" && (AGGREGATES.has(x.name) || functions.aggregate.has(x.name))) {
      found.set(exprKey(x), x);
      return;
    }
    Object.values(e).forEach(walk);
  };
  exprs.forEach(walk);
  return [...found.values()];
}

function requalify(node: PlanNode, table: string | undefined): PlanNode {
  if (table === undefined) return node;
  return { ...node, columns: node.columns.map((c) => ({ ...c, table })) } as PlanNode;
}

function distinctOf(node: PlanNode): PlanNode {
  return { kind: "aggregate", input: node, keyCount: node.columns.length, aggregates: [], window: undefined, columns: node.columns };
}

/** A calc converting a union input to the union's column types, when they differ. */
function conform(node: PlanNode, columns: readonly Column[]): PlanNode {
  if (node.columns.every((c, i) => c.type.name === columns[i]!.type.name)) return node;
  const projects = node.columns.map((c, i): BoundExpr => coerce({ kind: "field", index: i, name: c.name, type: c.type }, columns[i]!.type.name));
  return { kind: "calc", input: node, filter: undefined, projects, columns };
}

/** Output names made unique as Calcite does: a repeated name gets 0, 1, ... appended. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 0; seen.has(name); i++) name = `${n}${i}`;
    seen.add(name);
    return name;
  });
}
