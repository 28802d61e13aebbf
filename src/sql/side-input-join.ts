import { kvCoder, stringUtf8Coder } from "../coders/index.js";
import { WindowFnUrns, fixedWindows, globalWindows, kv, type Coder, type KV } from "../model/index.js";
import type { PCollection } from "../pipeline/index.js";
import { asMultimap, parDo, windowInto } from "../transforms/index.js";
import type { Evaluator } from "./compile-expression.js";
import { isBigDecimal, keyValue } from "./sql-values.js";

/** A row inside a query: column values by position (SQL NULL is null). */
type Row = readonly unknown[];

/** What a side-input join needs: both sides' rows, which one is broadcast, and how to key and match them. */
export interface SideInputJoinSpec {
  readonly main: PCollection<Row>;
  readonly side: PCollection<Row>;
  /** Which side of the join (as written) the side input is. */
  readonly sideIs: "left" | "right";
  /** The join keys of a main row and of a side row, already converted to the keys' common type. */
  readonly mainKey: (row: Row) => readonly unknown[];
  readonly sideKey: (row: Row) => readonly unknown[];
  /** The rest of ON over the joined row (left columns, then right), or undefined. */
  readonly residual: Evaluator | undefined;
  /** LEFT JOIN with the side on the right, RIGHT JOIN with it on the left: unmatched main rows with NULLs. */
  readonly keepUnmatchedMain: boolean;
  readonly sideWidth: number;
  readonly label: (kind: string) => string;
  readonly rowsCoder: Coder<Row>;
  /**
   * What to do with each joined row instead of outputting it: the calc over the join, run in
   * the join's DoFn (translate-plan.ts); the output's coder is then the caller's to set.
   */
  readonly emit?: (row: Row, ctx: { output(value: unknown): void; outputWithTimestamp(value: unknown, timestamp: number): void }) => void;
  /** The ParDo options that calc needs (its allowed timestamp skew). */
  readonly stepOptions?: { readonly allowedTimestampSkew?: number };
}

/** Why a side cannot be read as a side input per window of the main input, or undefined when it can. */
export function sideInputRefusal(side: PCollection<unknown>): string | undefined {
  return side.windowing.windowFn.isMerging ? `the side input is in merging windows (${side.windowing.windowFn.toString()})` : undefined;
}

/**
 * An equi-join with one side read as a side input (Beam SQL's BeamSideInputJoinRel): the
 * side's rows become a multimap from join key to rows, and one ParDo over the main side looks
 * each row's key up, so the main side is never shuffled. Windowing: when both sides are in the
 * same fixed windows each main window reads the side's same window; in the same sliding windows
 * each side row is moved to the fixed window of `period` ending where its sliding window ends,
 * which is the side window Beam maps a main sliding window to (the one holding its last
 * timestamp), so a main window again reads exactly its own window's side rows. A side in other
 * windowing than the main input's is re-windowed into the global window: every main window then
 * reads all of it (a lookup table).
 */
export function sideInputJoin(spec: SideInputJoinSpec): PCollection<unknown> {
  const { main, residual, keepUnmatchedMain, sideWidth, sideIs, label } = spec;
  const emit = spec.emit ?? ((row: Row, ctx: { output(value: unknown): void }) => ctx.output(row));
  const keyed = spec.side
    .apply(
      label("SideInputKey"),
      parDo<Row, KV<string, Row>>({
        process(r, ctx) {
          const key = keyString(spec.sideKey(r));
          if (key !== undefined) ctx.output(kv(key, r));
        },
      }),
    )
    .withCoder(kvCoder(stringUtf8Coder, spec.rowsCoder));
  const view = asMultimap(alignWindows(keyed, main, label));
  const nulls: readonly null[] = new Array<null>(sideWidth).fill(null);
  const joined = (m: Row, s: Row): unknown[] => (sideIs === "right" ? [...m, ...s] : [...s, ...m]);
  const joinedRows = main.apply(
      label("SideInputJoin"),
      parDo<Row, unknown>(
        {
          process(m, ctx) {
            const key = keyString(spec.mainKey(m));
            const matches = key === undefined ? undefined : ctx.sideInput(view).get(key);
            let matched = false;
            if (matches !== undefined) {
              for (const s of matches) {
                const row = joined(m, s);
                if (residual !== undefined && residual(row) !== true) continue;
                matched = true;
                emit(row, ctx);
              }
            }
            if (!matched && keepUnmatchedMain) emit(joined(m, nulls), ctx);
          },
        },
        { ...spec.stepOptions, sideInputs: [view] },
      ),
    );
  return spec.emit === undefined ? joinedRows.withCoder(spec.rowsCoder) : joinedRows;
}

