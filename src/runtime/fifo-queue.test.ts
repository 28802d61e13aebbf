import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FifoQueue } from "./fifo-queue.js";

describe("FifoQueue", () => {
  it("behaves as an array used as a queue, for any sequence of pushes, shifts and clears", () => {
    const op = fc.oneof(fc.integer().map((n) => ({ push: n })), fc.constant("shift" as const), fc.constant("clear" as const));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const q = new FifoQueue<number>();
        const model: number[] = [];
        for (const o of ops) {
          if (o === "shift") expect(q.shift()).toBe(model.shift());
          else if (o === "clear") {
            q.clear();
            model.length = 0;
          } else {
            q.push(o.push);
            model.push(o.push);
          }
          expect(q.size).toBe(model.length);
        }
      }),
    );
  });

  it("keeps order across compactions", () => {
    const q = new FifoQueue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 4000; i++) expect(q.shift()).toBe(i);
    for (let i = 5000; i < 6000; i++) q.push(i);
    for (let i = 4000; i < 6000; i++) expect(q.shift()).toBe(i);
    expect(q.shift()).toBeUndefined();
  });
});
