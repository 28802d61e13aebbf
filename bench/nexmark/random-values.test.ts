import { describe, expect, it } from "vitest";
import { JavaRandom } from "./java-random.js";
import { nextExactString, nextPrice, nextString } from "./random-values.js";

/** A Random whose `nextInt()` draws are given (to reach the extreme ints). */
class ScriptedInts extends JavaRandom {
  constructor(private readonly values: readonly number[]) {
    super(0);
  }
  override nextInts(out: Int32Array, count: number): void {
    for (let i = 0; i < count; i++) out[i] = this.values[i % this.values.length]!;
  }
}

/** A Random whose `nextDouble()` draws are given. */
class ScriptedDoubles extends JavaRandom {
  private i = 0;
  constructor(private readonly values: readonly number[]) {
    super(0);
  }
  override nextDouble(): number {
    return this.values[this.i++ % this.values.length]!;
  }
}

/** Beam's StringsGenerator.nextExactString, one character per step, Java's int arithmetic. */
function exactStringOneByOne(ints: readonly number[], length: number): string {
  let s = "";
  let rnd = 0;
  let left = 0;
  let next = 0;
  for (let i = 0; i < length; i++) {
    if (left === 0) {
      rnd = ints[next++ % ints.length]!;
      left = 6;
    }
    s += String.fromCharCode(97 + (rnd % 26));
    rnd = (rnd / 26) | 0;
    left--;
  }
  return s;
}

/** The float just above `x` (x > 0). */
function nextUp(x: number): number {
  const f = new Float64Array([x]);
  new BigInt64Array(f.buffer)[0]! += 1n;
  return f[0]!;
}

describe("Nexmark's value draws", () => {
  it("take six characters from each nextInt() as Java's truncating % and / do, for any int", () => {
    const ints = [0, 1, -1, 25, 26, -26, 675, 676, -676, 17_575, 17_576, 456_975, 456_976, -456_977, 308_915_775, 308_915_776, 2_147_483_647, -2_147_483_648, 1_234_567_890, -987_654_321];
    for (let length = 0; length <= 130; length++) {
      expect(nextExactString(new ScriptedInts(ints), length)).toBe(exactStringOneByOne(ints, length));
    }
    const r = new JavaRandom(7);
    const draws = Array.from({ length: 5000 }, () => r.nextInt());
    expect(nextExactString(new ScriptedInts(draws), 30_000)).toBe(exactStringOneByOne(draws, 30_000));
  });

  it("round prices as Math.round(Math.pow(10, 6 × d) × 100), also right at the rounding boundaries", () => {
    // Draws that land on or next to k + ½ cents, where a cheaper power of ten could round the other way.
    const near: number[] = [];
    for (const cents of [100, 101, 150, 999, 1234, 99_999, 123_456, 3_162_277, 10_000_000, 54_321_987, 99_999_999]) {
      const d = Math.log10((cents + 0.5) / 100) / 6;
      let x = d;
      for (let k = 0; k < 4; k++) x = nextUp(x);
      for (let k = 0; k < 9; k++, x = nextUp(x)) if (x < 1) near.push(x);
      near.push(Math.max(0, d - 1e-13), Math.min(d + 1e-13, 1 - 2 ** -53));
    }
    // Draws where the table and series alone round to the other cent (found by search): the
    // fallback to Math.pow decides them.
    const hard = [0.0017873108986288472, 0.0031860484078454557, 0.0045582679624594094, 0.005904956364091375, 0.007227046336854898, 0.008525420407896871];
    const r = new JavaRandom(11);
    const all = [0, 1 - 2 ** -53, 0.5, ...hard, ...near, ...Array.from({ length: 200_000 }, () => r.nextDouble())];
    const scripted = new ScriptedDoubles(all);
    const got = all.map(() => nextPrice(scripted));
    expect(got).toEqual(all.map((d) => Math.round(Math.pow(10.0, d * 6.0) * 100.0)));
  });

  it("trim strings at both ends, as String.trim()", () => {
    const r = new JavaRandom(3);
    const strings = Array.from({ length: 20_000 }, () => nextString(r, 7));
    expect(strings.every((s) => s === s.trim())).toBe(true);
    // Some were trimmed (3 to 6 characters, 1 in 13 a space): shorter than 3 only by trimming.
    expect(strings.some((s) => s.length < 3)).toBe(true);
  });
});
