import { describe, expect, it } from "vitest";
import {
  ConstructionError,
  DeadLetterThresholdError,
  JobFailedError,
  assertThat,
  badRecordErrorHandler,
  combineGlobally,
  count,
  create,
  decodeFromBytes,
  filter,
  flatMap,
  jsValueCoder,
  map,
  parDo,
  ptransform,
  varIntCoder,
  type BadRecord,
  type PCollection,
} from "../../src/index.js";
import { PRISM, RUNNERS, runOn } from "./runners.js";

/** Dead letters are DoFns and composites only: they must work on a portable runner too. */
const DEAD_LETTER_RUNNERS = [...RUNNERS, ...(PRISM.options["jobEndpoint"] !== "" ? [PRISM] : [])];

async function failure(promise: Promise<unknown>): Promise<JobFailedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(JobFailedError);
    return err as JobFailedError;
  }
  throw new Error("expected the pipeline to fail");
}

/** The parts of a BadRecord that do not depend on time, stacks or bundling. */
function summary(r: BadRecord) {
  return { step: r.step, preview: r.element.preview, type: r.error.type, message: r.error.message, attempt: r.attempt, window: r.window };
}

function parsePositive(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n)) throw new SyntaxError(`not a number: ${s}`);
  if (n < 0) throw new RangeError(`negative: ${n}`);
  return n;
}

