/**
 * `java.util.Random`, bit for bit: the 48-bit linear congruential generator of the JDK
 * (seed' = seed × 0x5DEECE66D + 0xB mod 2^48) and the way the JDK turns its output into
 * ints, bounded ints (with the rejection loop), longs, doubles and booleans.
 *
 * Nexmark seeds one Random per event with the event id, so the generator is only
 * identical to Beam's if every draw is. The 48-bit state is kept as two 24-bit halves in
 * plain numbers: every intermediate product stays below 2^53, so the arithmetic is exact
 * without BigInt, and a draw costs a few multiplications (BigInt is used only for
 * `nextLong`, which Nexmark needs rarely).
 */

const TWO_24 = 16_777_216;
const TWO_31 = 2_147_483_648;
const TWO_48 = 281_474_976_710_656;
/** 0x5DEECE66D split at bit 24. */
const MULTIPLIER_HI = 0x5de;
const MULTIPLIER_LO = 0xece66d;
const ADDEND = 0xb;
const DOUBLE_UNIT = 1 / 9_007_199_254_740_992; // 2^-53

/**
 * A `java.util.Random` that draws exactly the same numbers as the JDK's for the same seed.
 *
 * @example
 * const r = new JavaRandom(42);
 * r.nextInt(10); // 0, as `new java.util.Random(42).nextInt(10)`
 */
export class JavaRandom {
  /** Bits 24..47 of the state. */
  private hi = 0;
  /** Bits 0..23 of the state. */
  private lo = 0;

  constructor(seed: number | bigint = 0) {
    this.setSeed(seed);
  }

  /**
   * Re-seeds as `new Random(seed)` does (the seed is scrambled with the multiplier). A
   * number must be a safe integer; a bigint is taken modulo 2^64 like a Java long.
   */
  setSeed(seed: number | bigint): void {
    let low48: number;
    if (typeof seed === "bigint") {
      low48 = Number(BigInt.asUintN(48, seed));
    } else {
      if (!Number.isSafeInteger(seed)) throw new RangeError(`JavaRandom seed must be a safe integer or a bigint, got ${seed}.`);
      // The low 48 bits of the two's complement: 2^48 divides 2^64, so a mathematical mod works.
      low48 = seed % TWO_48;
      if (low48 < 0) low48 += TWO_48;
    }
    this.hi = Math.floor(low48 / TWO_24) ^ MULTIPLIER_HI;
    this.lo = (low48 % TWO_24) ^ MULTIPLIER_LO;
  }

  /** One step of the LCG. */
  private advance(): void {
    const l = this.lo;
    const lo = l * MULTIPLIER_LO + ADDEND; // < 2^48, exact
    const carry = Math.floor(lo / TWO_24);
    // Bits 24..47 of the product: the low 24 bits of hi × mlo + lo × mhi + carry. Math.imul
    // gives each product modulo 2^32, which keeps those bits (the hi × mhi term is a multiple
    // of 2^48 and vanishes).
    this.hi = (Math.imul(this.hi, MULTIPLIER_LO) + Math.imul(l, MULTIPLIER_HI) + carry) & 0xffffff;
    this.lo = (lo - carry * TWO_24) | 0;
  }

  /** Java's protected `next(bits)`: the top `bits` bits of the new state, as a Java int. */
  next(bits: number): number {
    this.advance();
    if (bits === 32) return (this.hi * 256 + (this.lo >>> 16)) | 0;
    // The state is below 2^48 and the divisor a power of two: exact.
    return Math.floor((this.hi * TWO_24 + this.lo) / 2 ** (48 - bits));
  }

  /** next(31), the hot path of nextInt(bound). */
  private next31(): number {
    this.advance();
    return (this.hi * 128 + (this.lo >>> 17)) | 0; // < 2^31: an int, so `%` below is integer
  }

  /** `nextInt()`: a uniformly drawn Java int (negative half the time). */
  nextInt(): number;
  /** `nextInt(bound)`: uniform in [0, bound), with the JDK's rejection of the biased tail. */
  nextInt(bound: number): number;
  nextInt(bound?: number): number {
    if (bound === undefined) {
      this.advance();
      return (this.hi * 256 + (this.lo >>> 16)) | 0;
    }
    if (!(bound > 0 && bound < TWO_31) || bound !== Math.floor(bound)) {
      throw new RangeError(`JavaRandom.nextInt: bound must be an int in [1, 2^31), got ${bound}.`);
    }
    let r = this.next31();
    const m = bound - 1;
    if ((bound & m) === 0) {
      // A power of two: the top bits of r (bound × r is exact, bound being a power of two).
      return Math.floor((bound * r) / TWO_31);
    }
    // Reject draws from the last, incomplete copy of [0, bound): Java detects them by the
    // int overflow of u - r + m.
    for (let u = r; u - (r = u % bound) + m >= TWO_31; u = this.next31());
    return r;
  }

  /** `nextLong()`: (next(32) << 32) + next(32) as a signed 64-bit value. */
  nextLong(): bigint {
    const high = BigInt(this.next(32));
    const low = BigInt(this.next(32));
    return BigInt.asIntN(64, (high << 32n) + low);
  }

  /** `nextDouble()`: 53 random bits scaled into [0, 1). */
  nextDouble(): number {
    return (this.next(26) * 134_217_728 + this.next(27)) * DOUBLE_UNIT;
  }

  /** `nextBoolean()`. */
  nextBoolean(): boolean {
    return this.next(1) !== 0;
  }
}
