import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, assertThat, create, map, parDo, reshuffle, type DoFn, type ProcessContext } from "../../src/index.js";
import { BATCH_RUNNERS, runOn } from "./runners.js";

/** A DoFn that records its lifecycle calls in a shared log (copies share the array). */
class Recorder implements DoFn<number, number> {
  constructor(
    readonly log: string[],
    readonly failOn?: number,
  ) {}
  private id = 0;
  setup() {
    this.id = Math.random();
    this.log.push("setup");
  }
  startBundle() {
    this.log.push("startBundle");
  }
  process(x: number, ctx: ProcessContext<number>) {
    if (x === this.failOn) throw new Error(`boom on ${x}`);
    this.log.push(`process:${x}`);
    ctx.output(x);
  }
  finishBundle() {
    this.log.push("finishBundle");
  }
  teardown() {
    this.log.push("teardown");
  }
}

for (const runner of BATCH_RUNNERS) {
  describe(`DoFn lifecycle on ${runner.name}`, () => {
    it("calls setup once, start/finishBundle around each bundle, and teardown at the end", async () => {
      const log: string[] = [];
      await runOn(runner, (p) => {
        p.apply(create([1, 2, 3])).apply(reshuffle<number>()).apply(parDo(new Recorder(log)));
      });
      expect(log[0]).toBe("setup");
      expect(log.at(-1)).toBe("teardown");
      expect(log.filter((l) => l === "setup")).toHaveLength(1);
      const starts = log.filter((l) => l === "startBundle").length;
      expect(starts).toBe(log.filter((l) => l === "finishBundle").length);
      expect(starts).toBeGreaterThanOrEqual(1);
      expect(log.filter((l) => l.startsWith("process")).sort()).toEqual(["process:1", "process:2", "process:3"]);
      // Every process call happens inside a bundle.
      let open = false;
      for (const l of log) {
        if (l === "startBundle") open = true;
        else if (l === "finishBundle") open = false;
        else if (l.startsWith("process")) expect(open).toBe(true);
      }
    });

    it("tears the DoFn down after a failure", async () => {
      const log: string[] = [];
      await expect(
        runOn(runner, (p) => p.apply(create([1, 2])).apply(parDo(new Recorder(log, 2))), { maxBundleRetries: 0 }),
      ).rejects.toThrow(/boom on 2/);
      expect(log).toContain("teardown");
      expect(log.at(-1)).toBe("teardown");
    });

    // Prism fails the job on the first bundle failure (no retries): pinned with it.fails.
    (runner.name === "prism" ? it.fails : it)("retries a failed bundle with a fresh DoFn instance and succeeds", async () => {
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
