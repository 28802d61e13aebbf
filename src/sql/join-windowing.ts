import { WindowFnUrns, describeTrigger } from "../model/index.js";
import type { PCollection } from "../pipeline/index.js";

/** Why a join on CoGroupByKey cannot join these sides, and how to fix it; undefined when it can. */
export interface JoinWindowingRefusal {
  readonly problem: string;
  readonly fix: string;
}

/**
 * The windowing a join on CoGroupByKey needs, as Beam SQL's BeamCoGBKJoinRel checks it: rows
 * meet per window, so both sides must be windowed alike; and an unbounded side must fire each
 * window exactly once (a non-global window, the default trigger, no allowed lateness), since a
 * second pane of one side would join again with rows of the other side already joined, and
 * there are no retractions to take the first result back.
 */
export function joinWindowingRefusal(left: PCollection<unknown>, right: PCollection<unknown>): JoinWindowingRefusal | undefined {
  const [lw, rw] = [left.windowing.windowFn.toString(), right.windowing.windowFn.toString()];
  if (lw !== rw) {
    return {
      problem: `the sides of the join are windowed differently: ${lw} and ${rw}`,
      fix: "window both sides alike (the same TUMBLE/HOP/SESSION, or windowInto before sql()); a bounded side joined to an unbounded one is read as a side input only in an INNER join or an outer join keeping the unbounded side",
    };
  }
  for (const [side, pc] of [["left", left], ["right", right]] as const) {
    if (pc.isBounded) continue;
    const ws = pc.windowing;
    if (ws.windowFn.urn === WindowFnUrns.global) {
      return {
        problem: `the ${side} side is unbounded and in the global window, so the join would never fire`,
        fix: "window both sides before the join, e.g. windowInto(fixedWindows(...)) before sql(), or join TUMBLE/HOP/SESSION aggregates",
      };
    }
    if (ws.trigger.kind !== "default") {
      return {
        problem: `the ${side} side's trigger (${describeTrigger(ws.trigger)}) may fire a window more than once, and a join of unbounded inputs must fire once per window (as Beam SQL)`,
        fix: "use the default trigger for inputs of a join; apply early or late firings after the join",
      };
    }
    if (ws.allowedLateness !== 0) {
      return {
        problem: `the ${side} side allows lateness (${ws.allowedLateness} ms), so a late pane would join a window again, and a join of unbounded inputs must fire once per window (as Beam SQL)`,
        fix: "window the inputs of the join with zero allowed lateness",
      };
    }
  }
  return undefined;
}
