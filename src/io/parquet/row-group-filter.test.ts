import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cannotMatch, chunkStats, matches, resolveFilter, type ColumnPredicate, type Predicate } from "./row-group-filter.js";

const INT32 = { fields: [{ name: "x", type: { kind: "atomic", type: "INT32" } as const }] };

const predicate: fc.Arbitrary<ColumnPredicate> = fc.oneof(
  fc.integer({ min: -20, max: 20 }).map((v) => ({ eq: v })),
  fc.integer({ min: -20, max: 20 }).map((v) => ({ lt: v })),
  fc.integer({ min: -20, max: 20 }).map((v) => ({ gt: v })),
  fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 })).map(([a, b]) => ({ between: [a, b] as const })),
  fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 4 }).map((v) => ({ in: v })),
  fc.boolean().map((v) => ({ isNull: v })),
);

describe("row-group statistics pushdown", () => {
  it("never skips a row group holding a matching value (property)", () => {
    fc.assert(
      fc.property(predicate, fc.array(fc.option(fc.integer({ min: -20, max: 20 }), { nil: null }), { minLength: 1, maxLength: 10 }), (pred, values) => {
        const [p] = resolveFilter("test", { x: pred }, INT32) as [Predicate];
        const present = values.filter((v): v is number => v !== null);
        const stats = chunkStats(
          { min_value: present.length ? Math.min(...present) : undefined, max_value: present.length ? Math.max(...present) : undefined, null_count: BigInt(values.length - present.length) },
          BigInt(values.length),
          (v) => v,
        );
        if (values.some((v) => matches(p, v))) expect(cannotMatch(p, stats)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("skips a row group whose range is outside the predicate", () => {
    const [p] = resolveFilter("test", { x: { gt: 10 } }, INT32) as [Predicate];
    expect(cannotMatch(p, chunkStats({ min_value: 1, max_value: 10, null_count: 0n }, 5n, (v) => v))).toBe(true);
    expect(cannotMatch(p, chunkStats({ min_value: 1, max_value: 11, null_count: 0n }, 5n, (v) => v))).toBe(false);
  });

  it("does not use truncated (inexact) string bounds", () => {
    const [p] = resolveFilter("test", { s: { gt: "abcz" } }, { fields: [{ name: "s", type: { kind: "atomic", type: "STRING" } }] }) as [Predicate];
    const truncated = { min_value: "a", max_value: "abc", is_max_value_exact: false, null_count: 0n };
    expect(cannotMatch(p, chunkStats(truncated, 5n, (v) => v))).toBe(false);
  });

  it("orders strings by UTF-8 bytes, as Parquet's statistics do", () => {
    const [p] = resolveFilter("test", { s: { lt: "\u{1F600}" } }, { fields: [{ name: "s", type: { kind: "atomic", type: "STRING" } }] }) as [Predicate];
    // UTF-16 puts U+FFFD after the surrogate pair of U+1F600; UTF-8 puts it before.
    expect(matches(p, "\uFFFD")).toBe(true);
  });
});
