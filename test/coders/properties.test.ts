import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  asDeterministic,
  bigVarIntCoder,
  boolCoder,
  bytesCoder,
  decodeFromBytes,
  deterministicJsValueCoder,
  doubleCoder,
  encodeToBytes,
  intervalWindowCoder,
  iterableCoder,
  jsValueCoder,
  kvCoder,
  lengthPrefixCoder,
  nullableCoder,
  stringUtf8Coder,
  unionCoder,
  varIntCoder,
  windowedValueCoder,
  type UnionValue,
} from "../../src/coders/index.js";
import { IntervalWindow, paneInfo, type BoundedWindow, type Coder, type PaneTiming } from "../../src/model/index.js";

/** Every value survives encode then decode, in both contexts, with nothing left over. */
function roundTrips<T>(coder: Coder<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(
    fc.property(arb, fc.boolean(), (value, nested) => {
      expect(decodeFromBytes(coder, encodeToBytes(coder, value, nested), nested)).toEqual(value);
    }),
  );
}

/** A nested encoding is self-delimiting: two values back to back decode as the two values. */
function selfDelimits<T>(coder: Coder<T>, arb: fc.Arbitrary<T>): void {
  const pair = kvCoder(coder, coder);
  fc.assert(
    fc.property(arb, arb, (a, b) => {
      expect(decodeFromBytes(pair, encodeToBytes(pair, { key: a, value: b }, true), true)).toEqual({ key: a, value: b });
    }),
  );
}

const jsData = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt(),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const timing = fc.constantFrom<PaneTiming>("EARLY", "ON_TIME", "LATE", "UNKNOWN");
const pane = fc
  .tuple(fc.boolean(), fc.boolean(), timing, fc.nat(1000), fc.nat(1000))
  .map(([first, last, t, index, onTime]) =>
    first
      ? paneInfo(true, last, t, 0, t === "EARLY" ? -1 : 0)
      : paneInfo(false, last, t, index + 1, t === "EARLY" ? -1 : onTime),
  );
const timestamp = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });
const window = fc.tuple(timestamp, fc.nat(10 ** 9)).map(([end, span]) => new IntervalWindow(end - span, end));

