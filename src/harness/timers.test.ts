import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, type BoundedWindow } from "../model/index.js";
import { encodeToBytes, globalWindowCoder, stringUtf8Coder, timerCoder } from "../coders/index.js";
import { BundleTimers, decodeFiredTimers } from "./timers.js";

const coder = timerCoder(stringUtf8Coder, globalWindowCoder as never);
const keyBytes = (k: string) => encodeToBytes(stringUtf8Coder, k, true);
const write = (key: string, family: string, tag: string, fireTimestamp: number | undefined) => ({
  family,
  tag,
  key,
  keyBytes: keyBytes(key),
  window: GLOBAL_WINDOW as BoundedWindow,
  fireTimestamp,
  holdTimestamp: fireTimestamp ?? 0,
});

describe("BundleTimers", () => {
  it("keeps the last write per key, window, family and tag, and encodes them per family with the timer coder", () => {
    const timers = new BundleTimers(coder as never);
    timers.write(write("a", "flush", "", 10));
    timers.write(write("a", "flush", "", 20));
    timers.write(write("b", "flush", "", 5));
    timers.write(write("a", "family", "t1", 7));
    timers.write(write("a", "family", "t1", undefined));
    const encoded = timers.encode();
    expect([...encoded.keys()].sort()).toEqual(["family", "flush"]);
    const fired = decodeFiredTimers(coder as never, stringUtf8Coder as never, "flush", encoded.get("flush")!);
    expect(fired.map((t) => `${String(t.key)}@${t.fireTimestamp}`)).toEqual(["a@20", "b@5"]);
    expect(Buffer.from(fired[0]!.keyBytes)).toEqual(Buffer.from(keyBytes("a")));
    // A clear is encoded (so the runner drops the timer) but is never a firing.
    expect(decodeFiredTimers(coder as never, stringUtf8Coder as never, "family", encoded.get("family")!)).toEqual([]);
  });

  it("finds the earliest timer of a key and window set before a time, among the given families", () => {
    const timers = new BundleTimers(coder as never);
    timers.write(write("a", "b", "", 11));
    timers.write(write("a", "c", "", 9));
    timers.write(write("a", "p", "", 1));
    timers.write(write("z", "b", "", 3));
    expect(timers.earliestSetBefore(keyBytes("a"), GLOBAL_WINDOW, 100, new Set(["b", "c"]))?.fireTimestamp).toBe(9);
    expect(timers.earliestSetBefore(keyBytes("a"), GLOBAL_WINDOW, 9, new Set(["b", "c"]))).toBeUndefined();
  });
});
