import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BufferReader } from "../../../src/index.js";
import { eventCoder } from "../coders.js";
import { nexmarkConfiguration } from "../config.js";
import { eventDelayMs, splitEventsInTimeOrder, standardEvents } from "../generator.js";
import { hasAnnotation, withAnnotation, type Event } from "../model.js";
import { canonical } from "../models/model-util.js";
import { logFilesModel, query10Model } from "../models/query10-model.js";
import { runQuery } from "../run-query.js";
import { instantString } from "./query10.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Decodes a log file: Beam's Event coder, one event after another. */
function readLog(path: string): Event[] {
  const reader = new BufferReader(new Uint8Array(readFileSync(path)));
  const events: Event[] = [];
  while (reader.remaining > 0) events.push(eventCoder.decode(reader, false));
  return events;
}

const LOG_NAME = /^LOG-(\S+Z)-(shard-\d{5}-of-\d{5})-(\d{3})-([EOLU])-([0-9a-f]+)$/;

describe("query 10 (log to sharded files)", () => {
  for (const streaming of [false, true]) {
    it(`writes every event exactly once, one file per window and shard, and indexes each window (${streaming ? "streaming" : "batch"})`, async () => {
      const outputPath = mkdtempSync(join(tmpdir(), "nexmark-q10-"));
      dirs.push(outputPath);
      // 8 s of event time over 3 generators and 2 s windows: 4 windows, 10 shards (2 workers).
      const config = nexmarkConfiguration({ numEvents: 4000, numEventGenerators: 3, firstEventRate: 500, nextEventRate: 500, windowSizeSec: 2, maxNumWorkers: 2, outputPath });
      const run = await runQuery(config, 10, { streaming, collect: true });
      const events = [...splitEventsInTimeOrder(config)];
      expect(query10Model.actual(run.results as never)).toEqual(query10Model.expected(events, config));
      expect(run.resultCount).toBe(4);

      const names = readdirSync(outputPath).sort();
      const logs = names.filter((n) => n.startsWith("LOG-"));
      const indexes = names.filter((n) => n.startsWith("INDEX-"));
      const expectedFiles = logFilesModel(events, config);
      // One ON_TIME file (pane 0) per window and shard, holding exactly that shard's events of the window.
      const actualFiles = new Map<string, string[]>();
      for (const name of logs) {
        const m = LOG_NAME.exec(name);
        expect(m, name).not.toBeNull();
        const [, maxTs, shard, index, timing] = m!;
        expect([index, timing]).toEqual(["000", "O"]);
        const key = `${maxTs} ${shard}`;
        expect(actualFiles.has(key), key).toBe(false);
        actualFiles.set(key, readLog(join(outputPath, name)).map((e) => canonical(e)).sort());
      }
      expect(new Map([...actualFiles].sort())).toEqual(new Map([...expectedFiles].sort()));
      expect(logs.length).toBeGreaterThan(4);
      // Every event written once in all.
      expect([...actualFiles.values()].flat().sort()).toEqual(events.map((e) => canonical(e.event)).sort());
      // One index per window, one line per file of the window.
      const windows = new Set([...expectedFiles.keys()].map((k) => k.split(" ")[0]!));
      expect(indexes.sort()).toEqual([...windows].map((w) => `INDEX-${w}`).sort());
      for (const w of windows) {
        const lines = readFileSync(join(outputPath, `INDEX-${w}`), "utf8").trimEnd().split("\n");
        const files = logs.filter((n) => n.startsWith(`LOG-${w}-`)).map((n) => join(outputPath, n));
        expect(lines.map((l) => l.split(" ")[4]).sort()).toEqual(files.sort());
        for (const l of lines) expect(l).toMatch(new RegExp(`^${w} shard-\\d{5}-of-00010 0 ON_TIME `));
      }
      expect(instantString(Date.UTC(2015, 6, 15, 0, 0, 1, 999))).toBe("2015-07-15T00:00:01.999Z");
    });
  }

  it("writes the rate-limited source's held-back events to LATE files of their windows (streaming)", async () => {
    const outputPath = mkdtempSync(join(tmpdir(), "nexmark-q10-"));
    dirs.push(outputPath);
    // 2 s of event time in 1 s windows, paced; a fifth of the events held back by up to 1 s.
    const config = nexmarkConfiguration({
      numEvents: 2000,
      numEventGenerators: 1,
      firstEventRate: 1000,
      nextEventRate: 1000,
      windowSizeSec: 1,
      maxNumWorkers: 1,
      isRateLimited: true,
      probDelayedEvent: 0.2,
      occasionalDelaySec: 1,
      outputPath,
    });
    const run = await runQuery(config, 10, { streaming: true, collect: true });
    const events = [...standardEvents(config)];
    expect(query10Model.actual(run.results as never)).toEqual(query10Model.expected(events, config));
    const written: string[] = [];
    let lateFiles = 0;
    for (const name of readdirSync(outputPath).filter((n) => n.startsWith("LOG-"))) {
      const [, , , , timing] = LOG_NAME.exec(name)!;
      const logged = readLog(join(outputPath, name));
      if (timing === "L") {
        lateFiles++;
        // Only held-back events arrive behind the watermark.
        for (const e of logged) expect(hasAnnotation(e, "LATE")).toBe(true);
      }
      written.push(...logged.map((e) => canonical(e)));
    }
    expect(lateFiles).toBeGreaterThan(0);
    const expected = events.map((e, id) => canonical(eventDelayMs(config, id) > 0 ? withAnnotation(e.event, "LATE") : e.event));
    expect(written.sort()).toEqual(expected.sort());
  });
});
