import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordBuffer } from "./record-buffer.js";

/**
 * The buffer's records in sorted order, as [group hex, value hex] pairs; checks that every
 * group listed has records and that its framed size (what a run record's header says) is theirs.
 */
function sortedRecords(records: RecordBuffer): [string, string][] {
  const { groups, firsts, order } = records.sorted();
  const out: [string, string][] = [];
  for (let r = 0; r < groups.length; r++) {
    const group = Buffer.from(records.groups.group(groups[r]!)).toString("hex");
    expect(firsts[r + 1]!).toBeGreaterThan(firsts[r]!);
    let framed = 0;
    for (let j = firsts[r]!; j < firsts[r + 1]!; j++) {
      const value = records.value(order[j]!);
      framed += 4 + value.length;
      out.push([group, Buffer.from(value).toString("hex")]);
    }
    expect(records.groups.framed[groups[r]!]).toBe(framed);
  }
  return out;
}

describe("RecordBuffer", () => {
  it("sorts records by group bytes, a group's values in arrival order, and drops what a rollback drops", () => {
    const add = fc.tuple(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: 40 }));
    // Bundles of records; a failed bundle is rolled back (its new groups stay in the table, empty).
    const bundle = fc.record({ records: fc.array(add, { maxLength: 20 }), fails: fc.boolean() });
    fc.assert(
      fc.property(fc.array(bundle, { maxLength: 12 }), fc.integer({ min: 1, max: 1 << 16 }), (bundles, limit) => {
        const records = new RecordBuffer(limit);
        const kept: [string, string][] = [];
        for (const b of bundles) {
          const mark = records.mark();
          for (const [g, v] of b.records) records.add(records.groups.idOf(g), v);
          if (b.fails) records.rollback(mark);
          else for (const [g, v] of b.records) kept.push([Buffer.from(g).toString("hex"), Buffer.from(v).toString("hex")]);
        }
        const expected = kept
          .map((r, i) => ({ r, i }))
          .sort((a, b) => Buffer.compare(Buffer.from(a.r[0], "hex"), Buffer.from(b.r[0], "hex")) || a.i - b.i)
          .map(({ r }) => r);
        expect(sortedRecords(records)).toEqual(expected);
        expect(records.count).toBe(kept.length);
      }),
      { numRuns: 200 },
    );
  });
});
