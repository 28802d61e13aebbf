import { describe, expect, it } from "vitest";
import {
  AssertionFailedError,
  JobFailedError,
  PermanentError,
  UserCodeError,
  assertThat,
  coGroupByKey,
  combinePerKey,
  create,
  groupByKey,
  kv,
  sum,
  type KV,
  type Pipeline,
  fixedWindows,
  map,
  windowInto,
  withTimestamps,
} from "../../src/index.js";
import { BATCH_RUNNERS, runOn, NO_BUNDLE_RETRIES, isStarted } from "./runners.js";

async function failure(promise: Promise<unknown>): Promise<JobFailedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(JobFailedError);
    return err as JobFailedError;
  }
  throw new Error("expected the pipeline to fail");
}

for (const runner of BATCH_RUNNERS) {
  describe.skipIf(!isStarted(runner))(`failures on ${runner.name}`, () => {
    it("names the transform, the element and the window, with the user's error as cause", async () => {
      const original = new RangeError("negative price");
      const err = await failure(
        runOn(
          runner,
          (p) => {
            p.apply(create([5, -3]))
              .apply(withTimestamps((x: number) => Math.abs(x) * 1000))
              .apply(windowInto(fixedWindows(60_000)))
              .apply(
                "CheckPrice",
                map((x: number) => {
                  if (x < 0) throw original;
                  return x;
                }),
              );
          },
          { maxBundleRetries: 0 },
        ),
      );
      const cause = err.cause as UserCodeError;
      expect(cause).toBeInstanceOf(UserCodeError);
      expect(cause.transform).toBe("CheckPrice");
      expect(cause.element).toBe("-3");
      expect(cause.window).toContain("1970-01-01T00:00:00.000Z");
      expect(cause.cause).toBe(original);
      expect(err.message).toMatch(/Transform "CheckPrice" failed while processing element -3 in window .*RangeError: negative price/);
    });

    it("fails elements that are not KVs before GroupByKey, Combine.perKey and CoGroupByKey, never grouping them under undefined", async () => {
      // [k, v] arrays and { k, v } objects pass as KVs only through a cast (e.g. a JSON line's
      // asserted type); Beam's KvCoder rejects them when encoding, beam-ts also where it does not encode.
      const notKvs = () => [["a", 1], { k: "b", v: 2 }, "c:3"] as unknown as KV<string, number>[];
      for (const [name, build] of [
        ["GroupByKey", (p: Pipeline) => void p.apply(create(notKvs())).apply("Group", groupByKey())],
        ["CombinePerKey", (p: Pipeline) => void p.apply(create(notKvs())).apply("Sum", combinePerKey(sum()))],
        ["CoGroupByKey", (p: Pipeline) => void coGroupByKey({ left: p.apply("Left", create(notKvs())), right: p.apply("Right", create([kv("a", 1)])) })],
      ] as const) {
        const err = await failure(runOn(runner, build, { maxBundleRetries: 0 }));
        expect(err.message, name).toMatch(/not a KV|expected a KV/);
        expect(err.message, name).toMatch(/\["a",1\]|\{"k":"b","v":2\}|"c:3"|c:3/);
      }
    });

    it("truncates huge elements in error messages", async () => {
      const err = await failure(
        runOn(
          runner,
          (p) => {
            p.apply(create(["x".repeat(10_000)])).apply(
              "Explode",
              map((s: string) => {
                throw new Error(`bad ${s.length}`);
              }),
            );
          },
          { maxBundleRetries: 0 },
        ),
      );
      const cause = err.cause as UserCodeError;
      expect(cause.element!.length).toBeLessThan(300);
      expect(cause.element).toMatch(/10002 chars/);
    });

    // Prism and Flink fail the job on the first bundle failure (no bundle retries): pinned with it.fails.
    (NO_BUNDLE_RETRIES.has(runner.name) ? it.fails : it)("fails after the configured number of retries and says how many attempts were made", async () => {
      let attempts = 0;
      const err = await failure(
        runOn(
          runner,
          (p) => {
            p.apply(create([1])).apply(
              "AlwaysFails",
              map(() => {
                attempts++;
                throw new Error("permanent");
              }),
            );
          },
          { maxBundleRetries: 2 },
        ),
      );
      expect(attempts).toBe(3);
      expect(err.message).toMatch(/failed 3 times; transient error, retried with backoff up to --maxBundleRetries=2/);
    });

    it("attempts a bundle whose user code throws a PermanentError once, and says why it was not retried", async () => {
      let attempts = 0;
      const err = await failure(
        runOn(
          runner,
          (p) => {
            p.apply(create([1])).apply(
              "RejectsRecord",
              map((n: number) => {
                attempts++;
                throw new PermanentError(`record ${n} has no id`);
              }),
            );
          },
          { maxBundleRetries: 2 },
        ),
      );
      expect(attempts).toBe(1);
      expect(err.message).toContain("record 1 has no id");
      if (!NO_BUNDLE_RETRIES.has(runner.name)) expect(err.message).toContain("(failed once; permanent error, not retried: it is a PermanentError)");
    });

    it("fails assertions with a readable diff and does not retry them", async () => {
      const err = await failure(
        runOn(runner, (p) => {
          assertThat(p.apply(create(["a", "b", "b"])), "Letters").containsInAnyOrder(["a", "b", "c"]);
        }),
      );
      expect(err.cause).toBeInstanceOf(AssertionFailedError);
      expect(err.message).toContain("AssertThat(Letters): containsInAnyOrder failed");
      expect(err.message).toMatch(/missing \(expected, not found\):\n\s+"c"/);
      expect(err.message).toMatch(/unexpected \(found, not expected\):\n\s+"b"/);
      expect(err.message).not.toMatch(/failed \d+ times/);
    });

    it("checks that an empty PCollection is empty, and fails isEmpty on a non-empty one", async () => {
      await runOn(runner, (p) => assertThat(p.apply(create<number>([]))).isEmpty());
      const err = await failure(runOn(runner, (p) => assertThat(p.apply(create([1]))).isEmpty()));
      expect(err.message).toMatch(/expected no elements, got 1/);
    });
  });
}
