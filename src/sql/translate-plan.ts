import { jsValueCoder, kvCoder } from "../coders/index.js";
import { IntervalWindow, WindowFnUrns, fixedWindows, kv, sessions, slidingWindows, type Coder, type KV } from "../model/index.js";
import type { PCollection } from "../pipeline/index.js";
import { coGroupByKey, combineGlobally, combinePerKey, flattenAll, map, parDo, windowInto, withTimestamps, type CombineFn } from "../transforms/index.js";
import { aggregatesCombineFn } from "./aggregate-functions.js";
import { compileExpression, type Evaluator } from "./compile-expression.js";
import type { BoundExpr } from "./bound-expression.js";
import type { PlanNode } from "./plan.js";
import { groupingKey } from "./grouping-key.js";
import { joinWindowingRefusal } from "./join-windowing.js";
import { semiJoinFilter, sideInputJoin, sideInputRefusal } from "./side-input-join.js";
import type { SqlRow } from "./sql-transform.js";
import { castValue, orderValues } from "./sql-values.js";
import { SqlError, positionAt } from "./sql-error.js";
import { commonType } from "./sql-types.js";
import { semiJoinReduction, type SemiJoinReduction } from "./semi-join-reduction.js";

/** A row inside a query: column values by position (SQL NULL is null). */
export type SqlRowArray = readonly unknown[];

/** How a calc's ParDo ends: objects with these names as the query's output, or a new event time. */
interface CalcOptions {
  readonly objectNames?: readonly string[];
  readonly retimestamps?: boolean;
}

/** What a calc does with each row it computes, in its own DoFn. */
type Emit = (row: SqlRowArray, ctx: { output(value: unknown): void; outputWithTimestamp(value: unknown, timestamp: number): void }) => void;

/** ParDo options of a step that runs a calc. */
type StepOptions = { readonly allowedTimestampSkew?: number };

/** A calc run inside the step that makes its input rows: what it does with each row, and the options it needs. */
interface FusedCalc {
  readonly emit: Emit;
  readonly options: StepOptions;
}

const rowsCoder = jsValueCoder as Coder<SqlRowArray>;

/** The value of a keyed row whose aggregates read nothing. */
const NO_VALUES: SqlRowArray = Object.freeze([]);

/**
 * Applies a plan as Beam transforms: calcs as one ParDo each (reading the input's schema
 * rows directly when the calc sits on an input), aggregates as a lifted combinePerKey (or
 * combineGlobally without keys), joins on coGroupByKey, UNION ALL as a Flatten, top-N as a
 * global combine. Rows between steps are arrays encoded with the JS value coder; keys (of
 * aggregates, joins, INTERSECT and EXCEPT) are grouping-key.ts strings. A calc under an aggregate, a join or the output does the next step's
 * per-row work (keying, event time, the output object) in its own DoFn, and a subplan that
 * appears twice is applied once.
 */
export class PlanTranslator {
  private counter = 0;
  /** How often each subplan (by planKey) occurs in the plan being translated. */
  private uses: Map<string, number> | undefined;
  /** Translated subplans by their canonical form: a subquery that appears twice is computed once. */
  private readonly translated = new Map<string, PCollection<SqlRowArray>>();
  /** Aggregates whose input a side-input join above them reduces (semi-join-reduction.ts). */
  private readonly reductions = new Map<PlanNode, SemiJoinReduction>();
  constructor(
    private readonly inputs: ReadonlyMap<string, PCollection<unknown>>,
    /** The query text, for errors found while translating (positions point into it). */
    private readonly query = "",
  ) {}

