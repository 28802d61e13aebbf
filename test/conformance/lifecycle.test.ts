import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, Pipeline, assertThat, create, map, parDo, reshuffle, type DoFn, type ProcessContext } from "../../src/index.js";
import { BATCH_RUNNERS, runOn, NO_BUNDLE_RETRIES, isStarted } from "./runners.js";

/**
 * A DoFn that records its lifecycle calls in a shared log (copies share the arrays), and
 * each instance's own calls in `instances` (a runner may run several instances at once).
 */
class Recorder implements DoFn<number, number> {
  constructor(
    readonly log: string[],
    readonly failOn?: number,
    readonly instances: string[][] = [],
  ) {}
  private mine: string[] = [];
  private record(event: string) {
    this.log.push(event);
    this.mine.push(event);
  }
  setup() {
    this.mine = [];
    this.instances.push(this.mine);
    this.record("setup");
  }
  startBundle() {
    this.record("startBundle");
  }
  process(x: number, ctx: ProcessContext<number>) {
    if (x === this.failOn) throw new Error(`boom on ${x}`);
    this.record(`process:${x}`);
    ctx.output(x);
  }
  finishBundle() {
    this.record("finishBundle");
  }
  teardown() {
    this.record("teardown");
  }
}

for (const runner of BATCH_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`DoFn lifecycle on ${runner.name}`, () => {
    it("calls setup once per instance, start/finishBundle around each bundle, and teardown at the end", async () => {
      const log: string[] = [];
      const instances: string[][] = [];
      await runOn(runner, (p) => {
        p.apply(create([1, 2, 3])).apply(reshuffle<number>()).apply(parDo(new Recorder(log, undefined, instances)));
      });
      expect(instances.length).toBeGreaterThanOrEqual(1);
      for (const calls of instances) {
        expect(calls[0]).toBe("setup");
        expect(calls.at(-1)).toBe("teardown");
        expect(calls.filter((l) => l === "setup")).toHaveLength(1);
        const starts = calls.filter((l) => l === "startBundle").length;
        expect(starts).toBe(calls.filter((l) => l === "finishBundle").length);
        // Every process call happens inside a bundle.
        let open = false;
        for (const l of calls) {
          if (l === "startBundle") open = true;
          else if (l === "finishBundle") open = false;
          else if (l.startsWith("process")) expect(open).toBe(true);
        }
      }
      expect(log.filter((l) => l.startsWith("process")).sort()).toEqual(["process:1", "process:2", "process:3"]);
    });

    it("tears the DoFn down after a failure", async () => {
      const log: string[] = [];
      await expect(
        runOn(runner, (p) => p.apply(create([1, 2])).apply(parDo(new Recorder(log, 2))), { maxBundleRetries: 0 }),
      ).rejects.toThrow(/boom on 2/);
      expect(log).toContain("teardown");
      expect(log.at(-1)).toBe("teardown");
    });

    // Prism and Flink fail the job on the first bundle failure (no bundle retries): pinned with it.fails.
    (NO_BUNDLE_RETRIES.has(runner.name) ? it.fails : it)("retries a failed bundle with a fresh DoFn instance and succeeds", async () => {
      let attempts = 0;
      const log: string[] = [];
      await runOn(
        runner,
        (p) => {
          const out = p.apply(create([1, 2, 3])).apply(
            map((x: number) => {
              if (x === 2 && attempts++ === 0) throw new Error("transient");
              return x;
            }),
          ).apply(parDo(new Recorder(log)));
          assertThat(out).containsInAnyOrder([1, 2, 3]);
        },
        { maxBundleRetries: 1 },
      );
      expect(attempts).toBe(2);
      expect(log.filter((l) => l === "setup").length).toBeGreaterThanOrEqual(2);
    });

    it("emits from finishBundle with an explicit timestamp and window", async () => {
      await runOn(runner, (p) => {
        let n = 0;
        const out = p.apply(create([1, 2, 3])).apply(
          parDo<number, string>({
            startBundle() {
              n = 0;
            },
            process(x) {
              n += x;
            },
            finishBundle(ctx) {
              ctx.output(`sum=${n}`, 0, GLOBAL_WINDOW);
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["sum=6"]);
      });
    });
  });
}

describe("DoFn teardown failures (embedded runner)", () => {
  it("do not fail the job, and are reported as a process warning naming the step and the error", async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on("warning", listen);
    try {
      const p = new Pipeline();
      const out = p.apply(create([1, 2])).apply(
        "Leaky",
        parDo<number, number>({
          process: (x, ctx) => ctx.output(x),
          teardown: () => {
            throw new Error("connection already closed");
          },
        }),
      );
      assertThat(out).containsInAnyOrder([1, 2]);
      await p.run().waitUntilFinish();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", listen);
    }
    const teardown = warnings.filter((w) => w.name === "BeamTeardownWarning");
    expect(teardown.length).toBeGreaterThan(0);
    expect(teardown[0]!.message).toMatch(/teardown of the DoFn of "Leaky" threw Error: connection already closed/);
  });
});
