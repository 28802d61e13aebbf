import type { BoundedWindow, Instant, Trigger } from "../../model/index.js";
import { MAX_TIMESTAMP } from "../../model/index.js";
import { compileTrigger, targetTime, type ExecutableTrigger, type TriggerNode } from "./executable-trigger.js";

/**
 * A trigger's state for one (key, window): plain JSON-serializable data (checkpoints store
 * it). `finished[i]` is the finished bit of the trigger-tree node with pre-order index i
 * (Beam's FinishedTriggersBitSet); `values` holds each counting leaf's element count and
 * each processing-time leaf's delayed-until time (null when no element started its timer).
 */
export interface TriggerState {
  finished: boolean[];
  values: (number | null)[];
}

/** What the driver knows when it asks a trigger something. */
export interface TriggerEnv {
  readonly window: BoundedWindow;
  /** Input watermark of the GroupByKey. */
  readonly watermark: Instant;
  /** Current processing time (the runner's clock). */
  readonly processingTime: Instant;
  /** Beam's synchronized processing time; the embedded runner passes processingTime. */
  readonly synchronizedProcessingTime: Instant;
}

/** The answer of {@link TriggerStateMachine.nextWakeup}. */
export interface TriggerWakeup {
  readonly eventTime: Instant;
  readonly processingTime: Instant;
}

/** Runs one trigger definition for any number of (key, window) states. */
export interface TriggerStateMachine {
  /** State for a window that has just received its first element. */
  init(): TriggerState;
  /** Called for each element added to the window (after it is buffered). Mutates state. */
  onElement(state: TriggerState, env: TriggerEnv, elementTimestamp: Instant): void;
  /**
   * The state of `env.window`, the result of merging windows whose states are `merged`.
   * `resultIndex` (optional) is the position in `merged` of the result window's own state
   * when the result window was itself one of the merged windows (a session that absorbed
   * another); Beam starts the result's finished bits from that window's. Without it the
   * result window is treated as new. `merged` holds only windows that have run the trigger
   * (Java's ReduceFnRunner passes only ACTIVE windows, not the NEW windows of the elements
   * being added): an untouched state would count as "not finished" in the
   * finished-in-all-merged-windows tests of afterWatermark.
   */
  onMerge(merged: readonly TriggerState[], env: TriggerEnv, resultIndex?: number): TriggerState;
  /** Whether the trigger fires now. */
  shouldFire(state: TriggerState, env: TriggerEnv): boolean;
  /** Called right after a firing (the driver emitted the pane). Mutates state: resets counters, marks finished parts. */
  onFire(state: TriggerState, env: TriggerEnv): void;
  /** True when the (root) trigger has finished: the window fires no more panes (the driver then closes the window). */
  isFinished(state: TriggerState): boolean;
  /**
   * The earliest watermark and processing time at which shouldFire could become true
   * with no new element; MAX_TIMESTAMP (from model/time) when there is none. Only times
   * after the env's current watermark and clock are returned: the value is the first time
   * at which the condition holds (a watermark trigger waits for watermark > window.maxTimestamp(),
   * so it answers the next representable instant after maxTimestamp), for a driver that
   * wakes when watermark >= eventTime or clock >= processingTime.
   */
  nextWakeup(state: TriggerState, env: TriggerEnv): TriggerWakeup;
}

/** Options of {@link triggerStateMachine}. */
export interface TriggerStateMachineOptions {
  /**
   * Whether the WindowFn merges windows (Java's TriggerInfo.isMerging). Composite triggers
   * then keep every sub-trigger's state current so merging can revive one (AfterEach and
   * AfterWatermark with early/late feed elements to all sub-triggers). Default false.
   */
  readonly merging?: boolean;
}

