import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RecordSource } from "./run-files.js";
import { SourceHeap } from "./source-heap.js";

/** A sorted list of [group, value] records as a source. */
class ListSource implements RecordSource {
  private i = 0;
  constructor(private readonly records: readonly [Uint8Array, Uint8Array][]) {}
  get head(): Uint8Array | undefined {
    return this.records[this.i]?.[0];
  }
  readValues(into: Uint8Array[]): void {
    into.push(this.records[this.i]![1]);
  }
  advance(): void {
    this.i++;
  }
  close(): void {}
}

describe("SourceHeap", () => {
  it("merges sorted sources into one sorted stream, equal groups oldest source first", () => {
    const record = fc.tuple(fc.uint8Array({ maxLength: 3 }).map((b) => b.map((x) => x % 4)), fc.nat());
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 30 }), { maxLength: 12 }), (lists) => {
        // Each source sorted by group bytes (stable: a group's values keep their order in it).
        const sources = lists.map(
          (l) => new ListSource(l.map(([g, v]) => [g, Uint8Array.of(v & 0xff, v >> 8)] as [Uint8Array, Uint8Array]).sort((a, b) => Buffer.compare(a[0], b[0]))),
        );
        const expected = lists
          .flatMap((l, s) => l.map(([g, v]) => ({ g, v, s })).sort((a, b) => Buffer.compare(a.g, b.g)))
          .sort((a, b) => Buffer.compare(a.g, b.g) || a.s - b.s)
          .map(({ g, v }) => [Buffer.from(g).toString("hex"), v & 0xff]);
        const heap = new SourceHeap(sources);
        const merged: [string, number][] = [];
        for (let top = heap.top; top !== undefined; top = heap.top) {
          const values: Uint8Array[] = [];
          top.readValues(values);
          merged.push([Buffer.from(top.head!).toString("hex"), values[0]![0]!]);
          heap.advanceTop();
        }
        expect(merged).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
