// Test support (imported only by *.test.ts): drives one trigger state machine for one window.
import type { BoundedWindow, Instant, Trigger } from "../../model/index.js";
import { IntervalWindow, MIN_TIMESTAMP } from "../../model/index.js";
import { triggerStateMachine, type TriggerEnv, type TriggerState, type TriggerStateMachine } from "./trigger-state-machine.js";

export interface MutableEnv {
  window: BoundedWindow;
  watermark: Instant;
  processingTime: Instant;
  synchronizedProcessingTime: Instant;
}

/** The window [0, 100) (max timestamp 99) used by the tests. */
export const WINDOW = new IntervalWindow(0, 100);

/**
 * One window's trigger with a clock and a watermark. `add` feeds elements and says whether
 * the trigger fired after them; `advance` moves time and says whether it fired. Firing calls
 * onFire at once, as the driver does.
 */
export class TriggerHarness {
  readonly machine: TriggerStateMachine;
  readonly env: MutableEnv;
  state: TriggerState;
  panes = 0;

  constructor(trigger: Trigger, options: { merging?: boolean; window?: BoundedWindow } = {}) {
    this.machine = triggerStateMachine(trigger, { merging: options.merging ?? false });
    this.env = { window: options.window ?? WINDOW, watermark: MIN_TIMESTAMP, processingTime: 0, synchronizedProcessingTime: 0 };
    this.state = this.machine.init();
  }

  /** Adds `n` elements at event time `timestamp`; returns whether a pane fired. */
  add(n = 1, timestamp: Instant = 0): boolean {
    for (let i = 0; i < n; i++) this.machine.onElement(this.state, this.env, timestamp);
    return this.check();
  }

  /** Adds elements one by one, firing after each as needed; returns the element numbers (1-based) after which a pane fired. */
  addEach(n: number): number[] {
    const fired: number[] = [];
    for (let i = 1; i <= n; i++) if (this.add(1)) fired.push(i);
    return fired;
  }

  /** Moves the watermark and/or the clock (synchronized processing time follows the clock); returns whether a pane fired. */
  advance(to: { watermark?: Instant; processingTime?: Instant }): boolean {
    if (to.watermark !== undefined) this.env.watermark = to.watermark;
    if (to.processingTime !== undefined) {
      this.env.processingTime = to.processingTime;
      this.env.synchronizedProcessingTime = to.processingTime;
    }
    return this.check();
  }

  get finished(): boolean {
    return this.machine.isFinished(this.state);
  }

  wakeup(): { eventTime: Instant; processingTime: Instant } {
    return { ...this.machine.nextWakeup(this.state, this.env as TriggerEnv) };
  }

  private check(): boolean {
    if (this.finished || !this.machine.shouldFire(this.state, this.env)) return false;
    this.machine.onFire(this.state, this.env);
    this.panes++;
    return true;
  }
}
