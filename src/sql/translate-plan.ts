import { deterministicJsValueCoder, jsValueCoder, kvCoder } from "../coders/index.js";
import { IntervalWindow, WindowFnUrns, fixedWindows, kv, sessions, slidingWindows, type Coder, type KV } from "../model/index.js";
import type { PCollection } from "../pipeline/index.js";
import { coGroupByKey, combineGlobally, combinePerKey, flattenAll, parDo, windowInto, withTimestamps, type CombineFn } from "../transforms/index.js";
import { aggregatesCombineFn } from "./aggregate-functions.js";
import { compileExpression, type Evaluator } from "./compile-expression.js";
import type { PlanNode } from "./plan.js";
import { castValue, compareValues, keyValue } from "./sql-values.js";
import { commonType } from "./sql-types.js";

/** A row inside a query: column values by position (SQL NULL is null). */
export type SqlRowArray = readonly unknown[];

const rowsCoder = jsValueCoder as Coder<SqlRowArray>;

/**
 * Applies a plan as Beam transforms: calcs as one ParDo each (reading the input's schema
 * rows directly when the calc sits on an input), aggregates as a lifted combinePerKey (or
 * combineGlobally without keys), joins on coGroupByKey, UNION ALL as a Flatten, top-N as a
 * global combine. Rows between steps are arrays encoded with the JS value coder; keys use its
 * deterministic form.
 */
export class PlanTranslator {
  private counter = 0;
  constructor(private readonly inputs: ReadonlyMap<string, PCollection<unknown>>) {}

  private label(kind: string): string {
    return `${kind}${++this.counter}`;
  }

