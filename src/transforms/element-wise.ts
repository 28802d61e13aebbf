import type { ProcessContext } from "./do-fn.js";

/**
 * A map, filter or flatMap step as a runner may compose it with its fused neighbours
 * (runners/embedded/element-wise-chain.ts): the user's function, and what the step's
 * `process` does with a result the composed path does not handle itself (a promise, an
 * async iterable), so both paths mean the same. Not part of the public API.
 */
export interface ElementWise {
  readonly kind: "map" | "filter" | "flatMap";
  readonly fn: (element: unknown, ctx: ProcessContext<unknown>) => unknown;
  deliver(element: unknown, result: unknown, ctx: ProcessContext<unknown>): void | Promise<void>;
}

/** The key under which map, filter and flatMap DoFns give their ElementWise view. */
export const ELEMENT_WISE: unique symbol = Symbol("beam-ts.elementWise");

/** The ElementWise view of a DoFn made by map, filter or flatMap; undefined for any other. */
export function elementWiseOf(doFn: object): ElementWise | undefined {
  const view = (doFn as { [ELEMENT_WISE]?: () => ElementWise })[ELEMENT_WISE];
  return typeof view === "function" ? view.call(doFn) : undefined;
}
