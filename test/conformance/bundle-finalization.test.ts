import { afterEach, describe, expect, it } from "vitest";
import {
  OffsetRange,
  OffsetRangeTracker,
  Pipeline,
  ProcessContinuation,
  StateSpecs,
  assertThat,
  create,
  kv,
  parDo,
  splittableParDo,
  statefulParDo,
  type DoFn,
  type KV,
  type SplittableDoFn,
} from "../../src/index.js";
import { NO_BUNDLE_RETRIES, PRISM, RUNNERS, runOn, type RunnerUnderTest } from "./runners.js";

/** The embedded runners, and Prism when this run started it. */
const FINALIZING_RUNNERS: readonly RunnerUnderTest[] = [...RUNNERS, ...(PRISM.options["jobEndpoint"] !== "" ? [PRISM] : [])];


const LATER = () => Date.now() + 600_000;

/** A toy message queue: a message read but never acknowledged would be redelivered. */
class ToyQueue {
  readonly acks = new Map<number, number>();
  constructor(readonly messages: readonly string[]) {}
  ack(i: number): void {
    this.acks.set(i, (this.acks.get(i) ?? 0) + 1);
  }
}

const warnings: Error[] = [];
const onWarning = (w: Error) => void warnings.push(w);
afterEach(() => {
  process.off("warning", onWarning);
  warnings.length = 0;
});

