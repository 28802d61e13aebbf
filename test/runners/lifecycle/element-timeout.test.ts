import { describe, expect, it } from "vitest";
import { ConstructionError, ElementTimeoutError, JobFailedError, Pipeline, create, map, parDo, type BadRecord } from "../../../src/index.js";
import { assertThat } from "../../../src/testing/index.js";

/** Never settles, but keeps nothing alive: only the ParDo's timeout can end the call. */
const forever = <T>() => new Promise<T>(() => {});

describe("parDo(fn, { timeout }): async process calls past the timeout fail their element", () => {
  it("fails the job with an ElementTimeoutError naming the step, the element and the timeout", async () => {
    const p = new Pipeline({ maxBundleRetries: 0 });
    p.apply(create([1, 2, 3])).apply("Lookup", map((n: number) => (n === 2 ? forever<number>() : Promise.resolve(n)), { timeout: 50 }));
    const err = await p.run().waitUntilFinish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    const message = (err as Error).message;
    expect(message).toContain('Transform "Lookup" failed while processing element 2');
    expect(message).toContain('did not settle within 50 ms, the timeout of ParDo "Lookup"');
    let cause: unknown = err;
    while (cause !== undefined && !(cause instanceof ElementTimeoutError)) cause = (cause as Error).cause;
    expect(cause).toBeInstanceOf(ElementTimeoutError);
    expect((cause as ElementTimeoutError).timeoutMillis).toBe(50);
  });

  it("sends a timed-out element to the failures output of withExceptionHandling", async () => {
    const p = new Pipeline();
    const { output, failures } = p.apply(create([1, 2, 3])).apply(
      "Lookup",
      map(
        async (n: number) => {
          if (n === 2) await new Promise((resolve) => setTimeout(resolve, 300));
          return n * 10;
        },
        { timeout: 50 },
      ).withExceptionHandling(),
    );
    assertThat(output).containsInAnyOrder([10, 30]);
    assertThat(failures.apply(map((r: BadRecord) => `${r.element.preview} ${r.error.type}`))).containsInAnyOrder(["2 ElementTimeoutError"]);
    await p.run().waitUntilFinish();
  });

  it("drops what a timed-out call outputs later: it never reaches the retry of its bundle", async () => {
    let release: () => void = () => {};
    let calls = 0;
    const p = new Pipeline({ maxBundleRetries: 1 });
    const out = p.apply(create([1])).apply(
      "Slow",
      parDo<number, string>(
        {
          async process(_n, ctx) {
            if (++calls === 1) {
              // The first attempt times out, then outputs once the retry is running.
              await new Promise<void>((resolve) => (release = resolve));
              ctx.output("late");
              return;
            }
            release();
            await new Promise((resolve) => setTimeout(resolve, 20));
            ctx.output("fresh");
          },
        },
        { timeout: 50 },
      ),
    );
    assertThat(out).containsInAnyOrder(["fresh"]);
    await p.run().waitUntilFinish();
    expect(calls).toBe(2);
  });

  it("leaves synchronous calls alone and passes calls that settle in time", async () => {
    const p = new Pipeline();
    const out = p.apply(create([1, 2])).apply(map((n: number) => (n === 1 ? n : Promise.resolve(n)), { timeout: 1000 }));
    assertThat(out).containsInAnyOrder([1, 2]);
    await p.run().waitUntilFinish();
  });

  it("refuses a timeout that is not a positive number of milliseconds", () => {
    const p = new Pipeline();
    expect(() => p.apply(create([1])).apply(map((n: number) => n, { timeout: 0 }))).toThrow(ConstructionError);
  });
});
