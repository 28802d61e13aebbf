import { it } from "vitest";
import type { RunnerUnderTest } from "./runners.js";

/**
 * Scenarios a portable runner is known to run differently from Beam's model as the
 * embedded runner implements it, with the reason. A pinned scenario runs as `it.fails`: it
 * must keep failing there, so a runner (or harness) fix turns the suite red and the pin is
 * removed. Keys are scenario names as written in the test files.
 */
export const PINS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  prism: {},
  flink: {},
};

/** `it` for a scenario on `runner`, or `it.fails` when the scenario is pinned there. */
export function itOn(runner: RunnerUnderTest): (name: string, fn: () => void | Promise<void>, timeout?: number) => void {
  return (name, fn, timeout) => {
    const pinned = PINS[runner.name]?.[name] !== undefined;
    (pinned ? it.fails : it)(name, fn, timeout);
  };
}
