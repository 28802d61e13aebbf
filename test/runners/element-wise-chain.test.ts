/**
 * Fused map, filter and flatMap steps run as one composed chain on the embedded runner
 * (src/runners/embedded/element-wise-chain.ts). What must stay per step: errors naming the
 * step, metrics and element counts per step, the immutability check naming the step, event
 * times, windows, and async steps.
 */
import { describe, expect, it } from "vitest";
import {
  IllegalMutationError,
  JobFailedError,
  Metrics,
  Pipeline,
  UserCodeError,
  create,
  filter,
  flatMap,
  map,
  parDo,
  slidingWindows,
  timestamped,
  windowInto,
  withTimestamps,
  type PCollection,
} from "../../src/index.js";

/** Collects a PCollection's elements with their event times and windows. */
function collect<T>(pc: PCollection<T>, sink: { value: T; timestamp: number; window: string }[]): void {
  pc.apply(
    "Collect",
    parDo<T, never>({
      process(value, ctx) {
        sink.push({ value, timestamp: ctx.timestamp, window: ctx.window.toString() });
      },
    }),
  );
}

async function failure(build: (p: Pipeline) => void): Promise<Error> {
  const p = new Pipeline({ maxBundleRetries: 0 });
  build(p);
  const err = await p
    .run()
    .waitUntilFinish()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(JobFailedError);
  return (err as JobFailedError).cause as Error;
}