for (const runner of FINALIZING_RUNNERS) {
  // Pinned: Prism sends FinalizeBundle only for stages whose ParDo has requests_finalization,
  // which beam-ts sets for splittable DoFns only, so a plain DoFn's callbacks never run there.
  const plain = runner.name === "prism" ? it.fails : it;
  describe(`bundle finalization on ${runner.name}`, () => {
    plain("runs each callback once after its bundle committed, in registration order, before the job ends", async () => {
      const log: string[] = [];
      let bundles = 0;
      const fn: DoFn<number, number> = {
        startBundle(ctx) {
          const b = ++bundles;
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void log.push(`start ${b}`));
        },
        process(x, ctx) {
          ctx.output(x);
          ctx.bundleFinalizer.afterBundleCommit(LATER(), async () => {
            await Promise.resolve();
            log.push(`ack ${x}`);
          });
        },
        finishBundle(ctx) {
          const b = bundles;
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void log.push(`finish ${b}`));
        },
      };
      await runOn(runner, (p) => assertThat(p.apply(create([1, 2, 3, 4, 5])).apply(parDo(fn))).containsInAnyOrder([1, 2, 3, 4, 5]));
      expect(log.filter((l) => l.startsWith("ack")).sort()).toEqual(["ack 1", "ack 2", "ack 3", "ack 4", "ack 5"]);
      expect(log.filter((l) => l.startsWith("start"))).toHaveLength(bundles);
      // Per bundle: its startBundle callback, its elements', then its finishBundle callback.
      for (let b = 1; b <= bundles; b++) {
        const from = log.indexOf(`start ${b}`);
        const to = log.indexOf(`finish ${b}`);
        expect(from).toBeGreaterThanOrEqual(0);
        expect(to).toBeGreaterThan(from);
        expect(log.slice(from + 1, to).every((l) => l.startsWith("ack"))).toBe(true);
      }
    });

    (NO_BUNDLE_RETRIES.has(runner.name) ? it.fails : it)("never runs the callbacks of a failed attempt, only those of the retry that committed", async () => {
      const log: string[] = [];
      let attempts = 0;
      const fn: DoFn<number, number> = {
        process(x, ctx) {
          if (x === 1) attempts++;
          const attempt = attempts;
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void log.push(`ack ${x} from attempt ${attempt}`));
          if (x === 2 && attempt === 1) throw new Error("transient");
          ctx.output(x);
        },
      };
      await runOn(runner, (p) => assertThat(p.apply(create([1, 2])).apply(parDo(fn))).containsInAnyOrder([1, 2]), { maxBundleRetries: 1 });
      expect(attempts).toBe(2);
      expect(log.sort()).toEqual(["ack 1 from attempt 2", "ack 2 from attempt 2"]);
    });

    plain("drops a callback whose expiry passed before its bundle committed, and counts it", async () => {
      const log: string[] = [];
      const fn: DoFn<number, number> = {
        process(x, ctx) {
          ctx.bundleFinalizer.afterBundleCommit(0, () => void log.push(`expired ${x}`));
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void log.push(`ack ${x}`));
        },
      };
      const p = new Pipeline(runner.options);
      p.apply(create([1, 2])).apply("Ack", parDo(fn));
      const result = p.run();
      await result.waitUntilFinish();
      expect(log.sort()).toEqual(["ack 1", "ack 2"]);
      const expired = result
        .metrics()
        .queryMetrics()
        .counters.filter((c) => c.name === "expiredFinalizations");
      expect(expired.map((c) => [c.step, c.committed])).toEqual([["Ack", 2]]);
    });

    plain("reports a throwing callback as a BeamFinalizationWarning naming the step, and the job succeeds", async () => {
      process.on("warning", onWarning);
      const log: string[] = [];
      const fn: DoFn<number, number> = {
        process(x, ctx) {
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => {
            throw new Error(`ack of ${x} refused`);
          });
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void log.push(`after ${x}`));
          ctx.output(x);
        },
      };
      await runOn(runner, (p) => assertThat(p.apply(create([7])).apply("Acker", parDo(fn))).containsInAnyOrder([7]));
      expect(log).toEqual(["after 7"]);
      // Warnings are emitted on the next tick.
      await new Promise<void>((resolve) => process.nextTick(resolve));
      const w = warnings.find((x) => x.name === "BeamFinalizationWarning");
      expect(w?.message).toMatch(/"Acker".*ack of 7 refused/);
    });

    plain("runs callbacks a stateful DoFn registers", async () => {
      const acked: string[] = [];
      await runOn(runner, (p) => {
        p.apply(create<KV<string, number>>([kv("a", 1), kv("b", 2), kv("a", 3)])).apply(
          statefulParDo({
            state: { sum: StateSpecs.value<number>() },
            process(e: KV<string, number>, ctx) {
              ctx.state.sum.write((ctx.state.sum.read() ?? 0) + e.value);
              ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void acked.push(`${e.key}${e.value}`));
            },
          }),
        );
      });
      expect(acked.sort()).toEqual(["a1", "a3", "b2"]);
    });

    it("a splittable source's throwing callback warns, its expired one is dropped, and the job succeeds", async () => {
      process.on("warning", onWarning);
      const log: string[] = [];
      const read: SplittableDoFn<string, string, OffsetRange> = {
        getInitialRestriction: () => new OffsetRange(0, 1),
        newTracker: (_q, r) => new OffsetRangeTracker(r),
        process(q, ctx) {
          if (!ctx.tracker.tryClaim(0)) return;
          ctx.output(q);
          ctx.bundleFinalizer.afterBundleCommit(0, () => void log.push("expired"));
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => {
            throw new Error("broker gone");
          });
          ctx.bundleFinalizer.afterBundleCommit(LATER(), () => void log.push("acked"));
        },
      };
      await runOn(runner, (p) => assertThat(p.apply(create(["q"])).apply("Read", splittableParDo(read))).containsInAnyOrder(["q"]));
      expect(log).toEqual(["acked"]);
      await new Promise<void>((resolve) => process.nextTick(resolve));
      expect(warnings.find((x) => x.name === "BeamFinalizationWarning")?.message).toMatch(/"Read.*broker gone/);
    });

    it("a splittable source that acknowledges what it read on finalization acks every message exactly once", async () => {
      const queue = new ToyQueue(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
      // Reads at most three messages per call, then resumes: several bundles, several commits.
      const read: SplittableDoFn<string, string, OffsetRange> = {
        getInitialRestriction: () => new OffsetRange(0, queue.messages.length),
        newTracker: (_q, r) => new OffsetRangeTracker(r),
        process(_q, ctx) {
          const from = ctx.tracker.currentRestriction().from;
          for (let i = from; i < from + 3; i++) {
            if (!ctx.tracker.tryClaim(i)) return ProcessContinuation.stop();
            ctx.output(queue.messages[i]!);
            ctx.bundleFinalizer.afterBundleCommit(LATER(), () => queue.ack(i));
          }
          return ProcessContinuation.resume();
        },
      };
      await runOn(runner, (p) => assertThat(p.apply(create(["queue"])).apply(splittableParDo(read))).containsInAnyOrder([...queue.messages]));
      expect([...queue.acks.entries()].sort(([a], [b]) => a - b)).toEqual(queue.messages.map((_m, i) => [i, 1]));
    });
  });
}
