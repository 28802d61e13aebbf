import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, IntervalWindow } from "../model/index.js";
import { WindowBuffers } from "./window-buffers.js";

describe("WindowBuffers", () => {
  it("keeps one timestamp for a buffer's elements while they share it, and each element's own once they differ", () => {
    const buffers = new WindowBuffers<string, null>();
    for (const [value, t] of [["a", 5], ["b", 5], ["c", 5]] as const) buffers.add(GLOBAL_WINDOW, value, t, null);
    const shared = buffers.get(GLOBAL_WINDOW)!;
    expect(shared.timestamps).toBeUndefined();
    expect(shared.values.map((_, i) => shared.timestampAt(i))).toEqual([5, 5, 5]);
    for (const [value, t] of [["d", 7], ["e", 5]] as const) buffers.add(GLOBAL_WINDOW, value, t, null);
    const mixed = buffers.take(GLOBAL_WINDOW)!;
    expect(mixed.values).toEqual(["a", "b", "c", "d", "e"]);
    expect(mixed.values.map((_, i) => mixed.timestampAt(i))).toEqual([5, 5, 5, 7, 5]);
  });

  it("holds each window's elements in a buffer of their own, with its tag", () => {
    const buffers = new WindowBuffers<number, string>();
    const w1 = new IntervalWindow(0, 10);
    const w2 = new IntervalWindow(10, 20);
    buffers.add(w1, 1, 1, "m1");
    buffers.add(w2, 11, 11, "m2");
    buffers.add(new IntervalWindow(0, 10), 2, 2, "ignored: the buffer exists");
    const first = buffers.take(w1)!;
    expect([first.values, first.tag, first.timestampAt(1)]).toEqual([[1, 2], "m1", 2]);
    expect(buffers.takeAll().map((b) => [b.values, b.tag])).toEqual([[[11], "m2"]]);
    expect(buffers.get(w1)).toBeUndefined();
  });
});