/**
 * Compiles `trigger` into its state machine (Beam's runners-core TriggerStateMachine tree
 * driven by TriggerStateMachineRunner). Throws a ConstructionError for a trigger Beam rejects.
 *
 * @example
 * const machine = triggerStateMachine(Triggers.repeatedly(Triggers.afterCount(2)));
 * const state = machine.init();
 * machine.onElement(state, env, 0);
 * machine.shouldFire(state, env); // false: one element of two
 */
export function triggerStateMachine(trigger: Trigger, options: TriggerStateMachineOptions = {}): TriggerStateMachine {
  return new CompiledTriggerStateMachine(compileTrigger(trigger), options.merging === true);
}

class CompiledTriggerStateMachine implements TriggerStateMachine {
  constructor(
    private readonly exec: ExecutableTrigger,
    private readonly merging: boolean,
  ) {}

  init(): TriggerState {
    return { finished: new Array<boolean>(this.exec.size).fill(false), values: this.exec.initialValues.slice() };
  }

  onElement(state: TriggerState, env: TriggerEnv, elementTimestamp: Instant): void {
    onElement(this.exec.root, state, env, elementTimestamp, this.merging);
  }

  onMerge(merged: readonly TriggerState[], env: TriggerEnv, resultIndex?: number): TriggerState {
    const own = resultIndex === undefined ? undefined : merged[resultIndex];
    const result = own === undefined ? this.init() : { finished: own.finished.slice(), values: own.values.slice() };
    onMerge(this.exec.root, result, merged, env);
    return result;
  }

  shouldFire(state: TriggerState, env: TriggerEnv): boolean {
    return shouldFire(this.exec.root, state, env);
  }

  onFire(state: TriggerState, env: TriggerEnv): void {
    onFire(this.exec.root, state, env, this.merging);
  }

  isFinished(state: TriggerState): boolean {
    return state.finished[0] === true;
  }

  nextWakeup(state: TriggerState, env: TriggerEnv): TriggerWakeup {
    const out = { eventTime: MAX_TIMESTAMP, processingTime: MAX_TIMESTAMP };
    if (!this.isFinished(state)) wakeup(this.exec.root, state, env, out);
    return out;
  }
}

// --- The machines. Each case cites the Java class whose logic it follows. ---

/** Java's endOfWindowReached: the input watermark is strictly after the window's max timestamp. */
function endOfWindowReached(env: TriggerEnv): boolean {
  return env.watermark > env.window.maxTimestamp();
}

function isFinished(n: TriggerNode, s: TriggerState): boolean {
  return s.finished[n.index] === true;
}

function firstUnfinished(n: TriggerNode, s: TriggerState): TriggerNode | undefined {
  const cs = n.children;
  for (let i = 0; i < cs.length; i++) if (s.finished[cs[i]!.index] !== true) return cs[i];
  return undefined;
}

function onElement(n: TriggerNode, s: TriggerState, env: TriggerEnv, ts: Instant, merging: boolean): void {
  switch (n.kind) {
    case "afterCount": // AfterPaneStateMachine: count += 1
      s.values[n.slot] = (s.values[n.slot] as number) + 1;
      return;
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
      // AfterDelayFromFirstElementStateMachine: the first element of the pane sets the
      // target from the current processing time (both kinds); later ones leave it.
      if (s.values[n.slot] === null) s.values[n.slot] = targetTime(n.transforms, env.processingTime);
      return;
    case "afterWatermark":
    case "afterEach": {
      if (n.kind === "afterWatermark" && !n.earlyAndLate) return;
      // AfterWatermarkEarlyAndLate / AfterEach: only the running sub-trigger, or all of
      // them when windows merge (a merge may revive a finished one).
      if (!merging) {
        const c = firstUnfinished(n, s);
        if (c !== undefined) onElement(c, s, env, ts, merging);
      } else {
        for (let i = 0; i < n.children.length; i++) onElement(n.children[i]!, s, env, ts, merging);
      }
      return;
    }
    case "repeatedly":
    case "afterFirst":
    case "orFinally":
      for (let i = 0; i < n.children.length; i++) onElement(n.children[i]!, s, env, ts, merging);
      return;
    case "afterAll": // AfterAllStateMachine: unfinished sub-triggers only
      for (let i = 0; i < n.children.length; i++) {
        const c = n.children[i]!;
        if (!isFinished(c, s)) onElement(c, s, env, ts, merging);
      }
      return;
    case "default":
    case "never":
      return;
  }
}

