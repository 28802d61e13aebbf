import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, IntervalWindow, ON_TIME_AND_ONLY_FIRING, paneInfo, type BoundedWindow } from "../../model/index.js";
import { FileIOError } from "./file-io-error.js";
import { shardNameMatcher, windowedShardFileName } from "./shard-template.js";

describe("windowedShardFileName", () => {
  it("follows Beam's FileIO defaultNaming: prefix, window bounds, pane index unless the only firing, shard of count", () => {
    const w = new IntervalWindow(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 1));
    expect(windowedShardFileName("/out/c", w, ON_TIME_AND_ONLY_FIRING, 1, 3, ".txt")).toBe(
      "/out/c-2024-01-01T00:00:00.000Z-2024-01-01T00:01:00.000Z-00001-of-00003.txt",
    );
    expect(windowedShardFileName("/out/c", w, paneInfo(true, false, "EARLY", 0, -1), 0, 1)).toBe(
      "/out/c-2024-01-01T00:00:00.000Z-2024-01-01T00:01:00.000Z-0-00000-of-00001",
    );
    expect(windowedShardFileName("/out/c", GLOBAL_WINDOW, ON_TIME_AND_ONLY_FIRING, 0, 1)).toBe("/out/c-00000-of-00001");
    expect(windowedShardFileName("/out/c", GLOBAL_WINDOW, paneInfo(false, false, "EARLY", 4, -1), 0, 1)).toBe("/out/c-4-00000-of-00001");
    // Shard numbers as wide as the count, at least five digits.
    expect(windowedShardFileName("/out/c", GLOBAL_WINDOW, ON_TIME_AND_ONLY_FIRING, 7, 123456)).toBe("/out/c-000007-of-123456");
  });

  it("gives distinct windows, panes and shards distinct names, none of which a bounded write of the prefix would take as its own", () => {
    const arbWindow = fc.oneof(
      fc.constant<BoundedWindow>(GLOBAL_WINDOW),
      fc.tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 1e9 })).map(([s, len]): BoundedWindow => new IntervalWindow(s, s + len)),
    );
    const arbFile = fc.record({
      window: arbWindow,
      index: fc.nat(5),
      isFirst: fc.boolean(),
      isLast: fc.boolean(),
      shard: fc.nat(3),
    });
    fc.assert(
      fc.property(arbFile, arbFile, (a, b) => {
        const name = (f: typeof a) =>
          windowedShardFileName("/o/p", f.window, paneInfo(f.isFirst || f.index === 0, f.isLast, "EARLY", f.index, -1), f.shard, 4, ".txt");
        const paneKey = (f: typeof a) => ((f.isFirst || f.index === 0) && f.isLast ? "only" : String(f.index));
        const same = a.window.toString() === b.window.toString() && paneKey(a) === paneKey(b) && a.shard === b.shard;
        expect(name(a) === name(b)).toBe(same);
        expect(shardNameMatcher("/o/p", ".txt")(name(a).slice(3))).toBe(a.window === GLOBAL_WINDOW && paneKey(a) === "only");
      }),
    );
  });

  it("refuses windows that are neither interval windows nor the global window, naming the fix", () => {
    const custom: BoundedWindow = { maxTimestamp: () => 0, toString: () => "CustomWindow" } as unknown as BoundedWindow;
    expect(() => windowedShardFileName("/o/p", custom, ON_TIME_AND_ONLY_FIRING, 0, 1)).toThrow(FileIOError);
    expect(() => windowedShardFileName("/o/p", custom, ON_TIME_AND_ONLY_FIRING, 0, 1)).toThrow(/windowInto/);
  });
});
