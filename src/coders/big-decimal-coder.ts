import type { BigDecimal, ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError, describeValue } from "../model/index.js";

/** The decimal value type is a model value (schemas use it); its coder lives here. */
export type { BigDecimal } from "../model/index.js";

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a decimal from its text as Java's `new BigDecimal(String)` does, keeping the
 * scale the digits give ("0.0" has scale 1; "1.5E3" is 15 at scale -2).
 *
 * @example
 * parseBigDecimal("-100.123"); // { unscaledValue: -100123n, scale: 3 }
 */
export function parseBigDecimal(text: string): BigDecimal {
  const m = DECIMAL_TEXT.exec(text.trim());
  const whole = m?.[2] ?? "";
  const fraction = m?.[3] ?? "";
  if (m === null || whole.length + fraction.length === 0) {
    throw new CoderError(`"${text}" is not a decimal number; write digits with an optional sign, point and exponent, e.g. "-100.123".`);
  }
  const digits = BigInt(whole + fraction);
  return { unscaledValue: m[1] === "-" ? -digits : digits, scale: fraction.length - Number(m[4] ?? "0") };
}

/**
 * Writes a decimal without an exponent, as Java's `BigDecimal.toPlainString()`.
 *
 * @example
 * formatBigDecimal({ unscaledValue: 31415n, scale: 4 }); // "3.1415"
 */
export function formatBigDecimal(d: BigDecimal): string {
  const negative = d.unscaledValue < 0n;
  const digits = (negative ? -d.unscaledValue : d.unscaledValue).toString();
  const sign = negative ? "-" : "";
  if (d.scale <= 0) return sign + digits + (d.unscaledValue === 0n ? "" : "0".repeat(-d.scale));
  const padded = digits.padStart(d.scale + 1, "0");
  return `${sign}${padded.slice(0, -d.scale)}.${padded.slice(-d.scale)}`;
}

/** Java BigInteger.toByteArray(): the shortest big-endian two's complement, sign bit included. */
function twosComplementBytes(n: bigint): Uint8Array {
  const magnitude = n < 0n ? -n - 1n : n;
  const bits = magnitude === 0n ? 0 : magnitude.toString(2).length;
  const out = new Uint8Array((bits >> 3) + 1);
  let rest = BigInt.asUintN(out.length * 8, n);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

function fromTwosComplementBytes(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return BigInt.asIntN(Math.max(bytes.length, 1) * 8, n);
}

/**
 * Java's BigDecimalCoder, the wire form of the decimal logical type in rows: the scale as
 * a 32-bit varint (Java's VarIntCoder: a negative scale takes 5 bytes), then the unscaled
 * value as BigInteger.toByteArray() bytes, varint-length-prefixed when nested. Decoding
 * also takes a negative scale as a 64-bit varint, as Python's DecimalCoderImpl writes it.
 */
class BigDecimalCoder implements Coder<BigDecimal> {
  readonly urn = "beam-ts:coder:schema_decimal";
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = true;
  encode(value: BigDecimal, writer: ByteWriter, nested: boolean): void {
    if (value === null || typeof value !== "object" || typeof value.unscaledValue !== "bigint" || (value.scale | 0) !== value.scale) {
      throw new CoderError(`decimal coder expected { unscaledValue: bigint, scale: 32-bit integer } but got ${describeValue(value)}; parseBigDecimal("1.5") makes one.`);
    }
    writer.writeVarInt(value.scale >>> 0);
    const bytes = twosComplementBytes(value.unscaledValue);
    if (nested) writer.writeVarInt(bytes.length);
    writer.writeBytes(bytes);
  }
  decode(reader: ByteReader, nested: boolean): BigDecimal {
    const scale = Number(BigInt.asIntN(32, reader.readVarBigInt()));
    const bytes = nested ? reader.readBytes(reader.readVarInt()) : reader.readRest();
    return { unscaledValue: fromTwosComplementBytes(bytes), scale };
  }
  toString(): string {
    return "decimal";
  }
}

/** The coder of `BigDecimal`s (Java's BigDecimalCoder), used by rows for decimal fields. */
export const bigDecimalCoder: Coder<BigDecimal> = new BigDecimalCoder();
