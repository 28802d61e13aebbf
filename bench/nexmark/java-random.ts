/**
 * `java.util.Random`, bit for bit: the 48-bit linear congruential generator of the JDK
 * (seed' = seed × 0x5DEECE66D + 0xB mod 2^48) and the way the JDK turns its output into
 * ints, bounded ints (with the rejection loop), longs, doubles and booleans.
 *
 * Nexmark seeds one Random per event with the event id, so the generator is only
 * identical to Beam's if every draw is. The 48-bit state is kept as three 16-bit limbs in
 * small integers, so a step is a handful of 32-bit multiplications (`Math.imul`), shifts
 * and masks: exact without BigInt, and without floating-point arithmetic, whose latency
 * (multiply, floor, convert) used to bound the generator. BigInt is used only for
 * `nextLong`, which Nexmark needs rarely.
 */

const TWO_16 = 65_536;
const TWO_31 = 2_147_483_648;
const TWO_32 = 4_294_967_296;
const TWO_48 = 281_474_976_710_656;
/** 0x5DEECE66D in 16-bit limbs, low to high. */
const MULTIPLIER_0 = 0xe66d;
const MULTIPLIER_1 = 0xdeec;
const MULTIPLIER_2 = 0x5;
const ADDEND = 0xb;
const DOUBLE_UNIT = 1 / 9_007_199_254_740_992; // 2^-53
/** Math.imul, bound once: fewer bytecodes in advance(), so that callers may inline more of it. */
const imul = Math.imul;

/**
 * A `java.util.Random` that draws exactly the same numbers as the JDK's for the same seed.
 *
 * @example
 * const r = new JavaRandom(42);
 * r.nextInt(10); // 0, as `new java.util.Random(42).nextInt(10)`
 */
