import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GLOBAL_WINDOW,
  IntervalWindow,
  NO_FIRING,
  fixedWindows,
  mergeOverlappingIntervals,
  sessions,
  slidingWindows,
  type AssignContext,
} from "../src/model/index.js";

const at = (timestamp: number): AssignContext => ({ element: null, timestamp, windows: [GLOBAL_WINDOW], pane: NO_FIRING });
const timestamp = fc.integer({ min: -(10 ** 12), max: 10 ** 12 });
const duration = fc.integer({ min: 1, max: 10 ** 7 });

describe("windowing invariants", () => {
  it("puts every timestamp in exactly one fixed window that contains it, aligned to size and offset", () => {
    fc.assert(
      fc.property(timestamp, duration, fc.integer({ min: -(10 ** 7), max: 10 ** 7 }), (t, size, offset) => {
        const ws = fixedWindows(size, offset).assignWindows(at(t));
        expect(ws).toHaveLength(1);
        const w = ws[0] as IntervalWindow;
        expect(w.start <= t && t < w.end).toBe(true);
        expect(w.end - w.start).toBe(size);
        expect((((w.start - offset) % size) + size) % size).toBe(0);
      }),
    );
  });

  it("puts every timestamp in ceil(size/period) sliding windows when period divides size", () => {
    fc.assert(
      fc.property(timestamp, fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 20 }), (t, period, k) => {
        const size = period * k;
        const ws = slidingWindows(size, period).assignWindows(at(t));
        expect(ws).toHaveLength(k);
        for (const w of ws) expect(w.start <= t && t < w.end && w.end - w.start === size).toBe(true);
        expect(new Set(ws.map((w) => w.id())).size).toBe(k);
      }),
    );
  });

  it("merges session windows into disjoint windows covering exactly the input windows", () => {
    fc.assert(
      fc.property(fc.array(timestamp, { minLength: 1, maxLength: 30 }), duration, (ts, gap) => {
        const fn = sessions(gap);
        const windows = ts.flatMap((t) => fn.assignWindows(at(t)));
        const merges = mergeOverlappingIntervals(windows);
        const merged = new Set(merges.flatMap((m) => m.from));
        const result = [...merges.map((m) => m.result), ...windows.filter((w) => !merged.has(w))];
        // Every input window is inside exactly one result window.
        for (const w of windows) expect(result.filter((r) => r.contains(w))).toHaveLength(1);
        // Result windows do not overlap (else they would have merged).
        const sorted = [...new Map(result.map((r) => [r.id(), r])).values()].sort((a, b) => a.start - b.start);
        for (let i = 1; i < sorted.length; i++) {
          expect((sorted[i - 1] as IntervalWindow).end <= (sorted[i] as IntervalWindow).start).toBe(true);
        }
        // Each merge result is the span of what it merged.
        for (const m of merges) {
          expect(m.result.start).toBe(Math.min(...m.from.map((w) => w.start)));
          expect(m.result.end).toBe(Math.max(...m.from.map((w) => w.end)));
        }
      }),
    );
  });

  it("ends every interval window's maxTimestamp one millisecond before its end", () => {
    fc.assert(fc.property(timestamp, duration, (s, d) => {
        expect(new IntervalWindow(s, s + d).maxTimestamp()).toBe(s + d - 1);
      }),
    );
  });
});