for (const runner of DEAD_LETTER_RUNNERS) {
  describe(`dead letters (withExceptionHandling) on ${runner.name}`, () => {
    it("sends elements whose function throws to failures, as BadRecords, and goes on", async () => {
      await runOn(runner, (p) => {
        const { output, failures } = p.apply(create(["1", "x", "2", "-4"])).apply("Parse", map(parsePositive).withExceptionHandling());
        assertThat(output).containsInAnyOrder([1, 2]);
        assertThat(failures.apply("Summary", map(summary))).containsInAnyOrder([
          { step: "Parse/Map(parsePositive)", preview: '"x"', type: "SyntaxError", message: "not a number: x", attempt: 1, window: "GlobalWindow" },
          { step: "Parse/Map(parsePositive)", preview: '"-4"', type: "RangeError", message: "negative: -4", attempt: 1, window: "GlobalWindow" },
        ]);
        assertThat(
          failures.apply(
            "Checks",
            map((r: BadRecord) => r.error.stack.includes("parsePositive") && r.failedAt > 0 && r.element.encoded !== undefined),
          ),
        ).containsInAnyOrder([true, true]);
      });
    });

    it("keeps none of a failed element's outputs (outputs are held until process returns)", async () => {
      await runOn(runner, (p) => {
        const { output, failures } = p
          .apply(create([1, 2, 3]))
          .apply(
            "Explode",
            flatMap(function* (n: number) {
              yield n * 10;
              if (n === 2) throw new Error("after one output");
              yield n * 10 + 1;
            }).withExceptionHandling(),
          );
        assertThat(output).containsInAnyOrder([10, 11, 30, 31]);
        assertThat(failures.apply(map((r: BadRecord) => r.element.preview))).containsInAnyOrder(["2"]);
      });
    });

    it("catches rejected promises of async functions", async () => {
      await runOn(runner, (p) => {
        const { output, failures } = p
          .apply(create([1, 2, 3, 4]))
          .apply(
            "Lookup",
            map(async (n: number) => {
              await new Promise((r) => setTimeout(r, 1));
              if (n % 2 === 0) throw new TypeError(`no entry for ${n}`);
              return n;
            }).withExceptionHandling(),
          );
        assertThat(output).containsInAnyOrder([1, 3]);
        assertThat(failures.apply(map((r: BadRecord) => `${r.error.type}: ${r.error.message}`))).containsInAnyOrder([
          "TypeError: no entry for 2",
          "TypeError: no entry for 4",
        ]);
      });
    });

    it("gives a ParDo with tagged outputs its tags plus failures, and filter its failures", async () => {
      await runOn(runner, (p) => {
        const input = p.apply(create([1, 2, 3, 0]));
        const { main, odd, failures } = input.apply(
          "Split",
          parDo<number, number, { odd: number }>(
            {
              process(n, ctx) {
                if (n === 0) throw new Error("zero");
                if (n % 2 === 1) ctx.outputTo("odd", n);
                else ctx.output(n);
              },
            },
            { outputs: ["odd"] },
          ).withExceptionHandling(),
        );
        assertThat(main).containsInAnyOrder([2]);
        assertThat(odd).containsInAnyOrder([1, 3]);
        assertThat(failures.apply(map((r: BadRecord) => r.step))).containsInAnyOrder(["Split/ParDo(dead-letters.test.ts:110)"]);
        const kept = input.apply(
          "Positive",
          filter((n: number) => {
            if (n === 3) throw new Error("three");
            return n > 1;
          }).withExceptionHandling(),
        );
        assertThat(kept.output).containsInAnyOrder([2]);
        assertThat(kept.failures.apply("Preview", map((r: BadRecord) => r.element.preview))).containsInAnyOrder(["3"]);
      });
    });

    it("fails the job for errors outside `catch`", async () => {
      const err = await failure(
        runOn(
          runner,
          (p) => {
            const { output } = p
              .apply(create(["1", "x", "-1"]))
              .apply("Parse", map(parsePositive).withExceptionHandling({ catch: [SyntaxError] }));
            assertThat(output).containsInAnyOrder([1]);
          },
          { maxBundleRetries: 0 },
        ),
      );
      expect(err.message).toMatch(/RangeError: negative: -1/);
    });

    it("fails the job when more than maxFailures elements fail, and not at the limit", async () => {
      await runOn(runner, (p) => {
        const { output } = p.apply(create(["1", "x", "y"])).apply("Parse", map(parsePositive).withExceptionHandling({ maxFailures: 2 }));
        assertThat(output).containsInAnyOrder([1]);
      });
      const err = await failure(
        runOn(runner, (p) => void p.apply(create(["1", "x", "y", "z"])).apply("Parse", map(parsePositive).withExceptionHandling({ maxFailures: 2 })), {
          maxBundleRetries: 0,
        }),
      );
      expect(err.message).toMatch(/3 elements failed in "Parse\/Map\(parsePositive\)" in window GlobalWindow, more than maxFailures \(2\)/);
    });

    it("fails the job when more than maxFailureRatio of the elements fail", async () => {
      await runOn(runner, (p) => {
        const { output } = p.apply(create(["1", "2", "3", "x"])).apply("Parse", map(parsePositive).withExceptionHandling({ maxFailureRatio: 0.25 }));
        assertThat(output).containsInAnyOrder([1, 2, 3]);
      });
      const err = await failure(
        runOn(runner, (p) => void p.apply(create(["1", "2", "x", "y"])).apply("Parse", map(parsePositive).withExceptionHandling({ maxFailureRatio: 0.25 })), {
          maxBundleRetries: 0,
        }),
      );
      expect(err.message).toMatch(/2 of 4 elements failed in "Parse\/Map\(parsePositive\)" in window GlobalWindow: 0\.5000, more than maxFailureRatio \(0\.25\)/);
    });

    it("collects the failures of several steps in one pipeline-level error handler", async () => {
      await runOn(runner, (p) => {
        const seen: { out?: PCollection<string> } = {};
        const errors = badRecordErrorHandler(
          p,
          ptransform("Collect", (failures: PCollection<BadRecord>) => (seen.out = failures.apply(map((r: BadRecord) => `${r.step}: ${r.element.preview}`)))),
        );
        const parsed = p.apply(create(["1", "x", "4"])).apply("Parse", map(parsePositive).withExceptionHandling({ errorHandler: errors }));
        const halved = parsed.apply(
          "Halve",
          map((n: number) => {
            if (n % 2 === 1) throw new Error("odd");
            return n / 2;
          }).withExceptionHandling({ errorHandler: errors }),
        );
        assertThat(halved).containsInAnyOrder([2]);
        errors.close();
        assertThat(seen.out!).containsInAnyOrder(['Parse/Map(parsePositive): "x"', "Halve/Map(dead-letters.test.ts:188): 1"]);
      });
    });
  });
}

