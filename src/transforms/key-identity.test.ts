import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeToBytes, jsValueCoder, kvCoder, stringUtf8Coder, varIntCoder } from "../coders/index.js";
import { kv } from "../model/index.js";
import { encodeKey, keyIdentityFn } from "./key-identity.js";

describe("key identity: Beam's equality of keys (their encoded bytes) as a JS Map key", () => {
  const coder = kvCoder(stringUtf8Coder, varIntCoder);

  it("encodes a key as one char per byte of its encoding", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.nat(), (k, n) => {
        const bytes = encodeToBytes(coder, kv(k, n), true);
        expect(encodeKey(coder, kv(k, n))).toBe(String.fromCharCode(...bytes));
      }),
    );
  });

  it("gives equal identities to keys with equal encodings only", () => {
    const id = keyIdentityFn(coder as never);
    fc.assert(
      fc.property(fc.string(), fc.nat(), fc.string(), fc.nat(), (a, x, b, y) => {
        expect(id(kv(a, x)) === id(kv(b, y))).toBe(a === b && x === y);
      }),
    );
  });

  it("keeps primitive keys as they are, and prefixes encoded objects so they never equal a string", () => {
    const id = keyIdentityFn(jsValueCoder as never);
    expect(id("k")).toBe("k");
    expect(id(7)).toBe(7);
    const obj = id({ a: 1 });
    expect(typeof obj === "string" && obj.startsWith("\u0000")).toBe(true);
  });
});
