import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, IntervalWindow, MAX_TIMESTAMP, type BoundedWindow, type Coder } from "../model/index.js";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
import { customWindowCoder } from "./custom-window-coder.js";
import { globalWindowCoder, intervalWindowCoder } from "./window-coders.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("customWindowCoder", () => {
  it("prefixes the window with its max timestamp as an InstantCoder instant", () => {
    const coder = customWindowCoder(intervalWindowCoder);
    const w = new IntervalWindow(0, 10);
    const bytes = encodeToBytes(coder, w);
    expect(hex(bytes.subarray(0, 8))).toBe("8000000000000009");
    expect(hex(bytes.subarray(8))).toBe(hex(encodeToBytes(intervalWindowCoder, w, true)));
    expect(decodeFromBytes(coder, bytes)).toEqual(w);
  });

  it("writes exact max timestamps where doubles are not exact", () => {
    const global = encodeToBytes(customWindowCoder(globalWindowCoder as Coder<BoundedWindow>), GLOBAL_WINDOW);
    expect(BigInt.asIntN(64, Buffer.from(global).readBigUInt64BE(0) ^ (1n << 63n))).toBe(9223371950454775n);
    const last = encodeToBytes(customWindowCoder(intervalWindowCoder), new IntervalWindow(0, MAX_TIMESTAMP));
    expect(BigInt.asIntN(64, Buffer.from(last).readBigUInt64BE(0) ^ (1n << 63n))).toBe(9223372036854774n);
  });

  it("ignores the prefix when decoding, as Beam's SDKs do", () => {
    const window = encodeToBytes(intervalWindowCoder, new IntervalWindow(5, 10), true);
    const bytes = new Uint8Array([...new Array<number>(8).fill(0), ...window]);
    expect(decodeFromBytes(customWindowCoder(intervalWindowCoder), bytes)).toEqual(new IntervalWindow(5, 10));
  });

  it("rejects values that are not windows", () => {
    expect(() => encodeToBytes(customWindowCoder(intervalWindowCoder), 5 as never)).toThrow(/expected a window/);
  });
});