  /**
   * The plan's rows as objects with the column `names`: a calc at the top writes them in its
   * own ParDo, anything else gets one more step.
   */
  translateToRows(node: PlanNode, names: readonly string[]): PCollection<SqlRow> {
    this.uses = subplanUses(node);
    const toObject = (r: SqlRowArray): SqlRow => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) out[names[i]!] = r[i] ?? null;
      return out;
    };
    if (node.kind === "calc") return this.calc(node, undefined, { objectNames: names }) as PCollection<SqlRow>;
    return this.translate(node).apply("ToRows", map(toObject));
  }

  private label(kind: string): string {
    return `${kind}${++this.counter}`;
  }

  translate(node: PlanNode): PCollection<SqlRowArray> {
    const key = planKey(node);
    const done = this.translated.get(key);
    if (done !== undefined) return done;
    const pc = this.translateOnce(node);
    this.translated.set(key, pc);
    return pc;
  }

  private translateOnce(node: PlanNode): PCollection<SqlRowArray> {
    switch (node.kind) {
      case "input":
        return this.input(node.name, node.columns.map((c) => c.name)).apply(this.label("Rows"), parDo(rowsOf(node.columns.map((c) => c.name)))).withCoder(rowsCoder);
      case "calc":
        return this.calc(node);
      case "aggregate":
        return this.aggregate(node);
      case "join":
        return this.join(node);
      case "union":
        return flattenAll(
          node.inputs.map((i) => this.translate(i)),
          this.label("UnionAll"),
        ).withCoder(rowsCoder);
      case "setOp":
        return this.setOp(node);
      case "topN":
        return this.topN(node);
    }
  }

  /**
   * INTERSECT / EXCEPT [ALL] as Beam SQL does it (BeamSetOperatorRelBase: CoGroup.join on all
   * fields): a CoGroupByKey on the whole row, then counts. The key is the row's grouping key
   * (grouping-key.ts, from the columns' types, as GROUP BY's), so rows are equal exactly when
   * SQL says: NULL equals NULL, -0 equals 0, 1.5 equals 1.50, an INT64 value equals itself
   * whether it came as a number or a bigint.
   */
  private setOp(node: Extract<PlanNode, { kind: "setOp" }>): PCollection<SqlRowArray> {
    const key = groupingKey(node.columns.map((c) => c.type.name));
    const keyedCoder = kvCoder(key.coder, rowsCoder);
    // Left rows are output, so they travel with their key; right rows are only counted.
    const keyedBy = (side: PlanNode, label: string, value: (r: SqlRowArray) => SqlRowArray): PCollection<KV<string, SqlRowArray>> =>
      this.translate(side)
        .apply(this.label(label), parDo<SqlRowArray, KV<string, SqlRowArray>>({ process: (r, ctx) => ctx.output(kv(key.encode(r), value(r))) }))
        .withCoder(keyedCoder);
    const left = keyedBy(node.left, `${node.op}KeyLeft`, (r) => r);
    const right = keyedBy(node.right, `${node.op}KeyRight`, () => NO_VALUES);
    // As BeamSetOperatorRelBase: rows meet per window, so both sides must be windowed alike.
    const [lw, rw] = [left.windowing.windowFn.toString(), right.windowing.windowFn.toString()];
    if (lw !== rw) {
      throw new SqlError(
        `the inputs of ${node.op} are windowed differently: ${lw} and ${rw}`,
        node.at >= 0 ? positionAt(this.query, node.at) : undefined,
        "window both sides alike (the same TUMBLE/HOP/SESSION, or windowInto before sql())",
        this.query,
      );
    }
    const { op, all } = node;
    return coGroupByKey({ left, right }, this.label(op === "INTERSECT" ? "Intersect" : "Except"))
      .apply(
        this.label(`${op === "INTERSECT" ? "Intersect" : "Except"}Rows`),
        parDo<KV<string, { readonly left: SqlRowArray[]; readonly right: SqlRowArray[] }>, SqlRowArray>({
          process(e, ctx) {
            const m = e.value.left.length;
            const n = e.value.right.length;
            // The left side's rows are output, so values keep their own spelling (a decimal's scale).
            const copies = op === "INTERSECT" ? (n === 0 ? 0 : all ? Math.min(m, n) : Math.min(m, 1)) : all ? Math.max(m - n, 0) : n === 0 ? Math.min(m, 1) : 0;
            for (let i = 0; i < copies; i++) ctx.output(e.value.left[i]!);
          },
        }),
      )
      .withCoder(rowsCoder);
  }

  private input(name: string, _columns: readonly string[]): PCollection<unknown> {
    const pc = this.inputs.get(name) ?? [...this.inputs].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    if (pc === undefined) throw new Error(`sql: no input ${name}`);
    return pc;
  }

  /**
   * A calc as one ParDo. `emit` replaces its output of the row: the step after it (keying for
   * a Combine or a join, the event time of a window, the conversion to objects) runs in the
   * same DoFn, one step fewer per element.
   */
  private calc(node: Extract<PlanNode, { kind: "calc" }>): PCollection<SqlRowArray>;
  private calc(node: Extract<PlanNode, { kind: "calc" }>, emit: Emit | undefined, options?: CalcOptions): PCollection<unknown>;
  private calc(node: Extract<PlanNode, { kind: "calc" }>, emit?: Emit, options: CalcOptions = {}): PCollection<unknown> {
    const filter = node.filter === undefined ? undefined : compileExpression(node.filter);
    const projects = node.projects.map(compileExpression);
    const width = projects.length;
    // A calc on an input reads its schema rows in the same ParDo: projection, filter and the
    // conversion from rows fuse into one step.
    const names = node.input.kind === "input" ? node.input.columns.map((c) => c.name) : undefined;
    const objectNames = options.objectNames;
    // Plain loops: this runs once per element, and the arrays it makes are most of its garbage.
    const rowOf = (element: unknown): SqlRowArray => {
      if (names === undefined) return element as SqlRowArray;
      const record = element as Record<string, unknown>;
      const row = new Array<unknown>(names.length);
      for (let i = 0; i < names.length; i++) row[i] = record[names[i]!] ?? null;
      return row;
    };
    const body: Emit = (element, ctx) => {
      const row = rowOf(element);
      if (filter !== undefined && filter(row) !== true) return;
      if (objectNames !== undefined) {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < width; i++) out[objectNames[i]!] = projects[i]!(row) ?? null;
        ctx.output(out);
        return;
      }
      const out = new Array<unknown>(width);
      for (let i = 0; i < width; i++) out[i] = projects[i]!(row);
      if (emit === undefined) ctx.output(out);
      else emit(out, ctx);
    };
    // As Beam SQL: a window's time field is its row's event time, earlier or later than the element's.
    const stepOptions: StepOptions = options.retimestamps === true ? { allowedTimestampSkew: Number.MAX_SAFE_INTEGER } : {};
    const input = node.input;
    let calc: PCollection<unknown>;
    if ((input.kind === "aggregate" || input.kind === "join") && this.usedOnce(input)) {
      // The step that makes the calc's rows runs it on each row it makes: every row is one
      // output fewer (and one encoding fewer wherever outputs are encoded).
      calc = input.kind === "aggregate" ? this.aggregate(input, { emit: body, options: stepOptions }) : this.join(input, { emit: body, options: stepOptions });
    } else {
      const source = input.kind === "input" ? this.input(input.name, names!) : this.translate(input);
      calc = source.apply(this.label("Calc"), parDo<unknown, unknown>({ process: body }, stepOptions));
    }
    return emit === undefined && objectNames === undefined ? calc.withCoder(rowsCoder) : calc;
  }

  /** Whether `node` occurs once in the plan being translated (a subplan used twice is translated once, never fused). */
  private usedOnce(node: PlanNode): boolean {
    return this.uses?.get(planKey(node)) === 1;
  }

  private aggregate(node: Extract<PlanNode, { kind: "aggregate" }>): PCollection<SqlRowArray>;
  private aggregate(node: Extract<PlanNode, { kind: "aggregate" }>, fused: FusedCalc): PCollection<unknown>;
  private aggregate(node: Extract<PlanNode, { kind: "aggregate" }>, fused?: FusedCalc): PCollection<unknown> {
    const emit: Emit = fused?.emit ?? ((r, ctx) => ctx.output(r));
    const ended = (pc: PCollection<unknown>) => (fused === undefined ? pc.withCoder(rowsCoder) : pc);
    const w = node.window;
    const keyCount = node.keyCount;
    const fn = aggregatesCombineFn(node.aggregates);
    const windowFn = w === undefined ? undefined : w.fn === "TUMBLE" ? fixedWindows(w.size) : w.fn === "HOP" ? slidingWindows(w.size, w.period) : sessions(w.size);
    // A keyed row carries only what its aggregates read: the key columns are in the key, and
    // every copy of them would be encoded again wherever the KV is (shuffle, immutability check).
    const args = [...new Set(node.aggregates.flatMap((a) => (a.arg === undefined ? [] : [a.arg])))];
    const keyedFn = aggregatesCombineFn(node.aggregates.map((a) => (a.arg === undefined ? a : { ...a, arg: args.indexOf(a.arg) })));
    // The key columns are the row's first: encoded straight from it (grouping-key.ts).
    const groupKey = groupingKey(node.columns.slice(0, keyCount).map((c) => c.type.name));
    const keyOf = (r: SqlRowArray): KV<string, SqlRowArray> => {
      // Without arguments (GROUP BY alone, DISTINCT) every row carries the same empty value, never written to.
      if (args.length === 0) return kv(groupKey.encode(r), NO_VALUES);
      const value = new Array<unknown>(args.length);
      for (let i = 0; i < args.length; i++) value[i] = r[args[i]!];
      return kv(groupKey.encode(r), value);
    };
    const kvRows = kvCoder(groupKey.coder, rowsCoder);
    let keyed: PCollection<KV<string, SqlRowArray>> | undefined;
    const reduction = this.reductions.get(node);
    if (reduction !== undefined) {
      // Rows are windowed first: the filter reads the side's rows of the row's own window.
      let rows: PCollection<SqlRowArray>;
      if (node.input.kind === "calc" && w !== undefined) {
        // The calc computing the rows sets their event time itself.
        const field = w.field;
        rows = (this.calc(node.input, (r, ctx) => ctx.outputWithTimestamp(r, r[field] as number), { retimestamps: true }) as PCollection<SqlRowArray>)
          .withCoder(rowsCoder)
          .apply(this.label("Window"), windowInto(windowFn!));
      } else {
        rows = this.translate(node.input);
      }
      if (w !== undefined && node.input.kind !== "calc") {
        const field = w.field;
        rows = rows
          .apply(this.label("EventTime"), withTimestamps((r: SqlRowArray) => r[field] as number, { allowedTimestampSkew: Number.MAX_SAFE_INTEGER }))
          .apply(this.label("Window"), windowInto(windowFn!));
      }
      const filtered = semiJoinFilter({
        main: rows,
        side: this.translate(reduction.side),
        mainKey: reduction.mainKey,
        sideKey: reduction.sideKey,
        emit: (r, ctx) => ctx.output(keyOf(r)),
        label: (kind) => this.label(kind),
        rowsCoder,
      });
      keyed = filtered === undefined ? rows.apply(this.label("Key"), parDo<SqlRowArray, KV<string, SqlRowArray>>({ process: (r, ctx) => ctx.output(keyOf(r)) })).withCoder(kvRows) : (filtered as PCollection<KV<string, SqlRowArray>>).withCoder(kvRows);
    } else if (node.input.kind === "calc" && (keyCount > 0 || w !== undefined)) {
      // The calc computing the aggregate's input keys its rows (and sets their event time) itself.
      const field = w?.field ?? -1;
      const emit: Emit = w === undefined ? (r, ctx) => ctx.output(keyOf(r)) : (r, ctx) => ctx.outputWithTimestamp(keyOf(r), r[field] as number);
      keyed = (this.calc(node.input, emit, { retimestamps: w !== undefined }) as PCollection<KV<string, SqlRowArray>>).withCoder(kvRows);
      if (windowFn !== undefined) keyed = keyed.apply(this.label("Window"), windowInto(windowFn));
    } else {
      let rows = this.translate(node.input);
      if (w !== undefined) {
        const field = w.field;
        rows = rows
          .apply(this.label("EventTime"), withTimestamps((r: SqlRowArray) => r[field] as number, { allowedTimestampSkew: Number.MAX_SAFE_INTEGER }))
          .apply(this.label("Window"), windowInto(windowFn!));
      }
      if (keyCount === 0 && w === undefined && rows.windowing.windowFn.urn === WindowFnUrns.global) {
        // SQL: an aggregate without GROUP BY gives one row, also for no input (COUNT 0, SUM NULL).
        return ended(rows.apply(this.label("Aggregate"), combineGlobally(fn)).apply(this.label("Row"), parDo<unknown[], unknown>({ process: (out, ctx) => emit(out, ctx) }, fused?.options ?? {})));
      }
      keyed = rows.apply(this.label("Key"), parDo<SqlRowArray, KV<string, SqlRowArray>>({ process: (r, ctx) => ctx.output(keyOf(r)) })).withCoder(kvRows);
    }
    const windowed = w !== undefined;
    return ended(
      keyed.apply(this.label("Aggregate"), combinePerKey(keyedFn)).apply(
        this.label("Row"),
        parDo<KV<string, unknown[]>, unknown>(
          {
            process(e, ctx) {
              const row = groupKey.decode(e.key);
              for (const v of e.value) row.push(v);
              if (windowed && ctx.window instanceof IntervalWindow) row.push(ctx.window.start, ctx.window.end);
              emit(row, ctx);
            },
          },
          fused?.options ?? {},
        ),
      ),
    );
  }

  /**
   * Which side of a join to read as a side input: the one the query asks for, else (as Beam
   * SQL's BeamSideInputJoinRel) a bounded side joined to an unbounded one when the join keeps
   * the unbounded side's rows only; undefined joins on CoGroupByKey.
   */
  private sideInputSide(node: Extract<PlanNode, { kind: "join" }>): "left" | "right" | undefined {
    if (node.leftKeys.length === 0) return undefined;
    if (node.sideInput !== undefined) {
      const side = this.translate(node.sideInput === "left" ? node.left : node.right);
      const refusal = sideInputRefusal(side);
      if (refusal !== undefined) {
        throw new SqlError(`cannot join ${node.sideInput === "left" ? "the left" : "the right"} side as a side input: ${refusal}`, node.at >= 0 ? positionAt(this.query, node.at) : undefined, "join it on CoGroupByKey (drop it from sideInputJoins)", this.query);
      }
      return node.sideInput;
    }
    const leftBounded = this.translate(node.left).isBounded;
    const rightBounded = this.translate(node.right).isBounded;
    const pick = leftBounded && !rightBounded && (node.join === "INNER" || node.join === "RIGHT") ? "left" : rightBounded && !leftBounded && (node.join === "INNER" || node.join === "LEFT") ? "right" : undefined;
    if (pick === undefined || sideInputRefusal(this.translate(pick === "left" ? node.left : node.right)) !== undefined) return undefined;
    return pick;
  }

  private join(node: Extract<PlanNode, { kind: "join" }>): PCollection<SqlRowArray>;
  private join(node: Extract<PlanNode, { kind: "join" }>, fused: FusedCalc): PCollection<unknown>;
  private join(node: Extract<PlanNode, { kind: "join" }>, fused?: FusedCalc): PCollection<unknown> {
    const emit: Emit = fused?.emit ?? ((r, ctx) => ctx.output(r));
    const keyTypes = node.leftKeys.map((k, i) => commonType(k.type.name, node.rightKeys[i]!.type.name) ?? k.type.name);
    const sideIs = this.sideInputSide(node);
    if (sideIs !== undefined) {
      const keysOf = (exprs: readonly BoundExpr[]) => {
        const compiled = exprs.map(compileExpression);
        const from = exprs.map((k) => k.type.name);
        return (r: SqlRowArray) =>
          compiled.map((e, i) => {
            const v = e(r);
            return v === null ? null : castValue(v, from[i]!, keyTypes[i]!);
          });
      };
      const [mainNode, sideNode] = sideIs === "right" ? [node.left, node.right] : [node.right, node.left];
      const keepUnmatchedMain = node.join === (sideIs === "right" ? "LEFT" : "RIGHT");
      if (!keepUnmatchedMain && node.sideInput !== undefined) {
        const reduction = semiJoinReduction(mainNode, sideNode, sideIs === "right" ? node.leftKeys : node.rightKeys, sideIs === "right" ? node.rightKeys : node.leftKeys, keyTypes, (n) => this.usedOnce(n));
        if (reduction !== undefined) this.reductions.set(reduction.aggregate, reduction);
      }
      return sideInputJoin({
        main: this.translate(mainNode),
        side: this.translate(sideNode),
        sideIs,
        mainKey: keysOf(sideIs === "right" ? node.leftKeys : node.rightKeys),
        sideKey: keysOf(sideIs === "right" ? node.rightKeys : node.leftKeys),
        residual: node.residual === undefined ? undefined : compileExpression(node.residual),
        keepUnmatchedMain,
        sideWidth: sideNode.columns.length,
        label: (kind) => this.label(kind),
        rowsCoder,
        ...(fused === undefined ? {} : { emit: fused.emit, stepOptions: fused.options }),
      });
    }
    const joinKey = groupingKey(keyTypes);
    const keyer = (exprs: readonly Evaluator[], fromTypes: readonly string[], side: string) => (r: SqlRowArray): KV<string, SqlRowArray> => {
      const key = new Array<unknown>(exprs.length);
      for (let i = 0; i < exprs.length; i++) {
        const v = exprs[i]!(r);
        // NULL never equals anything: such a row gets a key of its side only (no encoding starts with U+0000), so it meets no row of the other side.
        if (v === null) return kv(`\u0000null-${side}`, r);
        key[i] = castValue(v, fromTypes[i] as never, keyTypes[i]!);
      }
      return kv(joinKey.encode(key), r);
    };
    const keyCoder = kvCoder(joinKey.coder, rowsCoder);
    // A side that is a calc keys its rows in its own DoFn.
    const keyed = (side: PlanNode, keyOf: (r: SqlRowArray) => KV<string, SqlRowArray>, label: string): PCollection<KV<string, SqlRowArray>> =>
      (side.kind === "calc"
        ? (this.calc(side, (r, ctx) => ctx.output(keyOf(r))) as PCollection<KV<string, SqlRowArray>>)
        : this.translate(side).apply(this.label(label), parDo<SqlRowArray, KV<string, SqlRowArray>>({ process: (r, ctx) => ctx.output(keyOf(r)) }))
      ).withCoder(keyCoder);
    const left = keyed(node.left, keyer(node.leftKeys.map(compileExpression), node.leftKeys.map((k) => k.type.name), "left"), "JoinKeyLeft");
    const right = keyed(node.right, keyer(node.rightKeys.map(compileExpression), node.rightKeys.map((k) => k.type.name), "right"), "JoinKeyRight");
    const refusal = joinWindowingRefusal(left, right);
    if (refusal !== undefined) throw new SqlError(refusal.problem, node.at >= 0 ? positionAt(this.query, node.at) : undefined, refusal.fix, this.query);
    const residual = node.residual === undefined ? undefined : compileExpression(node.residual);
    const leftWidth = node.left.columns.length;
    const rightWidth = node.right.columns.length;
    const keepLeft = node.join === "LEFT" || node.join === "FULL";
    const keepRight = node.join === "RIGHT" || node.join === "FULL";
    const joinedRows = coGroupByKey({ left, right }, this.label("Join")).apply(
      this.label("JoinRows"),
      parDo<KV<unknown, { readonly left: SqlRowArray[]; readonly right: SqlRowArray[] }>, unknown>(
        {
          process(e, ctx) {
            const matchedRight = new Set<number>();
            for (const l of e.value.left) {
              let matched = false;
              e.value.right.forEach((r, j) => {
                const row = [...l, ...r];
                if (residual !== undefined && residual(row) !== true) return;
                matched = true;
                matchedRight.add(j);
                emit(row, ctx);
              });
              if (!matched && keepLeft) emit([...l, ...new Array<null>(rightWidth).fill(null)], ctx);
            }
            if (keepRight) e.value.right.forEach((r, j) => matchedRight.has(j) || emit([...new Array<null>(leftWidth).fill(null), ...r], ctx));
          },
        },
        fused?.options ?? {},
      ),
    );
    return fused === undefined ? joinedRows.withCoder(rowsCoder) : joinedRows;
  }

  private topN(node: Extract<PlanNode, { kind: "topN" }>): PCollection<SqlRowArray> {
    const n = node.limit + node.offset;
    const order = node.order;
    // NULL sorts as the largest value, as in Calcite: last ascending, first descending.
    const compare = (a: SqlRowArray, b: SqlRowArray): number => {
      for (const o of order) {
        const x = a[o.index] ?? null;
        const y = b[o.index] ?? null;
        const c = x === null ? (y === null ? 0 : 1) : y === null ? -1 : orderValues(x, y);
        if (c !== 0) return o.descending ? -c : c;
      }
      return 0;
    };
    const keep = (rows: SqlRowArray[]) => (order.length === 0 ? rows : rows.sort(compare)).slice(0, n);
    const fn: CombineFn<SqlRowArray, SqlRowArray[], SqlRowArray[]> = {
      name: "TopN",
      createAccumulator: () => [],
      addInput: (acc, row) => {
        acc.push(row);
        return acc.length > 2 * n + 16 ? keep(acc) : acc;
      },
      mergeAccumulators: (accs) => keep([...accs].flat()),
      extractOutput: (acc) => keep(acc).slice(node.offset),
      compact: (acc) => keep(acc),
    };
    const rows = this.translate(node.input);
    const global = rows.windowing.windowFn.urn === WindowFnUrns.global;
    return rows
      .apply(this.label("TopN"), combineGlobally(fn, { withoutDefaults: !global }))
      .apply(this.label("TopNRows"), parDo<SqlRowArray[], SqlRowArray>({ process: (rs, ctx) => rs.forEach((r) => ctx.output(r)) }))
      .withCoder(rowsCoder);
  }
}

