import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW } from "../../model/index.js";
import { PendingCalls } from "../../runtime/index.js";
import { LullWatchdog } from "./lull-watchdog.js";

const MINUTE = 60_000;

/** A watchdog on a fake clock, recording its warnings. */
function watchdog() {
  const pending = new PendingCalls();
  const warnings: string[] = [];
  const clock = { now: 0 };
  const dog = new LullWatchdog(pending, 5 * MINUTE, (m) => warnings.push(m), () => clock.now);
  return { pending, warnings, clock, dog };
}

describe("LullWatchdog: Beam's 'operation ongoing' warning for calls pending long", () => {
  it("warns about a call pending for 5 minutes, naming the step, the method and the element, then again every 5 minutes", () => {
    const { pending, warnings, clock, dog } = watchdog();
    const call = pending.begin("Enrich/Lookup", "process", { id: 7 }, GLOBAL_WINDOW);
    clock.now = call.since + 4 * MINUTE;
    dog.check();
    expect(warnings).toEqual([]);
    clock.now = call.since + 5 * MINUTE;
    dog.check();
    dog.check();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Operation ongoing in step "Enrich/Lookup" for at least 05m00s without completing');
    expect(warnings[0]).toContain('process of "Enrich/Lookup" on element {"id":7} in window GlobalWindow');
    expect(warnings[0]).toContain("parDo(fn, { timeout: ms })");
    clock.now = call.since + 10 * MINUTE;
    dog.check();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain("for at least 10m00s");
  });

  it("says nothing about calls that settled or are younger than the lull timeout", () => {
    const { pending, warnings, clock, dog } = watchdog();
    const settled = pending.begin("A", "process", 1);
    pending.end(settled);
    clock.now = settled.since + 3 * MINUTE;
    const young = pending.begin("B", "finishBundle");
    clock.now = young.since + 4 * MINUTE;
    dog.check();
    expect(warnings).toEqual([]);
  });
});
