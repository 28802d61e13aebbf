import { isDeepStrictEqual } from "node:util";
import { describeValue } from "../model/index.js";

/** A check over all elements of one window of a PCollection; returns a failure text or undefined. */
export type Matcher<T> = (actual: readonly T[]) => string | undefined;

const MAX_LISTED = 20;

function list(values: readonly unknown[]): string {
  const shown = values.slice(0, MAX_LISTED).map((v) => `    ${describeValue(v, 160)}`);
  if (values.length > MAX_LISTED) shown.push(`    … and ${values.length - MAX_LISTED} more`);
  return shown.length ? shown.join("\n") : "    (none)";
}

/**
 * Multiset difference by deep equality: what `expected` has that `actual` lacks, and
 * the reverse. Elements are bucketed by a cheap description first, so large collections
 * do not compare every pair.
 */
export function multisetDiff(expected: readonly unknown[], actual: readonly unknown[]): { missing: unknown[]; unexpected: unknown[] } {
  const buckets = new Map<string, unknown[]>();
  for (const a of actual) {
    const k = describeValue(a, 10_000);
    let b = buckets.get(k);
    if (b === undefined) buckets.set(k, (b = []));
    b.push(a);
  }
  const missing: unknown[] = [];
  for (const e of expected) {
    const b = buckets.get(describeValue(e, 10_000));
    const i = b ? b.findIndex((a) => isDeepStrictEqual(a, e)) : -1;
    if (b && i >= 0) b.splice(i, 1);
    else missing.push(e);
  }
  const unexpected = [...buckets.values()].flat();
  return { missing, unexpected };
}

/** The PCollection holds exactly these elements, in any order (deep equality, with multiplicity). */
export function containsInAnyOrder<T>(expected: readonly T[]): Matcher<T> {
  return (actual) => {
    const { missing, unexpected } = multisetDiff(expected, actual);
    if (missing.length === 0 && unexpected.length === 0) return undefined;
    return [
      `expected ${expected.length} element(s) in any order, got ${actual.length}.`,
      `  missing (expected, not found):\n${list(missing)}`,
      `  unexpected (found, not expected):\n${list(unexpected)}`,
    ].join("\n");
  };
}

/** The PCollection holds exactly one element, deep-equal to `expected`. */
export function equalsSingleton<T>(expected: T): Matcher<T> {
  return (actual) => {
    if (actual.length === 1 && isDeepStrictEqual(actual[0], expected)) return undefined;
    if (actual.length !== 1) {
      return `expected exactly one element equal to ${describeValue(expected)}, got ${actual.length}:\n${list(actual)}`;
    }
    return `expected ${describeValue(expected, 400)}\n       got ${describeValue(actual[0], 400)}`;
  };
}

/** The PCollection is empty. */
export function isEmpty<T>(): Matcher<T> {
  return (actual) => (actual.length === 0 ? undefined : `expected no elements, got ${actual.length}:\n${list(actual)}`);
}

/** A user check: throw, or return false, to fail. */
export function satisfies<T>(check: (actual: readonly T[]) => boolean | void): Matcher<T> {
  return (actual) => {
    try {
      return check(actual) === false ? `the check returned false for ${actual.length} element(s):\n${list(actual)}` : undefined;
    } catch (err) {
      return `the check threw: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
}