/** What a semi-join filter needs: the rows to filter, the side whose keys they must match, and how to key both. */
export interface SemiJoinFilterSpec {
  readonly main: PCollection<Row>;
  readonly side: PCollection<Row>;
  /** Some of the join's keys, of a main row and of a side row, converted to the keys' common type. */
  readonly mainKey: (row: Row) => readonly unknown[];
  readonly sideKey: (row: Row) => readonly unknown[];
  /** What to do with each main row kept, in the filter's DoFn. */
  readonly emit: (row: Row, ctx: { output(value: unknown): void }) => void;
  readonly label: (kind: string) => string;
  readonly rowsCoder: Coder<Row>;
}

/**
 * The main rows that have a side row with the same key in their window: a semi-join with
 * the side read as a side input, for a reduction before a GROUP BY (translate-plan.ts).
 * Undefined when the two are windowed differently, or either has a trigger of its own: a
 * main window would then wait for a side window it does not correspond to, or its panes
 * would come later than they would without the filter, and the filter is only worth it
 * when it changes nothing but the work done.
 */
export function semiJoinFilter(spec: SemiJoinFilterSpec): PCollection<unknown> | undefined {
  const { main, side, label } = spec;
  if (main.windowing.windowFn.toString() !== side.windowing.windowFn.toString() || side.windowing.windowFn.isMerging) return undefined;
  if (main.windowing.trigger.kind !== "default" || side.windowing.trigger.kind !== "default") return undefined;
  const keyed = side
    .apply(
      label("SemiJoinKey"),
      parDo<Row, KV<string, Row>>({
        process(r, ctx) {
          const key = keyString(spec.sideKey(r));
          if (key !== undefined) ctx.output(kv(key, NO_COLUMNS));
        },
      }),
    )
    .withCoder(kvCoder(stringUtf8Coder, spec.rowsCoder));
  const view = asMultimap(alignWindows(keyed, main, label));
  const emit = spec.emit;
  return main.apply(
    label("SemiJoinFilter"),
    parDo<Row, unknown>(
      {
        process(m, ctx) {
          const key = keyString(spec.mainKey(m));
          if (key !== undefined && ctx.sideInput(view).has(key)) emit(m, ctx);
        },
      },
      { sideInputs: [view] },
    ),
  );
}

/** The value of a side key in a semi-join's view: only the key is looked up. */
const NO_COLUMNS: Row = Object.freeze([]);

/** The side's rows in the windows a side input of the main input must be in (see sideInputJoin). */
function alignWindows(side: PCollection<KV<string, Row>>, main: PCollection<Row>, label: (kind: string) => string): PCollection<KV<string, Row>> {
  const sideFn = side.windowing.windowFn;
  const mainFn = main.windowing.windowFn;
  if (sideFn.urn === WindowFnUrns.global) return side;
  if (sideFn.toString() !== mainFn.toString()) return side.apply(label("SideInputGlobal"), windowInto(globalWindows()));
  if (sideFn.urn === WindowFnUrns.fixed) return side;
  if (sideFn.urn === WindowFnUrns.sliding) {
    const { period, offset } = sideFn as unknown as { readonly period: number; readonly offset: number };
    return side
      .apply(
        label("SideInputWindowEnd"),
        parDo<KV<string, Row>, KV<string, Row>>(
          { process: (e, ctx) => ctx.outputWithTimestamp(e, ctx.window.maxTimestamp()) },
          // The end of its window is never before the row's own time; the skew only lets the time move forward.
          { allowedTimestampSkew: Number.MAX_SAFE_INTEGER },
        ),
      )
      .apply(label("SideInputPeriod"), windowInto(fixedWindows(period, offset)));
  }
  return side.apply(label("SideInputGlobal"), windowInto(globalWindows()));
}

/**
 * A join key as one string: equal SQL values give equal strings (1.5 and 1.50, -0 and 0), and
 * a key with a NULL gives undefined, since NULL equals nothing.
 */
function keyString(values: readonly unknown[]): string | undefined {
  let out = "";
  for (const value of values) {
    if (value === null || value === undefined) return undefined;
    const v = keyValue(value);
    if (typeof v === "string") out += `s${JSON.stringify(v)}`;
    else if (typeof v === "bigint") out += `n${v}`;
    else if (isBigDecimal(v)) out += `d${v.unscaledValue}e${v.scale}`;
    else if (v instanceof Uint8Array) out += `b${Array.from(v).join(".")}`;
    else out += `${typeof v}${String(v)}`;
    out += ";";
  }
  return out;
}
