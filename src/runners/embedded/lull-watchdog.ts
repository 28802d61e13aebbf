import { describeCall, type PendingCall, type PendingCalls } from "../../runtime/index.js";

/**
 * How long a call into user code may stay pending before a warning: Beam's SDK harnesses
 * log "Operation ongoing in step X for at least 05m00s without outputting or completing"
 * after 5 minutes (Python's DEFAULT_LOG_LULL_TIMEOUT_NS, the Java and Go state samplers).
 */
export const DEFAULT_LULL_TIMEOUT_MS = 5 * 60_000;

/** Longest gap between two checks: one timer per executor, never one per element. */
const MAX_CHECK_EVERY_MS = 30_000;

/** Receives a lull warning's text; default: a process warning (stderr, `process.on("warning")`). */
export type LullReporter = (message: string) => void;

/**
 * Warns about calls into user code that have been pending for long (Beam's "lull"
 * logging): a promise that a socket or a timer keeps alive but that never settles holds
 * its bundle, and the job, for ever, with nothing on the terminal. The watchdog only
 * warns, as Beam's harnesses do, because a slow call may still end; a call that can never
 * settle fails the job at once (Executor, `beforeExit`), and `parDo(fn, { timeout })` fails
 * calls past a deadline the user chose.
 *
 * A call is reported when its age passes the lull timeout, then again at each further
 * multiple of it (5, 10, 15 minutes...), as Go's state sampler repeats its log.
 *
 * @example
 * const watchdog = new LullWatchdog(pendingCalls);
 * const stop = watchdog.start(); // ... the executor runs ...
 * stop();
 */
export class LullWatchdog {
  constructor(
    private readonly pending: PendingCalls,
    private readonly lullMillis: number = DEFAULT_LULL_TIMEOUT_MS,
    private readonly report: LullReporter = emitLullWarning,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Reports every call pending for another whole lull timeout since it was last reported. */
  check(): void {
    const now = this.now();
    // Oldest first (PendingCalls keeps start order): stop at the first call too young.
    for (const call of this.pending.list()) {
      const age = now - call.since;
      if (age < this.lullMillis) break;
      const periods = Math.floor(age / this.lullMillis);
      if (periods > call.warnings) {
        call.warnings = periods;
        this.report(lullMessage(call, periods * this.lullMillis));
      }
    }
  }

  /** Checks on an unref'd timer (it never keeps the process alive); returns the stop function. */
  start(): () => void {
    const timer = setInterval(() => this.check(), Math.min(MAX_CHECK_EVERY_MS, Math.max(1, this.lullMillis / 4)));
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** Beam's lull message, with what to do about it. */
export function lullMessage(call: PendingCall, millis: number): string {
  return (
    `Operation ongoing in step "${call.step}" for at least ${formatLull(millis)} without completing: ${describeCall(call)} ` +
    `returned a promise that has not settled. Its bundle, and the job, wait for it. If it can hang, give the ParDo a ` +
    `timeout (parDo(fn, { timeout: ms })) so that the element fails (and is retried, or goes to a dead-letter output).`
  );
}

/** 05m00s, as Beam's harnesses print a lull's length. */
function formatLull(millis: number): string {
  const seconds = Math.floor(millis / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}h${two(m)}m${two(s)}s` : `${two(m)}m${two(s)}s`;
}

function emitLullWarning(message: string): void {
  process.emitWarning(message, { type: "BeamLullWarning", code: "BEAM_OPERATION_LULL" });
}