function shouldFire(n: TriggerNode, s: TriggerState, env: TriggerEnv): boolean {
  switch (n.kind) {
    case "default":
      return endOfWindowReached(env);
    case "never":
      return false;
    case "afterWatermark": {
      if (!n.earlyAndLate) return endOfWindowReached(env);
      const early = n.children[0]!;
      if (!isFinished(early, s)) return shouldFire(early, s, env) || endOfWindowReached(env);
      return n.hasLate ? shouldFire(n.children[1]!, s, env) : false;
    }
    case "afterProcessingTime": {
      const until = s.values[n.slot];
      return until !== null && until !== undefined && env.processingTime > until;
    }
    case "afterSynchronizedProcessingTime": {
      const until = s.values[n.slot];
      return until !== null && until !== undefined && env.synchronizedProcessingTime > until;
    }
    case "afterCount":
      return (s.values[n.slot] as number) >= n.count;
    case "repeatedly":
      return shouldFire(n.children[0]!, s, env);
    case "afterEach": {
      const c = firstUnfinished(n, s);
      return c !== undefined && shouldFire(c, s, env);
    }
    case "afterFirst":
      for (const c of n.children) if (isFinished(c, s) || shouldFire(c, s, env)) return true;
      return false;
    case "afterAll":
      for (const c of n.children) if (!isFinished(c, s) && !shouldFire(c, s, env)) return false;
      return true;
    case "orFinally":
      return shouldFire(n.children[0]!, s, env) || shouldFire(n.children[1]!, s, env);
  }
}

function setFinished(n: TriggerNode, s: TriggerState, finished: boolean): void {
  s.finished[n.index] = finished;
}

/** Java's TriggerStateMachine.clear: drops the subtree's state, keeps its finished bits. */
function clear(n: TriggerNode, s: TriggerState): void {
  switch (n.kind) {
    case "afterCount":
      s.values[n.slot] = 0;
      return;
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
      s.values[n.slot] = null;
      return;
    default:
      for (const c of n.children) clear(c, s);
  }
}

/** Java's TriggerInfo.resetTree: unsets the subtree's finished bits and clears its state. */
function resetTree(n: TriggerNode, s: TriggerState): void {
  for (let i = n.index; i < n.end; i++) s.finished[i] = false;
  clear(n, s);
}

function onFire(n: TriggerNode, s: TriggerState, env: TriggerEnv, merging: boolean): void {
  switch (n.kind) {
    case "default": // DefaultTriggerStateMachine: nothing to do, never finishes
      return;
    case "never":
      throw new Error("NeverStateMachine should never fire");
    case "afterCount":
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
      clear(n, s);
      setFinished(n, s, true);
      return;
    case "afterWatermark":
      if (!n.earlyAndLate) setFinished(n, s, true);
      else onFireEarlyAndLate(n, s, env, merging);
      return;
    case "repeatedly": {
      // RepeatedlyStateMachine: fire the sub-trigger; once it finishes, reset its whole tree.
      const c = n.children[0]!;
      onFire(c, s, env, merging);
      if (isFinished(c, s)) resetTree(c, s);
      return;
    }
    case "afterEach": {
      const c = firstUnfinished(n, s);
      if (c !== undefined) onFire(c, s, env, merging);
      if (merging) for (const sub of n.children) clear(sub, s);
      setFinished(n, s, firstUnfinished(n, s) === undefined);
      return;
    }
    case "afterFirst":
      // AfterFirstStateMachine: fire the ready sub-triggers, drop the others' pending pane.
      for (const c of n.children) {
        if (shouldFire(c, s, env)) onFire(c, s, env, merging);
        else clear(c, s);
      }
      setFinished(n, s, true);
      return;
    case "afterAll":
      for (const c of n.children) onFire(c, s, env, merging);
      setFinished(n, s, true);
      return;
    case "orFinally": {
      // OrFinallyStateMachine: `until` firing ends it; otherwise `main` fired and `until`
      // keeps its state across firings.
      const main = n.children[0]!;
      const until = n.children[1]!;
      if (shouldFire(until, s, env)) {
        onFire(until, s, env, merging);
        clear(main, s);
      } else {
        onFire(main, s, env, merging);
      }
      setFinished(n, s, isFinished(main, s) || isFinished(until, s));
      return;
    }
  }
}