export class JavaRandom {
  /** Bits 0..15 of the state. */
  private s0 = 0;
  /** Bits 16..31 of the state. */
  private s1 = 0;
  /** Bits 32..47 of the state. */
  private s2 = 0;

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
    } else if (seed >= 0 && seed < TWO_31 && (seed | 0) === seed) {
      // The common case (Nexmark's event ids): the limbs straight from the int.
      this.s0 = (seed & 0xffff) ^ MULTIPLIER_0;
      this.s1 = (seed >>> 16) ^ MULTIPLIER_1;
      this.s2 = MULTIPLIER_2;
      return;
    } else {
      if (!Number.isSafeInteger(seed)) throw new RangeError(`JavaRandom seed must be a safe integer or a bigint, got ${seed}.`);
      // The low 48 bits of the two's complement: 2^48 divides 2^64, so a mathematical mod works.
      low48 = seed % TWO_48;
      if (low48 < 0) low48 += TWO_48;
    }
    const low32 = low48 % TWO_32;
    this.s0 = (low32 % TWO_16) ^ MULTIPLIER_0;
    this.s1 = Math.floor(low32 / TWO_16) ^ MULTIPLIER_1;
    this.s2 = Math.floor(low48 / TWO_32) ^ MULTIPLIER_2;
  }

  /**
   * One step of the LCG, schoolbook multiplication on the limbs modulo 2^48. Every partial
   * product of two 16-bit limbs is below 2^32: `Math.imul` keeps its bits (as a possibly
   * negative int; `>>> 16` and `& 0xffff` read them unsigned), and the carries stay small.
   */
  private advance(): void {
    const s0 = this.s0;
    const s1 = this.s1;
    const p00 = imul(s0, MULTIPLIER_0);
    const sum0 = (p00 & 0xffff) + ADDEND;
    const carry0 = (p00 >>> 16) + (sum0 >>> 16);
    const p10 = imul(s1, MULTIPLIER_0);
    const p01 = imul(s0, MULTIPLIER_1);
    const sum1 = (p10 & 0xffff) + (p01 & 0xffff) + carry0;
    const carry1 = (p10 >>> 16) + (p01 >>> 16) + (sum1 >>> 16);
    // Bits 32..47: only the low 16 bits of this sum count, so wrapping products are fine.
    this.s2 = (imul(this.s2, MULTIPLIER_0) + imul(s1, MULTIPLIER_1) + imul(s0, MULTIPLIER_2) + carry1) & 0xffff;
    this.s1 = sum1 & 0xffff;
    this.s0 = sum0 & 0xffff;
  }

  /** Java's protected `next(bits)`, bits in [1, 32]: the top `bits` bits of the new state, as a Java int. */
  next(bits: number): number {
    this.advance();
    const top32 = (this.s2 << 16) | this.s1;
    return bits === 32 ? top32 : top32 >>> (32 - bits);
  }

  /** next(31), the draws of nextInt(bound). */
  private next31(): number {
    this.advance();
    return (this.s2 << 15) | (this.s1 >>> 1); // < 2^31: an int, so `%` below is integer
  }

  /** `nextInt()`: a uniformly drawn Java int (negative half the time). */
  nextInt(): number;
  /** `nextInt(bound)`: uniform in [0, bound), with the JDK's rejection of the biased tail. */
  nextInt(bound: number): number;
  nextInt(bound?: number): number {
    if (bound !== undefined && !(bound > 0 && bound < TWO_31 && (bound | 0) === bound)) throw badBound(bound);
    // One inlined step for every kind of nextInt, so that callers stay small enough to inline it.
    this.advance();
    if (bound === undefined) return (this.s2 << 16) | this.s1;
    const r = (this.s2 << 15) | (this.s1 >>> 1); // next(31)
    const m = bound - 1;
    if ((bound & m) === 0) {
      // A power of two, 2^k: Java's (bound × r) >> 31, the top k of r's 31 bits.
      return r >>> Math.clz32(bound);
    }
    const v = r % bound;
    // Java rejects draws from the last, incomplete copy of [0, bound), detected by the int
    // overflow of u - r + m (exact here, then wrapped to an int as Java's).
    return ((r - v + m) | 0) < 0 ? this.redraw(bound) : v;
  }

  /**
   * The rejection loop of nextInt(bound), after a draw from the incomplete last copy (out of
   * line: rare for Nexmark's small bounds).
   */
  private redraw(bound: number): number {
    const m = bound - 1;
    let r: number;
    for (let u = this.next31(); ((u - (r = u % bound) + m) | 0) < 0; u = this.next31());
    return r;
  }

  /**
   * `count` successive `nextInt()` draws into `out[0..count)`, as calling `nextInt()`
   * `count` times (Nexmark's padding strings take one draw per six characters).
   */
  nextInts(out: Int32Array, count: number): void {
    for (let i = 0; i < count; i++) {
      this.advance();
      out[i] = (this.s2 << 16) | this.s1;
    }
  }

  /** `nextLong()`: (next(32) << 32) + next(32) as a signed 64-bit value. */
  nextLong(): bigint {
    const high = BigInt(this.next(32));
    const low = BigInt(this.next(32));
    return BigInt.asIntN(64, (high << 32n) + low);
  }

  /** `nextDouble()`: 53 random bits scaled into [0, 1). */
  nextDouble(): number {
    // next(26) and next(27), from the top limbs.
    this.advance();
    const high26 = (this.s2 << 10) | (this.s1 >>> 6);
    this.advance();
    const low27 = (this.s2 << 11) | (this.s1 >>> 5);
    return (high26 * 134_217_728 + low27) * DOUBLE_UNIT;
  }

  /** `nextBoolean()`. */
  nextBoolean(): boolean {
    return this.next(1) !== 0;
  }
}

/** The error of a bound `nextInt(bound)` rejects (out of line, so that nextInt stays small enough to inline). */
function badBound(bound: number): RangeError {
  return new RangeError(`JavaRandom.nextInt: bound must be an int in [1, 2^31), got ${bound}.`);
}
