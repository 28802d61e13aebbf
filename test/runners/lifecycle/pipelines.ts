/**
 * Pipelines of the lifecycle tests (cancel, stalls, signals): built in-process by the
 * tests and, by name, by lifecycle-program.ts (run as a child process, and imported by
 * worker threads as the pipeline module).
 */
import { isMainThread } from "node:worker_threads";
import {
  fixedWindows,
  generateSequence,
  map,
  parDo,
  read,
  reshuffle,
  windowInto,
  combineGlobally,
  count,
  type Pipeline,
  type Source,
  type SourceReader,
} from "../../../src/index.js";

export const FIXTURE_ENV = "BEAM_TS_LIFECYCLE_FIXTURE";

/** What the main thread's DoFns of a fixture saw (worker threads have their own copy). */
export const seen = { processed: 0 };

/** A source that never ends and always has `maxElements` numbers ready: minutes of work per read at 2 ms each. */
class EndlessNumbers implements Source<number> {
  readonly isBounded = false;
  createReader(): SourceReader<number> {
    let next = 0;
    return {
      read(maxElements: number, now: number) {
        const elements = Array.from({ length: maxElements }, () => ({ value: next++, timestamp: now }));
        return { elements, watermark: now };
      },
    };
  }
  toString(): string {
    return "EndlessNumbers";
  }
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Prints a line for the parent process (child-process fixtures). */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export const FIXTURES: Readonly<Record<string, (p: Pipeline) => void>> = {
  /** A read of 10,000 elements whose synchronous DoFn takes 2 ms each: 20 s per source read. */
  slowSyncRead(p) {
    p.apply(read(new EndlessNumbers())).apply(
      "Slow",
      map((n: number) => {
        seen.processed++;
        busyWait(2);
        return n;
      }),
    );
  },

  /** An async DoFn whose calls never settle, kept company by a ref'd timer (the loop stays alive). */
  neverSettles(p) {
    p.apply(generateSequence({ from: 0, to: 100 })).apply(
      "Hang",
      map((_n: number) => {
        seen.processed++;
        return new Promise<number>(() => {});
      }),
    );
  },

  /** Worker threads loop for ever in a synchronous call; the main thread works normally. */
  stuckWorker(p) {
    p.apply(generateSequence({ from: 0, to: 1000 }))
      .apply(reshuffle<number>())
      .apply(
        "Stuck",
        map((n: number) => {
          if (!isMainThread) for (;;);
          seen.processed++;
          busyWait(1);
          return n;
        }),
      );
  },

  /** Element 7's call returns a promise nothing can settle (in whichever thread it lands). */
  stallOnSeven(p) {
    p.apply(generateSequence({ from: 0, to: 20 }))
      .apply(reshuffle<number>())
      .apply(
        "Stall",
        map((n: number) => (n === 7 ? new Promise<number>(() => {}) : Promise.resolve(n))),
      );
  },

  /** Every call in a worker thread stalls; the main thread's calls succeed. */
  stallInWorker(p) {
    p.apply(generateSequence({ from: 0, to: 20 }))
      .apply(reshuffle<number>())
      .apply(
        "Stall",
        map((n: number) => (isMainThread ? Promise.resolve(n) : new Promise<number>(() => {}))),
      );
  },

  /** Every call in the main thread stalls; worker threads' calls succeed. */
  stallInMain(p) {
    p.apply(generateSequence({ from: 0, to: 20 }))
      .apply(reshuffle<number>())
      .apply(
        "Stall",
        map((n: number) => (isMainThread ? new Promise<number>(() => {}) : Promise.resolve(n))),
      );
  },

  /**
   * A streaming job: one number every 20 ms, counted per hour-long window (open until the
   * job drains), printed when the window fires. Prints "started" at the first number.
   */
  streamingCount(p) {
    let started = false;
    p.apply(generateSequence({ from: 0, rate: { elements: 1, period: 20 } }))
      .apply(
        "Started",
        map((n: number) => {
          if (!started) say("started");
          started = true;
          return n;
        }),
      )
      .apply(windowInto(fixedWindows(3_600_000)))
      .apply(combineGlobally(count(), { withoutDefaults: true }))
      .apply(
        "Print",
        parDo<number, never>({
          process(total) {
            say(`window fired: ${total > 0 ? "counted" : "empty"}`);
          },
        }),
      );
  },

  /** A streaming job whose DoFn waits 10 minutes on its first element: a drain waits for it. */
  streamingSlowCall(p) {
    let started = false;
    p.apply(generateSequence({ from: 0, rate: { elements: 1, period: 20 } })).apply(
      "Wait",
      map(async (n: number) => {
        if (!started) {
          started = true;
          say("started");
          await new Promise((resolve) => setTimeout(resolve, 600_000));
        }
        return n;
      }),
    );
  },
};
