import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, stringUtf8Coder } from "../../../src/index.js";
import { PieceClaims, pieceSharing } from "../../../src/runners/embedded/parallel/piece-claims.js";
import type { SharedPieces } from "../../../src/runners/embedded/splittable-stage.js";

const VALUES = ["a", "b", "c", "d", "e"];

describe("PieceClaims: splittable pieces taken on demand by the executors of a parallel job", () => {
  it("hands out every piece of every element exactly once, equal elements included, whatever the interleaving", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 30 }),
        // How many pieces each value splits into (equal elements split alike).
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: VALUES.length, maxLength: VALUES.length }),
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.nat(), { maxLength: 300 }),
        fc.boolean(),
        (values, piecesOf, count, slots, schedule, onDemand) => {
          const elements = values.map((value) => ({ value, pieces: piecesOf[VALUES.indexOf(value)]! }));
          // Every executor meets every element (broadcast), in its own order; `slots` as
          // small as 1 makes elements fall back to fixed shares when the table is full.
          const claims = PieceClaims.create(slots);
          const executors = Array.from({ length: count }, (_, index) => {
            const table = new PieceClaims(claims.buffer);
            const sharing = pieceSharing(table, "Read", stringUtf8Coder as never, index, count);
            const order = index % 2 === 0 ? elements.map((_, i) => i) : elements.map((_, i) => elements.length - 1 - i);
            return { sharing, order, met: 0, current: undefined as { element: number; pieces: SharedPieces } | undefined };
          });
          // Which executor ran piece j of element i (elements are told apart by position).
          const ran = elements.map((e) => new Array<number>(e.pieces).fill(0));
          const step = (x: number): boolean => {
            const ex = executors[x]!;
            if (ex.current === undefined) {
              if (ex.met === ex.order.length) return false;
              const i = ex.order[ex.met++]!;
              const e = elements[i]!;
              ex.current = { element: i, pieces: ex.sharing.share(e.value, 0, GLOBAL_WINDOW, e.pieces, onDemand) };
            }
            const j = ex.current.pieces.next();
            if (j === undefined) ex.current = undefined;
            else ran[ex.current.element]![j]!++;
            return true;
          };
          for (const s of schedule) step(s % count);
          for (let x = 0; x < count; x++) while (step(x));
          // Equal elements are interchangeable: each piece of a value ran once per copy.
          for (const value of new Set(values)) {
            const copies = elements.filter((e) => e.value === value);
            const sums = new Array<number>(copies[0]!.pieces).fill(0);
            elements.forEach((e, i) => e.value === value && ran[i]!.forEach((n, j) => (sums[j]! += n)));
            expect(sums).toEqual(new Array<number>(sums.length).fill(copies.length));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives fixed shares (piece j to executor (hash + j) mod N) when pieces are not taken on demand", () => {
    const claims = PieceClaims.create();
    const shares = [0, 1].map((index) => {
      const pieces = pieceSharing(claims, "Read", stringUtf8Coder as never, index, 2).share("x", 0, GLOBAL_WINDOW, 7, false);
      const mine: number[] = [];
      for (let j = pieces.next(); j !== undefined; j = pieces.next()) mine.push(j);
      return { onDemand: pieces.onDemand, mine };
    });
    expect(shares.map((s) => s.onDemand)).toEqual([false, false]);
    expect([...shares[0]!.mine, ...shares[1]!.mine].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.abs(shares[0]!.mine.length - shares[1]!.mine.length)).toBe(1);
  });

  it("counts in memory shared between threads: two threads take 20,000 pieces, each exactly once", async () => {
    const claims = PieceClaims.create();
    const slot = claims.slotFor(new TextEncoder().encode("element"))!;
    const PIECES = 20_000;
    // A worker meets the same element (its first occurrence) and takes pieces as fast as it can.
    const source = `
      const { workerData, parentPort } = require("node:worker_threads");
      const ints = new Int32Array(workerData.buffer);
      const taken = [];
      for (;;) { const j = Atomics.add(ints, workerData.slot * 4 + 3, 1); if (j >= workerData.pieces) break; taken.push(j); }
      parentPort.postMessage(taken);`;
    const worker = new Worker(source, { eval: true, workerData: { buffer: claims.buffer, slot, pieces: PIECES } });
    const theirs = new Promise<number[]>((resolve, reject) => worker.once("message", resolve).once("error", reject));
    const mine: number[] = [];
    for (let j = claims.take(slot); j < PIECES; j = claims.take(slot)) mine.push(j);
    const all = [...mine, ...(await theirs)].sort((a, b) => a - b);
    await worker.terminate();
    expect(all).toEqual(Array.from({ length: PIECES }, (_, j) => j));
  });
});