/**
 * AfterWatermarkEarlyAndLate.onFire. Before the end of the window a firing is early and the
 * early trigger repeats; at the end of the window the early trigger finishes and the late
 * one starts fresh (or, without one, the whole trigger finishes); afterwards late firings
 * repeat. Java repeats early and late by clearing them and unsetting only their own
 * finished bit; here their whole subtree is reset, as Beam Python does by wrapping them in
 * Repeatedly and as Java's Repeatedly does. The two agree for every leaf trigger; for a
 * composite (say afterFirst) Java's leftover sub-trigger bits would make it fire again
 * at once on every later check.
 */
function onFireEarlyAndLate(n: TriggerNode, s: TriggerState, env: TriggerEnv, merging: boolean): void {
  const early = n.children[0]!;
  if (!isFinished(early, s)) {
    if (!endOfWindowReached(env)) {
      onFire(early, s, env, merging);
      resetTree(early, s);
    } else {
      if (shouldFire(early, s, env)) onFire(early, s, env, merging);
      setFinished(early, s, true);
      clear(early, s);
      if (!n.hasLate) setFinished(n, s, true);
      else clear(n.children[1]!, s);
    }
  } else if (n.hasLate) {
    const late = n.children[1]!;
    onFire(late, s, env, merging);
    resetTree(late, s);
  } else {
    setFinished(n, s, true);
  }
}

function finishedInAny(n: TriggerNode, merged: readonly TriggerState[]): boolean {
  for (const m of merged) if (m.finished[n.index] === true) return true;
  return false;
}

function finishedInAll(n: TriggerNode, merged: readonly TriggerState[]): boolean {
  for (const m of merged) if (m.finished[n.index] !== true) return false;
  return true;
}

/** Java's onMerge of each machine: `r` is the result window's state, `merged` the sources'. */
function onMerge(n: TriggerNode, r: TriggerState, merged: readonly TriggerState[], env: TriggerEnv): void {
  switch (n.kind) {
    case "default":
    case "never":
      return;
    case "afterWatermark": {
      if (!n.earlyAndLate) {
        // FromEndOfWindow: still active if active in any window or the merged window's end
        // is not reached; done for good otherwise.
        setFinished(n, r, finishedInAll(n, merged) && endOfWindowReached(env));
        return;
      }
      const early = n.children[0]!;
      if (!finishedInAll(early, merged) || !endOfWindowReached(env)) {
        onMerge(early, r, merged, env);
        setFinished(early, r, false);
        if (n.hasLate) {
          const late = n.children[1]!;
          setFinished(late, r, false);
          clear(late, r);
        }
      } else {
        setFinished(early, r, true);
        if (n.hasLate) onMerge(n.children[1]!, r, merged, env);
      }
      return;
    }
    case "afterCount":
      // AfterPaneStateMachine: finished in any window means finished; else counts add.
      if (finishedInAny(n, merged)) {
        setFinished(n, r, true);
        r.values[n.slot] = 0;
        return;
      } else {
        let sum = 0;
        for (const m of merged) sum += (m.values[n.slot] as number | null) ?? 0;
        r.values[n.slot] = sum;
      }
      return;
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime": {
      // AfterDelayFromFirstElementStateMachine: the earliest target of the merged windows,
      // unless the result window's own trigger already finished.
      if (isFinished(n, r)) {
        r.values[n.slot] = null;
        return;
      }
      let earliest: number | null = null;
      for (const m of merged) {
        const v = m.values[n.slot];
        if (v !== null && v !== undefined && (earliest === null || v < earliest)) earliest = v;
      }
      r.values[n.slot] = earliest;
      return;
    }
    case "repeatedly":
      onMerge(n.children[0]!, r, merged, env);
      return;
    case "afterEach": {
      // AfterEachStateMachine: merge up to the first sub-trigger unfinished after merging;
      // the later ones restart.
      let priorAllFinished = true;
      for (const c of n.children) {
        if (priorAllFinished) {
          onMerge(c, r, merged, env);
          priorAllFinished = isFinished(c, r);
        } else {
          clear(c, r);
        }
      }
      setFinished(n, r, firstUnfinished(n, r) === undefined);
      return;
    }
    case "afterFirst":
    case "afterAll":
    case "orFinally": {
      for (const c of n.children) onMerge(c, r, merged, env);
      let some = false;
      let all = true;
      for (const c of n.children) {
        const f = isFinished(c, r);
        some ||= f;
        all &&= f;
      }
      setFinished(n, r, n.kind === "afterAll" ? all : some);
      return;
    }
  }
}