  translate(node: PlanNode): PCollection<SqlRowArray> {
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
      case "topN":
        return this.topN(node);
    }
  }

  private input(name: string, _columns: readonly string[]): PCollection<unknown> {
    const pc = this.inputs.get(name) ?? [...this.inputs].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    if (pc === undefined) throw new Error(`sql: no input ${name}`);
    return pc;
  }

  private calc(node: Extract<PlanNode, { kind: "calc" }>): PCollection<SqlRowArray> {
    const filter = node.filter === undefined ? undefined : compileExpression(node.filter);
    const projects = node.projects.map(compileExpression);
    // A calc on an input reads its schema rows in the same ParDo: projection, filter and the
    // conversion from rows fuse into one step.
    const names = node.input.kind === "input" ? node.input.columns.map((c) => c.name) : undefined;
    const source = node.input.kind === "input" ? this.input(node.input.name, names!) : this.translate(node.input);
    return source
      .apply(
        this.label("Calc"),
        parDo<unknown, SqlRowArray>({
          process(element, ctx) {
            const row = names === undefined ? (element as SqlRowArray) : names.map((n) => (element as Record<string, unknown>)[n] ?? null);
            if (filter !== undefined && filter(row) !== true) return;
            ctx.output(projects.map((p) => p(row)));
          },
        }),
      )
      .withCoder(rowsCoder);
  }

  private aggregate(node: Extract<PlanNode, { kind: "aggregate" }>): PCollection<SqlRowArray> {
    let rows = this.translate(node.input);
    const w = node.window;
    if (w !== undefined) {
      const field = w.field;
      // As Beam SQL: the window's time field is the event time of its row.
      rows = rows
        .apply(this.label("EventTime"), withTimestamps((r: SqlRowArray) => r[field] as number, { allowedTimestampSkew: Number.MAX_SAFE_INTEGER }))
        .apply(
          this.label("Window"),
          windowInto(w.fn === "TUMBLE" ? fixedWindows(w.size) : w.fn === "HOP" ? slidingWindows(w.size, w.period) : sessions(w.size)),
        );
    }
    const keyCount = node.keyCount;
    const fn = aggregatesCombineFn(node.aggregates);
    const global = keyCount === 0 && w === undefined && rows.windowing.windowFn.urn === WindowFnUrns.global;
    if (global) {
      // SQL: an aggregate without GROUP BY gives one row, also for no input (COUNT 0, SUM NULL).
      return rows.apply(this.label("Aggregate"), combineGlobally(fn)).apply(this.label("Row"), parDo<unknown[], SqlRowArray>({ process: (out, ctx) => ctx.output(out) })).withCoder(rowsCoder);
    }
    const keyed = rows
      .apply(
        this.label("Key"),
        parDo<SqlRowArray, KV<unknown[], SqlRowArray>>({ process: (r, ctx) => ctx.output(kv(r.slice(0, keyCount).map(keyValue), r)) }),
      )
      .withCoder(kvCoder(deterministicJsValueCoder as Coder<unknown[]>, rowsCoder));
    const windowed = w !== undefined;
    return keyed
      .apply(this.label("Aggregate"), combinePerKey(fn))
      .apply(
        this.label("Row"),
        parDo<KV<unknown[], unknown[]>, SqlRowArray>({
          process(e, ctx) {
            const bounds = windowed && ctx.window instanceof IntervalWindow ? [ctx.window.start, ctx.window.end] : [];
            ctx.output([...e.key, ...e.value, ...bounds]);
          },
        }),
      )
      .withCoder(rowsCoder);
  }

  private join(node: Extract<PlanNode, { kind: "join" }>): PCollection<SqlRowArray> {
    const keyTypes = node.leftKeys.map((k, i) => commonType(k.type.name, node.rightKeys[i]!.type.name) ?? k.type.name);
    const keyer = (exprs: readonly Evaluator[], fromTypes: readonly string[], side: string) => {
      return parDo<SqlRowArray, KV<unknown[], SqlRowArray>>({
        process(r, ctx) {
          const key = exprs.map((e, i) => {
            const v = e(r);
            return v === null ? null : keyValue(castValue(v, fromTypes[i] as never, keyTypes[i]!));
          });
          // NULL never equals anything: such a row gets a key of its side only, so it meets no row of the other side.
          ctx.output(kv(key.includes(null) ? [`\u0000null-${side}`] : key, r));
        },
      });
    };
    const keyCoder = kvCoder(deterministicJsValueCoder as Coder<unknown[]>, rowsCoder);
    const left = this.translate(node.left).apply(this.label("JoinKeyLeft"), keyer(node.leftKeys.map(compileExpression), node.leftKeys.map((k) => k.type.name), "left")).withCoder(keyCoder);
    const right = this.translate(node.right).apply(this.label("JoinKeyRight"), keyer(node.rightKeys.map(compileExpression), node.rightKeys.map((k) => k.type.name), "right")).withCoder(keyCoder);
    const residual = node.residual === undefined ? undefined : compileExpression(node.residual);
    const leftWidth = node.left.columns.length;
    const rightWidth = node.right.columns.length;
    const keepLeft = node.join === "LEFT" || node.join === "FULL";
    const keepRight = node.join === "RIGHT" || node.join === "FULL";
    return coGroupByKey({ left, right }, this.label("Join"))
      .apply(
        this.label("JoinRows"),
        parDo<KV<unknown, { readonly left: SqlRowArray[]; readonly right: SqlRowArray[] }>, SqlRowArray>({
          process(e, ctx) {
            const matchedRight = new Set<number>();
            for (const l of e.value.left) {
              let matched = false;
              e.value.right.forEach((r, j) => {
                const row = [...l, ...r];
                if (residual !== undefined && residual(row) !== true) return;
                matched = true;
                matchedRight.add(j);
                ctx.output(row);
              });
              if (!matched && keepLeft) ctx.output([...l, ...new Array<null>(rightWidth).fill(null)]);
            }
            if (keepRight) e.value.right.forEach((r, j) => matchedRight.has(j) || ctx.output([...new Array<null>(leftWidth).fill(null), ...r]));
          },
        }),
      )
      .withCoder(rowsCoder);
  }

  private topN(node: Extract<PlanNode, { kind: "topN" }>): PCollection<SqlRowArray> {
    const n = node.limit + node.offset;
    const order = node.order;
    // NULL sorts as the largest value, as in Calcite: last ascending, first descending.
    const compare = (a: SqlRowArray, b: SqlRowArray): number => {
      for (const o of order) {
        const x = a[o.index] ?? null;
        const y = b[o.index] ?? null;
        const c = x === null ? (y === null ? 0 : 1) : y === null ? -1 : compareValues(x, y);
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

function rowsOf(names: readonly string[]) {
  return {
    process(element: unknown, ctx: { output(r: SqlRowArray): void }) {
      ctx.output(names.map((n) => (element as Record<string, unknown>)[n] ?? null));
    },
  };
}
