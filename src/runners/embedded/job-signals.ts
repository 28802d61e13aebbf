import { isMainThread } from "node:worker_threads";
import { constants } from "node:os";

/** What signal handling needs of a running job. */
export interface SignalledJob {
  /** How the terminal names the job (its --jobName, else the program's file). */
  readonly name: string;
  /** Starts a drain (sources stop, open windows fire); returns at once. */
  drain(): void;
  /** Starts a cancel; returns at once. */
  cancel(): void;
}

type Signal = "SIGINT" | "SIGTERM";
const SIGNALS: readonly Signal[] = ["SIGINT", "SIGTERM"];

/** The embedded jobs running in this process's main thread. */
const jobs = new Set<SignalledJob>();
/** The listeners this module added (only for signals nobody else listens to). */
const installed = new Map<Signal, () => void>();
/** Signals received while jobs run: the first drains, the second cancels, the third exits. */
let received = 0;
/** The first signal received, whose exit code the process gets when its jobs have ended. */
let firstSignal: Signal | undefined;

/**
 * After a second signal, how long the program may go on once its jobs were cancelled (to
 * print, to close) before the process exits: the cancelled jobs' user code may have left
 * timers or sockets that would keep it alive.
 */
const EXIT_AFTER_CANCEL_MS = 2000;

/** 130 for SIGINT, 143 for SIGTERM: what a shell reports for a process a signal ended. */
function exitCodeOf(signal: Signal): number {
  return 128 + constants.signals[signal];
}

function onSignal(signal: Signal): void {
  received++;
  firstSignal ??= signal;
  const again = signal === "SIGINT" ? "press Ctrl-C again" : `send ${signal} again`;
  if (received === 1) {
    for (const job of jobs) {
      process.stderr.write(`Draining ${job.name}… ${again} to cancel.\n`);
      job.drain();
    }
  } else if (received === 2) {
    for (const job of jobs) {
      process.stderr.write(`Cancelling ${job.name}… ${again} to exit at once.\n`);
      job.cancel();
    }
  } else {
    // A job that does not stop (user code stuck in a synchronous loop cannot see a cancel).
    process.stderr.write(`Exiting without waiting for ${[...jobs].map((j) => j.name).join(", ")}.\n`);
    process.exit(exitCodeOf(firstSignal));
  }
}

/**
 * Lets SIGINT and SIGTERM end embedded jobs gracefully while they run: the first signal
 * drains every running job (as `drain()`: sources stop, every open window fires) and says
 * so on stderr, a second cancels them, a third exits the process at once. When the jobs
 * have ended, the process's exit code is 130 (SIGINT) or 143 (SIGTERM), as if the signal
 * had ended it; after a cancel by signal the process exits at the latest 2 s after its jobs
 * ended (what the cancelled user code left running, a timer or a socket, would keep it
 * alive). Without this, Node's default action kills a streaming job at once and its open
 * windows are lost.
 *
 * Only in the main thread (signals are delivered there), and only for a signal the program
 * does not handle itself: a program with its own `process.on("SIGINT")` keeps it, and can
 * call `drain()` or `cancel()` from there. Listeners are added when the first job starts
 * and removed when the last one ends, so a signal between jobs has Node's default action.
 * Returns the function to call when the job has ended.
 *
 * @example
 * const ended = handleSignalsFor({ name: "job clicks", drain: () => result.drain(), cancel: () => result.cancel() });
 * result.waitUntilFinish().finally(ended);
 */
export function handleSignalsFor(job: SignalledJob): () => void {
  if (!isMainThread) return () => {};
  if (jobs.size === 0) {
    for (const signal of SIGNALS) {
      if (process.listenerCount(signal) > 0) continue;
      const listener = () => onSignal(signal);
      process.on(signal, listener);
      installed.set(signal, listener);
    }
  }
  jobs.add(job);
  return () => {
    if (!jobs.delete(job) || jobs.size > 0) return;
    for (const [signal, listener] of installed) process.off(signal, listener);
    installed.clear();
    if (firstSignal !== undefined && !process.exitCode) process.exitCode = exitCodeOf(firstSignal);
    if (received >= 2) {
      const code = exitCodeOf(firstSignal!);
      setTimeout(() => process.exit(code), EXIT_AFTER_CANCEL_MS).unref();
    }
    received = 0;
    firstSignal = undefined;
  };
}
