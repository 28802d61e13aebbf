/**
 * How bench:peers compares query 6 across systems. Its result count is its number of panes,
 * which depends on the runner; its final average per seller does not (see
 * bench/nexmark/queries/final-averages.ts), so that is what the table compares.
 */
import type { FinalAverages } from "../nexmark/queries/final-averages.js";

/** Why query 6's result counts differ between systems (a footnote of the table). */
export const QUERY6_COUNT_NOTE =
  "Query 6's result count is its number of panes. Its trigger, as in Beam's Query6, is Repeatedly(AfterPane.elementCountAtLeast(1)) in the global window with accumulating panes: " +
  "a pane per seller whenever the trigger fires after a winning bid, and a trigger fires at most once per bundle, so the count depends on how each runner bundles the winning bids " +
  "(the DirectRunner fires once per winning bid plus a last pane per seller when the window closes; beam-ts's embedded runner once per bundle; batch Flink once per seller, at the end). " +
  "What does not depend on it is each seller's final average, the value of its last pane (panes accumulate, so it covers all of the seller's winning bids: the rounded mean of the latest 10): " +
  "each system records the number of sellers, the sum of the final averages and a digest of the (seller, final average) pairs (bench/nexmark/queries/final-averages.ts, the same in the Java peer: a GroupByKey after the query that keeps each seller's last pane, inside the measured runtime), and the table compares those";

/** The final-average comparison of one (query 6, size) cell. */
export interface FinalAveragesCheck {
  /** The summaries of the systems that reported them. */
  readonly values: Record<string, FinalAverages>;
  /** Whether those all agree (sellers, sum and digest). */
  readonly agree: boolean;
  /** Systems with a result count but no final averages (Beam Python, or runs from before they were recorded). */
  readonly missing: readonly string[];
}

const same = (a: FinalAverages, b: FinalAverages) => a.sellers === b.sellers && a.sum === b.sum && a.digest === b.digest;

/** Compares the final averages of the runs that finished (`counted`: the systems with a result count). */
export function checkFinalAverages(runs: readonly { system: string; finalAverages?: FinalAverages }[], counted: readonly string[]): FinalAveragesCheck | undefined {
  const values: Record<string, FinalAverages> = {};
  for (const r of runs) if (r.finalAverages !== undefined && counted.includes(r.system)) values[r.system] = r.finalAverages;
  const all = Object.values(values);
  if (all.length === 0) return undefined;
  return { values, agree: all.every((v) => same(v, all[0]!)), missing: counted.filter((s) => values[s] === undefined) };
}

/**
 * The "result counts" cell of query 6: whether the final averages agree, with the pane counts
 * in a footnote (`footnote` returns its marker).
 */
export function query6Cell(check: FinalAveragesCheck, counts: Record<string, number>, fmt: (n: number) => string, footnote: (text: string) => string): string {
  const entries = Object.entries(check.values);
  const paneCounts = `pane counts ${Object.entries(counts)
    .map(([s, c]) => `${s} ${fmt(c)}`)
    .join(", ")} ${footnote(QUERY6_COUNT_NOTE)}`;
  const missing = check.missing.length > 0 ? `; no final averages from ${check.missing.join(", ")} (Beam Python does not record them; older runs predate them)` : "";
  if (check.agree) {
    const v = entries[0]![1];
    const who = entries.length === 1 ? "one system" : "all agree";
    return `final averages of ${fmt(v.sellers)} sellers (${who}; sum ${fmt(v.sum)}, digest ${v.digest})${missing}; ${paneCounts}`;
  }
  const each = entries.map(([s, v]) => `${s} ${fmt(v.sellers)} sellers, sum ${fmt(v.sum)}, digest ${v.digest}`).join("; ");
  return `**MISMATCH** in final averages: ${each}${missing}; ${paneCounts}`;
}