/**
 * A plan's canonical text: what it computes, without the names it shows (column names,
 * table aliases and the display names of fields), so equal subqueries spelled with other
 * aliases are one.
 */
function planKey(node: PlanNode): string {
  return JSON.stringify(node, function (this: unknown, key: string, value: unknown) {
    // An input is known by its name; its columns carry the alias it was read under.
    if (key === "columns") return undefined;
    if (key === "name" && this !== null && typeof this === "object" && (this as { kind?: unknown }).kind === "field") return undefined;
    return typeof value === "bigint" ? `${value}n` : value;
  });
}

function rowsOf(names: readonly string[]) {
  return {
    process(element: unknown, ctx: { output(r: SqlRowArray): void }) {
      ctx.output(names.map((n) => (element as Record<string, unknown>)[n] ?? null));
    },
  };
}

/** How often each subplan occurs in `root`, by planKey (a subquery written twice counts twice). */
function subplanUses(root: PlanNode): Map<string, number> {
  const uses = new Map<string, number>();
  const visit = (node: PlanNode): void => {
    const key = planKey(node);
    uses.set(key, (uses.get(key) ?? 0) + 1);
    switch (node.kind) {
      case "input":
        return;
      case "calc":
      case "aggregate":
      case "topN":
        return visit(node.input);
      case "join":
      case "setOp":
        visit(node.left);
        return visit(node.right);
      case "union":
        return node.inputs.forEach(visit);
    }
  };
  visit(root);
  return uses;
}
