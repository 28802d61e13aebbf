import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Pipeline, assertThat, kv, reifyPanes, testStream, type KV } from "../../src/index.js";
import { sessionCounts } from "../../examples/sessions/sessions.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

describe("examples/sessions", () => {
  it("gives early counts while a session is open, the on-time count, then late updates", async () => {
    const p = new Pipeline();
    const counts = p
      .apply(
        testStream<KV<string, string>>(`
          ada:home@0s ada:item@1s
          pt +2s               # the early trigger's delay passes
          ada:cart@2500
          wm 10s               # the session [0, 4.5s) is complete
          ada:checkout@3s      # late, within the allowed lateness
        `, { kv: true }),
      )
      .apply(sessionCounts({ gap: 2000, earlyEvery: 1000, allowedLateness: 60_000 }))
      .apply(reifyPanes());
    assertThat(counts).containsInAnyOrder([
      { value: kv("ada", 2), timestamp: 2_999, window: "0..3000", pane: "EARLY#0/-1 first" },
      { value: kv("ada", 3), timestamp: 4_499, window: "0..4500", pane: "ON_TIME#0/0 first" },
      { value: kv("ada", 4), timestamp: 4_999, window: "0..5000", pane: "LATE#0/0 first" },
    ]);
    await p.run().waitUntilFinish();
  });

  it("runs from the command line, prints panes as they fire and ends drained", async () => {
    const { stdout } = await run("npx", ["tsx", "examples/sessions/main.ts", "--seconds=1.5", "--rate=200", "--gap=300", "--earlyEvery=200"], {
      cwd: root,
    });
    expect(stdout).toMatch(/session \[.*\)\s+clicks\s+\d+\s+(EARLY|ON_TIME|LATE)#\d/);
    expect(stdout).toMatch(/sessions: DRAINED after/);
  });
});
