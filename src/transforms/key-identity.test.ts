import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  boolCoder,
  decodeFromBytes,
  deterministicJsValueCoder,
  doubleCoder,
  encodeToBytes,
  jsValueCoder,
  kvCoder,
  stringUtf8Coder,
  varIntCoder,
} from "../coders/index.js";
import { kv, type Coder } from "../model/index.js";
import { encodeKey, keyIdentifier, keyIdentityFn, type KeyIdentity } from "./key-identity.js";

/** A NaN whose payload (the low mantissa bits) is `payload`. */
function nanWithPayload(payload: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff80000);
  view.setUint32(4, payload);
  return view.getFloat64(0);
}

/**
 * Strings from a few code units, so that equal encodings from unequal strings come up
 * often: lone surrogates (UTF-8 writes each as U+FFFD), U+FFFD itself, a surrogate pair,
 * U+0000 (the encoded-identity marker) and two ASCII letters.
 */
const trickyString = fc.string({ unit: fc.constantFrom("\uD800", "\uDC00", "\uDBFF", "\uFFFD", "\uD83D\uDE00", "\u0000", "\t", "a", "b"), maxLength: 3 });
/** Doubles with -0, a few NaN payloads, infinities and fractions. */
const trickyDouble = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 2 ** 53, -(2 ** 60)),
  fc.integer({ min: 0, max: 3 }).map(nanWithPayload),
  fc.double(),
);
const trickyPrimitive = fc.oneof(trickyString, trickyDouble, fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constantFrom(null, undefined));
/** JS values the JS value coder takes, nested a little. */
const trickyJsValue = fc.oneof(
  { weight: 4, arbitrary: trickyPrimitive },
  { weight: 1, arbitrary: fc.array(trickyPrimitive, { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("a", "b"), trickyPrimitive, { maxKeys: 2 }) },
);

/** Each key coder with keys of its type. */
const CASES: ReadonlyArray<{ readonly name: string; readonly coder: Coder<unknown>; readonly keys: fc.Arbitrary<unknown> }> = [
  { name: "the deterministic JS value coder", coder: deterministicJsValueCoder, keys: trickyJsValue },
  { name: "the JS value coder", coder: jsValueCoder, keys: trickyJsValue },
  { name: "string_utf8", coder: stringUtf8Coder as Coder<unknown>, keys: trickyString },
  { name: "varint", coder: varIntCoder as Coder<unknown>, keys: fc.oneof(fc.constantFrom(0, -0, 1, -1), fc.maxSafeInteger()) },
  { name: "double", coder: doubleCoder as Coder<unknown>, keys: trickyDouble },
  { name: "bool", coder: boolCoder as Coder<unknown>, keys: fc.boolean() },
  { name: "kv(string_utf8, double)", coder: kvCoder(stringUtf8Coder, doubleCoder) as Coder<unknown>, keys: fc.tuple(trickyString, trickyDouble).map(([k, v]) => kv(k, v)) },
];

/** JS Map key equality. */
const sameValueZero = (a: KeyIdentity, b: KeyIdentity) => a === b || (a !== a && b !== b);
const bytesOf = (coder: Coder<unknown>, key: unknown) => Buffer.from(encodeToBytes(coder, key, true)).toString("hex");

describe("key identity: Beam's equality of keys (their encoded bytes) as a JS Map key", () => {
  it("encodes a key as one char per byte of its encoding", () => {
    const coder = kvCoder(stringUtf8Coder, varIntCoder);
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.nat(), (k, n) => {
        const bytes = encodeToBytes(coder, kv(k, n), true);
        expect(encodeKey(coder, kv(k, n))).toBe(String.fromCharCode(...bytes));
      }),
    );
  });

  for (const { name, coder, keys } of CASES) {
    it(`puts two keys together iff their encodings under ${name} are equal`, () => {
      const id = keyIdentityFn(coder);
      fc.assert(
        fc.property(fc.array(keys, { minLength: 2, maxLength: 8 }), (ks) => {
          const ids = ks.map(id);
          const bytes = ks.map((k) => bytesOf(coder, k));
          for (let i = 0; i < ks.length; i++) {
            for (let j = i + 1; j < ks.length; j++) {
              expect(sameValueZero(ids[i], ids[j]), `keys encoded as ${bytes[i]} and ${bytes[j]}`).toBe(bytes[i] === bytes[j]);
            }
          }
        }),
        { numRuns: 300 },
      );
    });

    it(`outputs the key decoded from its encoding under ${name}`, () => {
      const keys_ = keyIdentifier(coder);
      fc.assert(
        fc.property(keys, (k) => {
          const decoded = decodeFromBytes(coder, encodeToBytes(coder, k, true), true);
          const out = keys_.outputKey(k, keys_.id(k));
          expect(out).toEqual(decoded);
          expect(keys_.outputKey(k)).toEqual(decoded);
          // A NaN nested in a decoded array may lose its payload (V8 canonicalizes NaNs it
          // stores in arrays of doubles), so the bytes are compared for unnested keys only.
          if (typeof k !== "object" || k === null) expect(bytesOf(coder, out)).toBe(bytesOf(coder, k));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("makes -0 and 0 two keys, as their bytes are (JS value and double coders), and outputs -0 for -0", () => {
    for (const coder of [deterministicJsValueCoder, doubleCoder as Coder<unknown>]) {
      const keys = keyIdentifier(coder);
      expect(keys.id(-0)).not.toBe(keys.id(0));
      expect(Object.is(keys.outputKey(-0), -0)).toBe(true);
      expect(Object.is(keys.outputKey(0), 0)).toBe(true);
    }
  });

  it("tells NaNs apart by payload under the double and JS value coders", () => {
    for (const coder of [doubleCoder as Coder<unknown>, deterministicJsValueCoder]) {
      const id = keyIdentityFn(coder);
      expect(id(nanWithPayload(0))).not.toBe(id(nanWithPayload(1)));
      expect(id(nanWithPayload(1))).toBe(id(nanWithPayload(1)));
    }
  });

  it("makes lone surrogates and U+FFFD one key, as UTF-8 writes them, and outputs U+FFFD", () => {
    for (const coder of [stringUtf8Coder as Coder<unknown>, deterministicJsValueCoder]) {
      const keys = keyIdentifier(coder);
      expect(keys.id("x\uD800")).toBe(keys.id("x\uDC00"));
      expect(keys.id("x\uD800")).toBe(keys.id("x\uFFFD"));
      expect(keys.outputKey("x\uD800")).toBe("x\uFFFD");
    }
  });

  it("never gives a string the identity of an encoded object", () => {
    const id = keyIdentityFn(deterministicJsValueCoder);
    const obj = id({});
    expect(typeof obj === "string" && obj.startsWith("\u0000")).toBe(true);
    expect(id(obj as string)).not.toBe(obj);
  });

  it("keeps primitive keys as they are", () => {
    const id = keyIdentityFn(jsValueCoder);
    expect(id("k")).toBe("k");
    expect(id(7)).toBe(7);
    expect(id(1.5)).toBe(1.5);
  });
});
