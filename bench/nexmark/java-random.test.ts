import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JavaRandom } from "./java-random.js";
import { nextPrice } from "./random-values.js";

const SEEDS = ["0", "1", "42", "-1", "1000", "123456789012345", "9007199254740991", "-9007199254740991", "9223372036854775807", "-9223372036854775808"];
const BOUNDS = [1, 2, 3, 7, 10, 13, 26, 100, 1000, 10_000, 1 << 30, 1_000_000_007, 1_500_000_000, 2_147_483_647];
const DRAWS = 12;
const PRICES = 3000;
const BIG_MODULUS = 3_000_000_000n;

/**
 * A tiny Java program: for each seed, a fresh java.util.Random prints DRAWS of each kind of
 * draw in a fixed order, then PRICES Nexmark prices (Math.round(Math.pow(10, d * 6) * 100)),
 * then Nexmark's long draw for large bounds (Math.abs(nextLong() % n)). Doubles are printed
 * as their 53-bit integer numerator, which is exact.
 */
const JAVA_SOURCE = `
import java.util.Random;

public class RandomDump {
  public static void main(String[] args) {
    long[] seeds = {${SEEDS.map((s) => `${s}L`).join(", ")}};
    int[] bounds = {${BOUNDS.join(", ")}};
    StringBuilder out = new StringBuilder();
    for (long seed : seeds) {
      Random r = new Random(seed);
      out.append(seed).append(" int:");
      for (int i = 0; i < ${DRAWS}; i++) out.append(' ').append(r.nextInt());
      out.append('\\n');
      for (int bound : bounds) {
        out.append(seed).append(" int(").append(bound).append("):");
        for (int i = 0; i < ${DRAWS}; i++) out.append(' ').append(r.nextInt(bound));
        out.append('\\n');
      }
      out.append(seed).append(" long:");
      for (int i = 0; i < ${DRAWS}; i++) out.append(' ').append(r.nextLong());
      out.append('\\n');
      out.append(seed).append(" double:");
      for (int i = 0; i < ${DRAWS}; i++) out.append(' ').append((long) (r.nextDouble() * 9007199254740992.0));
      out.append('\\n');
      out.append(seed).append(" boolean:");
      for (int i = 0; i < ${DRAWS}; i++) out.append(' ').append(r.nextBoolean());
      out.append('\\n');
      out.append(seed).append(" price:");
      for (int i = 0; i < ${PRICES}; i++) out.append(' ').append(Math.round(Math.pow(10.0, r.nextDouble() * 6.0) * 100.0));
      out.append('\\n');
      out.append(seed).append(" longmod:");
      for (int i = 0; i < ${DRAWS}; i++) out.append(' ').append(Math.abs(r.nextLong() % ${BIG_MODULUS}L));
      out.append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** The same lines from JavaRandom. */
function dumpFromTypeScript(): string[] {
  const lines: string[] = [];
  const draws = <T>(f: () => T): string => Array.from({ length: DRAWS }, () => ` ${String(f())}`).join("");
  for (const seed of SEEDS) {
    const r = new JavaRandom(BigInt(seed));
    lines.push(`${seed} int:${draws(() => r.nextInt())}`);
    for (const bound of BOUNDS) lines.push(`${seed} int(${bound}):${draws(() => r.nextInt(bound))}`);
    lines.push(`${seed} long:${draws(() => r.nextLong())}`);
    lines.push(`${seed} double:${draws(() => r.nextDouble() * 9_007_199_254_740_992)}`);
    lines.push(`${seed} boolean:${draws(() => r.nextBoolean())}`);
    lines.push(`${seed} price:${Array.from({ length: PRICES }, () => ` ${nextPrice(r)}`).join("")}`);
    lines.push(
      `${seed} longmod:${draws(() => {
        const v = r.nextLong() % BIG_MODULUS;
        return v < 0n ? -v : v;
      })}`,
    );
  }
  return lines;
}

const hasJava = spawnSync("javac", ["-version"]).status === 0 && spawnSync("java", ["-version"]).status === 0;

describe("JavaRandom", () => {
  it.skipIf(!hasJava)("draws the same ints, bounded ints, longs, doubles, booleans and Nexmark prices as java.util.Random", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "nexmark-random-"));
    try {
      writeFileSync(path.join(dir, "RandomDump.java"), JAVA_SOURCE);
      execFileSync("javac", ["-d", dir, path.join(dir, "RandomDump.java")]);
      const java = execFileSync("java", ["-cp", dir, "RandomDump"], { encoding: "utf8", maxBuffer: 64 << 20 });
      expect(dumpFromTypeScript()).toEqual(java.trimEnd().split("\n"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes a number seed as the same Java long", () => {
    for (const seed of [0, 7, -7, 2 ** 40 + 3, -(2 ** 52), Number.MAX_SAFE_INTEGER]) {
      const a = new JavaRandom(seed);
      const b = new JavaRandom(BigInt(seed));
      for (let i = 0; i < 5; i++) expect(a.nextInt()).toBe(b.nextInt());
    }
  });

  it("re-seeding starts the sequence over", () => {
    const r = new JavaRandom(5);
    const first = [r.nextInt(100), r.nextInt(100), r.nextDouble()];
    r.setSeed(5);
    expect([r.nextInt(100), r.nextInt(100), r.nextDouble()]).toEqual(first);
  });

  it("matches values printed by a JDK for seed 42 (golden, without Java)", () => {
    // new java.util.Random(42).nextInt() is -1170105035; a fresh one's nextInt(10) is 0.
    const r = new JavaRandom(42);
    expect(r.nextInt()).toBe(-1_170_105_035);
    expect(new JavaRandom(42).nextInt(10)).toBe(0);
  });

  it("rejects bounds Java rejects", () => {
    const r = new JavaRandom(1);
    expect(() => r.nextInt(0)).toThrow(RangeError);
    expect(() => r.nextInt(-3)).toThrow(RangeError);
    expect(() => r.nextInt(2 ** 31)).toThrow(RangeError);
  });
});