describe("composed chains of map, filter and flatMap (embedded runner)", () => {
  it("gives each element every step's function in order, filters, and fans out flatMap outputs through the rest", async () => {
    const out: { value: string; timestamp: number; window: string }[] = [];
    const p = new Pipeline();
    collect(
      p
        .apply(create([1, 2, 3, 4, 5, 6]))
        .apply("Triple", map((x: number) => x * 3))
        .apply("Even", filter((x: number) => x % 2 === 0))
        .apply("Split", flatMap((x: number) => [x, -x]))
        .apply("Show", map((x: number) => `v${x}`)),
      out,
    );
    await p.run().waitUntilFinish();
    expect(out.map((o) => o.value).sort()).toEqual(["v-12", "v-18", "v-6", "v12", "v18", "v6"]);
  });

  it("records each step's metrics and element counts to that step", async () => {
    const p = new Pipeline();
    const counted = (name: string) => Metrics.counter("chain", name);
    p.apply(create([1, 2, 3, 4]))
      .apply(
        "A",
        map((x: number) => {
          counted("a").inc();
          return x + 1;
        }),
      )
      .apply(
        "B",
        filter((x: number) => {
          counted("b").inc();
          return x > 2;
        }),
      )
      .apply(
        "C",
        flatMap(function* (x: number) {
          counted("c").inc();
          yield x;
          counted("c").inc();
          yield x;
        }),
      )
      .apply(
        "D",
        map((x: number) => {
          counted("d").inc();
          return x;
        }),
      );
    const result = p.run();
    await result.waitUntilFinish();
    const byStep = result
      .metrics()
      .queryMetrics({ namespace: "chain" })
      .counters.map((c) => [c.step, c.name, c.committed])
      .sort();
    expect(byStep).toEqual([
      ["A", "a", 4],
      ["B", "b", 4],
      ["C", "c", 6],
      ["D", "d", 6],
    ]);
    const steps = result.snapshot!().steps;
    const io = (label: string) => steps.find((s) => s.label === label);
    expect(io("A")).toMatchObject({ elementsIn: 4, elementsOut: 4 });
    expect(io("B")).toMatchObject({ elementsIn: 4, elementsOut: 3 });
    expect(io("C")).toMatchObject({ elementsIn: 3, elementsOut: 6 });
    expect(io("D")).toMatchObject({ elementsIn: 6, elementsOut: 6 });
  });

  it("names the step whose function threw, with the element it was given", async () => {
    const err = await failure((p) => {
      p.apply(create([1, 2, 3]))
        .apply("First", map((x: number) => x * 10))
        .apply(
          "Second",
          map((x: number) => {
            if (x === 20) throw new Error("twenty is not allowed");
            return x;
          }),
        )
        .apply("Third", map((x: number) => x));
    });
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.message).toMatch(/Transform "Second" failed while processing element 20.*twenty is not allowed/s);
  });

  it("names the step whose generator threw while its outputs went on through the chain", async () => {
    const err = await failure((p) => {
      p.apply(create([1]))
        .apply(
          "Gen",
          flatMap(function* (x: number) {
            yield x;
            throw new Error("generator broke");
          }),
        )
        .apply("After", map((x: number) => x));
    });
    expect(err.message).toMatch(/Transform "Gen" failed.*generator broke/s);
  });

  it("names the step in the middle of a chain that changed its input (--enforceImmutability)", async () => {
    const err = await failure((p) => {
      p.apply(create([1, 2]))
        .apply("Wrap", map((n: number) => ({ n })))
        .apply(
          "Bump",
          map((o: { n: number }) => {
            o.n += 1;
            return o.n;
          }),
        )
        .apply("Keep", filter(() => true));
    });
    expect(err).toBeInstanceOf(IllegalMutationError);
    expect((err as IllegalMutationError).transform).toBe("Bump");
  });

  it("names a chain's first step, and a DoFn reading the chain's output, when they change their input", async () => {
    const first = await failure((p) => {
      p.apply(create([1]))
        .apply("Make", parDo<number, { n: number }>({ process: (n, ctx) => ctx.output({ n }) }))
        .apply(
          "Head",
          map((o: { n: number }) => {
            o.n = 0;
            return o.n;
          }),
        )
        .apply("Tail", map((x: number) => x));
    });
    expect((first as IllegalMutationError).transform).toBe("Head");
    const reader = await failure((p) => {
      p.apply(create([1]))
        .apply("Wrap", map((n: number) => ({ n })))
        .apply(
          "Reader",
          parDo<{ n: number }, number>({
            process(o, ctx) {
              o.n = 0;
              ctx.output(o.n);
            },
          }),
        );
    });
    expect((reader as IllegalMutationError).transform).toBe("Reader");
  });

  it("still checks the input of a step that became async in the middle of a chain", async () => {
    const err = await failure((p) => {
      p.apply(create(Array.from({ length: 20 }, (_, i) => i)))
        .apply("Wrap", map((n: number) => ({ n })))
        .apply(
          "Sometimes",
          map((o: { n: number }) => {
            if (o.n < 10) return o.n;
            if (o.n === 10) return Promise.resolve(o.n);
            // From here on the step runs async, through its own operation.
            o.n = -1;
            return Promise.resolve(0);
          }),
        )
        .apply("Next", map((x: number) => x));
    });
    expect(err).toBeInstanceOf(IllegalMutationError);
    expect((err as IllegalMutationError).transform).toBe("Sometimes");
  });

  it("carries an event time a step returns to the following steps, and refuses one that moves back", async () => {
    const out: { value: number; timestamp: number; window: string }[] = [];
    const p = new Pipeline();
    collect(
      p
        .apply(create([1, 2]))
        .apply("At", map((x: number) => timestamped(x, x * 1000)))
        .apply("Same", map((x: number) => x)),
      out,
    );
    await p.run().waitUntilFinish();
    expect(out.map((o) => [o.value, o.timestamp]).sort()).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
    const err = await failure((q) => {
      q.apply(create([5]))
        .apply(withTimestamps(() => 10_000))
        .apply("Back", map((x: number) => timestamped(x, 0)))
        .apply("Next", map((x: number) => x));
    });
    expect(err.message).toMatch(/Transform "Back" failed.*cannot output with timestamp/s);
  });

  it("calls each step once per window of an element in several windows", async () => {
    const out: { value: string; timestamp: number; window: string }[] = [];
    const p = new Pipeline();
    collect(
      p
        .apply(create([7]))
        .apply(withTimestamps(() => 5_000))
        .apply(windowInto(slidingWindows(10_000, 5_000)))
        .apply("Where", map((x: number, ctx) => `${x}@${ctx.window.toString()}`))
        .apply("Same", map((s: string) => s)),
      out,
    );
    await p.run().waitUntilFinish();
    expect(out).toHaveLength(2);
    expect(new Set(out.map((o) => o.value)).size).toBe(2);
    for (const o of out) expect(o.value).toBe(`7@${o.window}`);
  });

  it("keeps outputs a function makes itself with ctx.output, besides what it returns", async () => {
    const out: { value: number; timestamp: number; window: string }[] = [];
    const p = new Pipeline();
    collect(
      p
        .apply(create([1, 2]))
        .apply(
          "Also",
          map((x: number, ctx) => {
            ctx.output(x + 100);
            return x;
          }),
        )
        .apply("Same", map((x: number) => x)),
      out,
    );
    await p.run().waitUntilFinish();
    expect(out.map((o) => o.value).sort((a, b) => a - b)).toEqual([1, 2, 101, 102]);
  });

  it("hands a promise a plain function returns mid-chain to its step, which runs async from then on", async () => {
    const out: { value: number; timestamp: number; window: string }[] = [];
    const p = new Pipeline();
    const later = Metrics.counter("chain", "later");
    const N = 50;
    collect(
      p
        .apply(create(Array.from({ length: N }, (_, i) => i)))
        .apply("Before", map((x: number) => x + 1))
        // Not declared async: returns a promise only from the tenth element on.
        .apply(
          "Sometimes",
          map((x: number) => (x < 10 ? x * 2 : new Promise<number>((resolve) => setTimeout(() => resolve(x * 2), 1)))),
        )
        .apply(
          "After",
          map((x: number) => {
            later.inc();
            return x;
          }),
        ),
      out,
    );
    const result = p.run();
    await result.waitUntilFinish();
    expect(out.map((o) => o.value).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => (i + 1) * 2));
    expect(result.metrics().queryMetrics({ name: "later" }).counters.map((c) => [c.step, c.committed])).toEqual([["After", N]]);
  });
});
