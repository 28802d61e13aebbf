import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW } from "../model/index.js";
import { InFlightBatches, Limiter } from "./in-flight-batches.js";
import { WindowBuffers } from "./window-buffers.js";

/** A promise with its resolve, to finish a batch when the test says so. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function batchOf(values: number[]) {
  const buffers = new WindowBuffers<number, null>();
  for (const v of values) buffers.add(GLOBAL_WINDOW, v, v, null);
  return buffers.take(GLOBAL_WINDOW)!;
}

describe("InFlightBatches.drain", () => {
  it("hands on each batch, in start order, as soon as it has finished, while later batches still run", async () => {
    const batches = new InFlightBatches<number, null, string>();
    const limiter = new Limiter(2);
    const first = deferred<string>();
    const second = deferred<string>();
    batches.start(batchOf([1, 2]), () => first.promise, limiter);
    batches.start(batchOf([3]), () => second.promise, limiter);
    const drained: string[] = [];
    const done = (async () => {
      await batches.drain((b) => drained.push(`${b.buffer.values.join(",")}=${b.outcome.ok ? b.outcome.value : "failed"}`));
    })();
    first.resolve("a");
    // The first batch comes out while the second is still running: its results need not wait for the bundle's last batch.
    await new Promise((r) => setImmediate(r));
    expect(drained).toEqual(["1,2=a"]);
    second.resolve("b");
    await done;
    expect(drained).toEqual(["1,2=a", "3=b"]);
  });

  it("hands batches on in the async context of drain's caller, not in that of whoever started or settled them", async () => {
    // The context carries, for one, the bundle that the logs of the downstream steps that `each` runs name.
    const context = new AsyncLocalStorage<string>();
    const batches = new InFlightBatches<number, null, string>();
    const limiter = new Limiter(1);
    const first = deferred<string>();
    context.run("starter", () => {
      batches.start(batchOf([1]), () => first.promise, limiter);
      batches.start(batchOf([2]), () => Promise.resolve("b"), limiter);
    });
    const seen: string[] = [];
    const done = context.run("drainer", () => batches.drain((b) => seen.push(`${b.buffer.values.join(",")} in ${context.getStore() ?? "none"}`)));
    context.run("settler", () => first.resolve("a"));
    await done;
    expect(seen).toEqual(["1 in drainer", "2 in drainer"]);
  });

  it("drops the batches after one whose hand-over throws, and rejects with its error", async () => {
    const batches = new InFlightBatches<number, null, string>();
    const limiter = new Limiter(1);
    for (const v of [1, 2, 3]) batches.start(batchOf([v]), () => Promise.resolve(String(v)), limiter);
    const drained: string[] = [];
    await expect(
      batches.drain((b) => {
        drained.push(b.buffer.values.join(","));
        if (b.buffer.values[0] === 2) throw new Error("downstream failed");
      }),
    ).rejects.toThrow("downstream failed");
    expect(drained).toEqual(["1", "2"]);
    expect(limiter.busy).toBe(false);
  });
});

describe("Limiter", () => {
  it("keeps the slot a task acquired until it releases it, then gives it to the next waiting task", async () => {
    const limiter = new Limiter(1);
    const ran: string[] = [];
    limiter.acquire({ start: () => ran.push("first") });
    limiter.acquire({ start: () => ran.push("second") });
    await new Promise((r) => setImmediate(r));
    expect([ran, limiter.busy]).toEqual([["first"], true]);
    limiter.release();
    expect(ran).toEqual(["first", "second"]);
    limiter.release();
    expect(limiter.busy).toBe(false);
  });

  it("runs at most `concurrency` calls at once and starts the waiting ones in arrival order, thousands of them", async () => {
    const limiter = new Limiter(1);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5_000 }, (_, i) =>
        limiter.run(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await Promise.resolve();
          running--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(started).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(limiter.busy).toBe(false);
  });

  it("hands the slot of a submitted task that rejects or throws to the next one", async () => {
    const limiter = new Limiter(1);
    const ran: string[] = [];
    const last = deferred<void>();
    limiter.submit(() => {
      ran.push("rejects");
      return Promise.reject(new Error("model gone"));
    });
    limiter.submit(() => {
      ran.push("throws");
      throw new Error("bad batch");
    });
    limiter.submit(() => {
      ran.push("runs");
      last.resolve();
      return Promise.resolve();
    });
    await last.promise;
    expect(ran).toEqual(["rejects", "throws", "runs"]);
  });

  it("rejects run() with the error of a call that throws, and frees its slot", async () => {
    const limiter = new Limiter(1);
    await expect(
      limiter.run(() => {
        throw new Error("no model");
      }),
    ).rejects.toThrow("no model");
    await expect(limiter.run(() => Promise.resolve("next"))).resolves.toBe("next");
    expect(limiter.busy).toBe(false);
  });
});

describe("InFlightBatches", () => {
  it("gives a batch whose run throws synchronously a failed outcome, and runs the next", async () => {
    const batches = new InFlightBatches<number, null, string>();
    const limiter = new Limiter(1);
    batches.start(
      batchOf([1]),
      () => {
        throw new Error("no model");
      },
      limiter,
    );
    batches.start(batchOf([2]), () => Promise.resolve("ok"), limiter);
    const drained: string[] = [];
    await batches.drain((b) => drained.push(`${b.buffer.values.join(",")}=${b.outcome.ok ? b.outcome.value : (b.outcome.error as Error).message}`));
    expect(drained).toEqual(["1=no model", "2=ok"]);
  });
});
