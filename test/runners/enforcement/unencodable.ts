/**
 * Pipelines whose GroupByKey input holds values the default coder cannot encode: a function,
 * a cyclic object, a class instance. The enforcement tests run them on one thread and on two;
 * worker threads import unencodable-module.ts, which builds the one named by ENV.
 */
import { create, groupByKey, kv, map, type Pipeline } from "../../../src/index.js";

/** The environment variable naming the value kind (worker threads inherit the environment). */
export const ENV = "BEAM_TS_UNENCODABLE_KIND";

class Reading {
  constructor(readonly celsius: number) {}
}

/** Makes the value of element `i` of each kind. */
export const KINDS: Readonly<Record<string, (i: number) => unknown>> = {
  function: (i) => ({ i, f: () => i }),
  cycle: (i) => {
    const o: Record<string, unknown> = { i };
    o["self"] = o;
    return o;
  },
  classInstance: (i) => new Reading(i),
};

/** 200 elements over 16 keys, so that both threads own keys, into a GroupByKey. */
export function buildUnencodable(p: Pipeline, kind: string): void {
  const make = KINDS[kind]!;
  p.apply(create(Array.from({ length: 200 }, (_, i) => i)))
    .apply("MakeValues", map((i: number) => kv(`k${i % 16}`, make(i))))
    .apply(groupByKey());
}