describe("dead letters on the embedded runner", () => {
  it("carries the element encoded with the input's coder", async () => {
    await runOn(RUNNERS[0]!, (p) => {
      const { failures } = p
        .apply(create([7, 300], { coder: varIntCoder }))
        .apply(
          "Fail",
          map((n: number) => {
            throw new Error(`bad ${n}`);
          }).withExceptionHandling(),
        );
      const decoded = failures.apply(map((r: BadRecord) => ({ coder: r.element.coder, value: decodeFromBytes(varIntCoder, r.element.encoded!) })));
      assertThat(decoded).containsInAnyOrder([
        { coder: "beam:coder:varint:v1", value: 7 },
        { coder: "beam:coder:varint:v1", value: 300 },
      ]);
    });
  });

  it("does not take a failure of the next, fused step for its own", async () => {
    const err = await failure(
      runOn(
        RUNNERS[0]!,
        (p) => {
          const { output } = p.apply(create([1, 2])).apply("Safe", map((n: number) => n).withExceptionHandling());
          output.apply(
            "Boom",
            map((n: number) => {
              if (n === 2) throw new Error("downstream");
              return n;
            }),
          );
        },
        { maxBundleRetries: 0 },
      ),
    );
    expect(err.message).toMatch(/Transform "Boom" failed while processing element 2/);
  });

  it("fails the job for errors that say the pipeline is wrong (an undeclared side input)", async () => {
    const err = await failure(
      runOn(
        RUNNERS[0]!,
        (p) => {
          const side = p.apply("Side", create([1]));
          const view = { pcollection: side } as never;
          p.apply(create([1, 2])).apply(
            "Read",
            map((n: number, ctx) => n + (ctx.sideInput(view) as number)).withExceptionHandling(),
          );
        },
        { maxBundleRetries: 0 },
      ),
    );
    expect(err.message).toMatch(/Transform "Read\/Map\(dead-letters.test.ts:\d+\)" failed .*was not declared/);
  });

  it("refuses limits out of range and a DoFn output already tagged failures", () => {
    expect(() => map((n: number) => n).withExceptionHandling({ maxFailureRatio: 2 })).toThrow(ConstructionError);
    expect(() => map((n: number) => n).withExceptionHandling({ maxFailures: -1 })).toThrow(/maxFailures must be an integer >= 0/);
    expect(() => parDo<number, number, { failures: number }>({ process() {} }, { outputs: ["failures"] }).withExceptionHandling()).toThrow(
      /rename the DoFn's own "failures" output/,
    );
    expect(DeadLetterThresholdError.name).toBe("DeadLetterThresholdError");
  });

  it("sends 10,000 poison records of 1,000,000 to the dead letter and loses nothing else", async () => {
    const n = 1_000_000;
    const elements = Array.from({ length: n }, (_, i) => i);
    await runOn(RUNNERS[0]!, (p) => {
      const { output, failures } = p.apply(create(elements, { coder: jsValueCoder as never })).apply(
        "Check",
        map((i: number) => {
          if (i % 100 === 7) throw new Error(`poison ${i}`);
          return i;
        }).withExceptionHandling(),
      );
      assertThat(output.apply("CountGood", combineGlobally(count()))).containsInAnyOrder([n - n / 100]);
      assertThat(failures.apply("CountBad", combineGlobally(count()))).containsInAnyOrder([n / 100]);
      assertThat(
        failures
          .apply("Poisoned", map((r: BadRecord) => Number(r.element.preview) % 100))
          .apply("Distinct", combineGlobally((a: number, b: number) => (a === b ? a : -1))),
      ).containsInAnyOrder([7]);
    });
  }, 120_000);
});
