import { describe, expect, it } from "vitest";
import { inGlobalWindow, type WindowedValue } from "../model/index.js";
import type { Operation } from "../runtime/index.js";
import { DataInput, type SplittableConsumer } from "./data-input.js";
import type { ElementSplit } from "./sdf-process.js";

/** A consumer that records elements and stays busy on the first one until `release()`. */
class BusyOnFirst implements Operation {
  readonly label = "consumer";
  readonly received: unknown[] = [];
  private busy: Promise<void> | undefined;
  release: () => void = () => {};
  startBundle(): void {}
  finishBundle(): void {}
  receive(wv: WindowedValue<unknown>): void {
    this.received.push(wv.value);
    if (this.received.length === 1) {
      this.busy = new Promise((resolve) => {
        this.release = () => {
          this.busy = undefined;
          resolve();
        };
      });
    }
  }
  whenReady(): Promise<void> | undefined {
    return this.busy;
  }
}

const elements = (n: number) => Array.from({ length: n }, (_, i) => inGlobalWindow(i));
const desired = (fractionOfRemainder: number, estimatedInputElements: number, allowed: number[] = []) => ({
  fractionOfRemainder,
  estimatedInputElements: BigInt(estimatedInputElements),
  allowedSplitPoints: allowed.map(BigInt),
});
const ROOTS = { primary: { transformId: "p" }, residual: { application: undefined } } as unknown as ElementSplit;

/** A splittable consumer whose element in process is `progress` done. */
function splittable(progress: number | undefined, canSplit: boolean): SplittableConsumer & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    currentProgress: () => progress,
    splitCurrent: (fraction) => {
      asked.push(fraction);
      return canSplit ? ROOTS : undefined;
    },
  };
}

describe("DataInput", () => {
  it("cuts a bundle that has not started at the requested fraction, and drops the elements past the cut", async () => {
    const consumer = new BusyOnFirst();
    const input = new DataInput("source", consumer, undefined);
    expect(input.trySplit(desired(0.5, 10))).toEqual({ lastPrimaryElement: 4, firstResidualElement: 5, primaryRoots: [], residualRoots: [] });
    const done = input.process(elements(10));
    consumer.release();
    await done;
    expect(consumer.received).toEqual([0, 1, 2, 3, 4]);
    expect(input.readIndex).toBe(4);
  });

  it("splits the element in process when the split point falls inside it", async () => {
    const consumer = new BusyOnFirst();
    const sdf = splittable(0.25, true);
    const input = new DataInput("source", consumer, sdf);
    const done = input.process(elements(3));
    await Promise.resolve();
    expect(input.readIndex).toBe(0);
    // Remaining 1 - 0.25 of one element, keep half of it: half of the element's remainder.
    const split = input.trySplit(desired(0.5, 1));
    expect(sdf.asked).toEqual([0.5]);
    expect(split).toEqual({ lastPrimaryElement: -1, firstResidualElement: 1, primaryRoots: [ROOTS.primary], residualRoots: [ROOTS.residual] });
    consumer.release();
    await done;
    expect(consumer.received).toEqual([0]);
  });

  it("falls back to an element boundary when the element cannot be split or the point lies beyond it", async () => {
    const consumer = new BusyOnFirst();
    const input = new DataInput("source", consumer, splittable(0.5, false));
    const done = input.process(elements(4));
    await Promise.resolve();
    // 3.5 elements remain; keeping 1.75 of them ends after element 1.
    expect(input.trySplit(desired(0.5, 4))).toMatchObject({ lastPrimaryElement: 1, firstResidualElement: 2 });
    consumer.release();
    await done;
    expect(consumer.received).toEqual([0, 1]);
  });

  it("uses the allowed split point nearest to the wanted one", () => {
    // Half of 10 elements would cut at 5.
    expect(new DataInput("source", new BusyOnFirst(), undefined).trySplit(desired(0.5, 10, [2, 7]))).toMatchObject({ firstResidualElement: 7 });
    expect(new DataInput("source", new BusyOnFirst(), undefined).trySplit(desired(0.5, 10, [4]))).toMatchObject({ firstResidualElement: 4 });
  });

  it("answers no split when nothing is left to give back", async () => {
    const consumer = new BusyOnFirst();
    const input = new DataInput("source", consumer, splittable(undefined, true));
    const done = input.process(elements(1));
    consumer.release();
    await done;
    expect(input.trySplit(desired(0.5, 1))).toBeUndefined();
  });
});