/** The smallest instant after `t` (t + 1 ms where that is exact, as Beam's timestamps are whole ms). */
function justAfter(t: Instant): Instant {
  const next = t + 1;
  return next > t ? next : t + 2;
}

interface WakeupAcc {
  eventTime: Instant;
  processingTime: Instant;
}

function wakeEvent(out: WakeupAcc, env: TriggerEnv, t: Instant): void {
  if (t > env.watermark && t < out.eventTime) out.eventTime = t;
}

function wakeProcessing(out: WakeupAcc, now: Instant, t: Instant): void {
  if (t > now && t < out.processingTime) out.processingTime = t;
}

/**
 * Collects the future times at which a live part of the tree could start to fire: the end
 * of the window for watermark triggers still waiting for it, the delayed-until time of
 * processing-time triggers that have seen an element. A time already passed is left out:
 * the condition it guards held (or was checked) already.
 */
function wakeup(n: TriggerNode, s: TriggerState, env: TriggerEnv, out: WakeupAcc): void {
  switch (n.kind) {
    case "default":
      wakeEvent(out, env, justAfter(env.window.maxTimestamp()));
      return;
    case "never":
    case "afterCount":
      return;
    case "afterWatermark": {
      if (!n.earlyAndLate) {
        if (!isFinished(n, s)) wakeEvent(out, env, justAfter(env.window.maxTimestamp()));
        return;
      }
      const early = n.children[0]!;
      if (!isFinished(early, s)) {
        wakeEvent(out, env, justAfter(env.window.maxTimestamp()));
        wakeup(early, s, env, out);
      } else if (n.hasLate) {
        wakeup(n.children[1]!, s, env, out);
      }
      return;
    }
    case "afterProcessingTime": {
      const until = s.values[n.slot];
      if (until !== null && until !== undefined) wakeProcessing(out, env.processingTime, justAfter(until));
      return;
    }
    case "afterSynchronizedProcessingTime": {
      // Reported on the processing-time axis: the embedded runner's two clocks are one.
      const until = s.values[n.slot];
      if (until !== null && until !== undefined) wakeProcessing(out, env.synchronizedProcessingTime, justAfter(until));
      return;
    }
    case "repeatedly":
      wakeup(n.children[0]!, s, env, out);
      return;
    case "afterEach": {
      const c = firstUnfinished(n, s);
      if (c !== undefined) wakeup(c, s, env, out);
      return;
    }
    case "afterFirst":
    case "afterAll":
    case "orFinally":
      for (const c of n.children) if (!isFinished(c, s)) wakeup(c, s, env, out);
      return;
  }
}