describe("coder properties", () => {
  it("round-trips the standard coders", () => {
    roundTrips(bytesCoder, fc.uint8Array());
    roundTrips(stringUtf8Coder, fc.string({ unit: "grapheme" }));
    roundTrips(varIntCoder, fc.maxSafeInteger());
    roundTrips(bigVarIntCoder, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    roundTrips(doubleCoder, fc.double());
    roundTrips(boolCoder, fc.boolean());
    roundTrips(iterableCoder(stringUtf8Coder), fc.array(fc.string()));
    roundTrips(nullableCoder(varIntCoder), fc.option(fc.integer(), { nil: null }));
    roundTrips(lengthPrefixCoder(stringUtf8Coder), fc.string());
    roundTrips(intervalWindowCoder, window);
    roundTrips(
      windowedValueCoder(stringUtf8Coder, intervalWindowCoder as Coder<BoundedWindow>),
      fc.record({ value: fc.string(), timestamp, windows: fc.array(window, { maxLength: 3 }), pane }),
    );
  });

  it("writes strings as Beam's UTF-8 bytes on the ASCII fast paths and off them", () => {
    // Mixed strings of every length around the fast paths' limits (12 bytes decoded by a
    // loop, 24 characters encoded by one), with non-ASCII characters anywhere, lone
    // surrogates included (written as U+FFFD, as TextEncoder and Beam do).
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.string({ unit: fc.constantFrom("a", "é", "€", "😀", "\ud800", "z"), maxLength: 300 }),
      fc.string({ minLength: 250, maxLength: 300 }),
    );
    fc.assert(
      fc.property(text, (s) => {
        const utf8 = Buffer.from(s, "utf8");
        const nested = encodeToBytes(stringUtf8Coder, s, true);
        expect(Buffer.from(nested)).toEqual(Buffer.concat([Buffer.from(encodeToBytes(varIntCoder, utf8.length)), utf8]));
        expect(Buffer.from(encodeToBytes(stringUtf8Coder, s))).toEqual(utf8);
        expect(decodeFromBytes(stringUtf8Coder, nested, true)).toBe(utf8.toString("utf8"));
      }),
    );
  });

  it("returns encodings that later encodings do not overwrite (pooled results included)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 200 }), { minLength: 1, maxLength: 200 }), (values) => {
        const encoded = values.map((v) => encodeToBytes(stringUtf8Coder, v, true));
        expect(encoded.map((b) => decodeFromBytes(stringUtf8Coder, b, true))).toEqual(values);
      }),
    );
  });

  it("nests self-delimiting encodings", () => {
    selfDelimits(bytesCoder, fc.uint8Array());
    selfDelimits(stringUtf8Coder, fc.string());
    selfDelimits(varIntCoder, fc.maxSafeInteger());
    selfDelimits(jsValueCoder, jsData);
  });

  it("round-trips and nests union values, each in its own input's coder", () => {
    const union = unionCoder([stringUtf8Coder, varIntCoder, jsValueCoder] as Coder<unknown>[]);
    const value: fc.Arbitrary<UnionValue> = fc.oneof(
      fc.string().map((value) => ({ tag: 0, value })),
      fc.maxSafeInteger().map((value) => ({ tag: 1, value })),
      jsData.map((value) => ({ tag: 2, value })),
    );
    roundTrips(union, value);
    selfDelimits(union, value);
    // The tag, then the value exactly as its own coder writes it.
    expect([...encodeToBytes(union, { tag: 1, value: 300 })]).toEqual([1, ...encodeToBytes(varIntCoder, 300)]);
    expect(() => encodeToBytes(union, { tag: 3, value: "x" })).toThrow(/tag names none of them/);
    expect(() => decodeFromBytes(union, Uint8Array.of(7, 0))).toThrow(/read tag 7 but has 3 inputs/);
  });

  it("round-trips JS data through the JS value coder", () => {
    roundTrips(jsValueCoder, jsData);
    roundTrips(jsValueCoder, fc.array(fc.tuple(fc.string(), fc.integer())).map((es) => new Map(es)));
    roundTrips(jsValueCoder, fc.array(fc.integer()).map((xs) => new Set(xs)));
  });

  it("encodes equal keys to equal bytes in deterministic mode, whatever the insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (record) => {
        const entries = Object.entries(record);
        const reversed = Object.fromEntries([...entries].reverse());
        const a = encodeToBytes(deterministicJsValueCoder, { record, map: new Map(entries), set: new Set(Object.keys(record)) });
        const b = encodeToBytes(deterministicJsValueCoder, {
          set: new Set(Object.keys(record).reverse()),
          map: new Map([...entries].reverse()),
          record: reversed,
        });
        expect(a).toEqual(b);
      }),
    );
  });

  it("orders instants and windows on the wire like time", () => {
    fc.assert(
      fc.property(timestamp, timestamp, (a, b) => {
        const wa = encodeToBytes(intervalWindowCoder, new IntervalWindow(a - 1, a));
        const wb = encodeToBytes(intervalWindowCoder, new IntervalWindow(b - 1, b));
        // The end instant comes first, so the first 8 bytes compare like the ends.
        expect(Math.sign(Buffer.compare(wa.subarray(0, 8), wb.subarray(0, 8)))).toBe(Math.sign(a - b));
      }),
    );
  });

  it("makes KV and iterable coders deterministic when their parts can be", () => {
    const keyed = asDeterministic(kvCoder(jsValueCoder, iterableCoder(jsValueCoder)));
    expect(keyed.deterministic).toBe(true);
    expect(keyed.toString()).toBe("kv<js_value(deterministic), iterable<js_value(deterministic)>>");
    expect(asDeterministic(unionCoder([stringUtf8Coder, jsValueCoder] as Coder<unknown>[])).toString()).toBe(
      "union<string_utf8, js_value(deterministic)>",
    );
  });

  it("rejects class instances with an error that names the class and the fix", () => {
    class Point {
      constructor(readonly x: number) {}
    }
    expect(() => encodeToBytes(jsValueCoder, { p: new Point(1) })).toThrow(/instance of Point.*withCoder/s);
  });

  it("refuses varints beyond the safe integer range instead of losing precision", () => {
    const bytes = encodeToBytes(bigVarIntCoder, 2n ** 60n);
    expect(() => decodeFromBytes(varIntCoder, bytes)).toThrow(/bigVarIntCoder/);
    expect(() => encodeToBytes(varIntCoder, 0.5)).toThrow(/safe integer/);
  });
});
