import { describe, expect, it } from "vitest";
import { bigDecimalCoder, formatBigDecimal, parseBigDecimal } from "./big-decimal-coder.js";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("BigDecimal and Java's BigDecimalCoder", () => {
  it("reads decimal text as Java's BigDecimal(String), keeping the scale", () => {
    expect(parseBigDecimal("0.0")).toEqual({ unscaledValue: 0n, scale: 1 });
    expect(parseBigDecimal("-100.123")).toEqual({ unscaledValue: -100123n, scale: 3 });
    expect(parseBigDecimal("+7")).toEqual({ unscaledValue: 7n, scale: 0 });
    expect(parseBigDecimal(".5")).toEqual({ unscaledValue: 5n, scale: 1 });
    expect(parseBigDecimal("1.5E3")).toEqual({ unscaledValue: 15n, scale: -2 });
    expect(parseBigDecimal("1.5e-3")).toEqual({ unscaledValue: 15n, scale: 4 });
    expect(() => parseBigDecimal("1.2.3")).toThrow(/not a decimal number/);
    expect(() => parseBigDecimal("-")).toThrow(/not a decimal number/);
  });

  it("writes decimals without an exponent, as toPlainString", () => {
    expect(formatBigDecimal({ unscaledValue: 31415n, scale: 4 })).toBe("3.1415");
    expect(formatBigDecimal({ unscaledValue: -5n, scale: 3 })).toBe("-0.005");
    expect(formatBigDecimal({ unscaledValue: 15n, scale: -2 })).toBe("1500");
    expect(formatBigDecimal({ unscaledValue: 0n, scale: 1 })).toBe("0.0");
    expect(formatBigDecimal({ unscaledValue: 0n, scale: -2 })).toBe("0");
  });

  it("writes the unscaled value as BigInteger.toByteArray: shortest two's complement with a sign bit", () => {
    const unscaled = (n: bigint): string => hex(encodeToBytes(bigDecimalCoder, { unscaledValue: n, scale: 0 })).slice(2);
    expect(unscaled(0n)).toBe("00");
    expect(unscaled(127n)).toBe("7f");
    expect(unscaled(128n)).toBe("0080");
    expect(unscaled(-1n)).toBe("ff");
    expect(unscaled(-128n)).toBe("80");
    expect(unscaled(-129n)).toBe("ff7f");
  });

  it("length-prefixes the unscaled value only in the nested context", () => {
    const d = parseBigDecimal("3.1415");
    expect(hex(encodeToBytes(bigDecimalCoder, d, true))).toBe("04027ab7");
    expect(hex(encodeToBytes(bigDecimalCoder, d, false))).toBe("047ab7");
    expect(decodeFromBytes(bigDecimalCoder, Uint8Array.from([4, 0x7a, 0xb7]), false)).toEqual(d);
  });

  it("writes a negative scale as Java's 32-bit varint and reads Python's 64-bit one too", () => {
    const d = { unscaledValue: 15n, scale: -2 };
    const java = encodeToBytes(bigDecimalCoder, d, true);
    expect(hex(java)).toBe("feffffff0f010f");
    expect(decodeFromBytes(bigDecimalCoder, java, true)).toEqual(d);
    const python = Uint8Array.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x0f]);
    expect(decodeFromBytes(bigDecimalCoder, python, true)).toEqual(d);
  });

  it("round-trips large values", () => {
    const d = parseBigDecimal("-123456789012345678901234567890.000000001");
    expect(decodeFromBytes(bigDecimalCoder, encodeToBytes(bigDecimalCoder, d, true), true)).toEqual(d);
  });

  it("rejects values that are not BigDecimals, naming the fix", () => {
    expect(() => encodeToBytes(bigDecimalCoder, 1.5 as never)).toThrow(/parseBigDecimal/);
    expect(() => encodeToBytes(bigDecimalCoder, { unscaledValue: 1n, scale: 2 ** 31 })).toThrow(/32-bit integer/);
  });
});
