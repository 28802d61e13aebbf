import { describe, expect, it } from "vitest";
import type { ReifiedElement } from "../../../src/index.js";
import { nexmarkConfiguration } from "../config.js";
import { standardEvents } from "../generator.js";
import { bidEvent, type Bid, type TimestampedEvent } from "../model.js";
import { MODELS } from "../models/index.js";
import { runQuery } from "../run-query.js";
import { SQL_QUERIES } from "./sql-queries.js";

// Beam's QueryTest configuration with 2 s windows: one generator, so the models read the same stream.
const config = nexmarkConfiguration({ numEvents: 10_000, numEventGenerators: 1, windowSizeSec: 2, windowPeriodSec: 1 });

/** What a SQL query's results are compared with: its hand-written query's model, adapted where Beam's SQL version differs. */
const checks: Readonly<Record<number, { expected(events: TimestampedEvent[]): string[]; actual(out: readonly ReifiedElement<unknown>[]): string[] }>> = {
  // SqlQuery0 passes the bids (Query0 all events).
  0: {
    expected: (events) => MODELS[0]!.expected(events.filter((e) => e.event.kind === "bid"), config),
    actual: (out) => MODELS[0]!.actual(out.map((o) => ({ ...o, value: bidEvent(o.value as Bid) })) as never),
  },
  // SqlQuery7's results are at their window's end, not at the bid's time: compare windows and values.
  7: {
    expected: (events) => MODELS[7]!.expected(events, config).map((l) => l.replace(/@-?\d+$/, "")).sort(),
    actual: (out) => MODELS[7]!.actual(out as never).map((l) => l.replace(/@-?\d+$/, "")).sort(),
  },
};

describe("Beam's Nexmark SQL queries against the query models", () => {
  for (const query of Object.keys(SQL_QUERIES).map(Number)) {
    for (const streaming of [false, true]) {
      if (streaming && SQL_QUERIES[query]!(config, { streaming }).batchOnly === true) continue;
      it(`SqlQuery${query} in ${streaming ? "streaming" : "batch"} gives query ${query}'s model results`, async () => {
        const run = await runQuery(config, query, { streaming, collect: true, queries: SQL_QUERIES });
        const events = [...standardEvents(config)];
        const check = checks[query] ?? { expected: (e: TimestampedEvent[]) => MODELS[query]!.expected(e, config), actual: (o: readonly ReifiedElement<unknown>[]) => MODELS[query]!.actual(o as never) };
        const expected = check.expected(events);
        expect(expected.length).toBeGreaterThan(0);
        expect(check.actual(run.results!)).toEqual(expected);
      });
    }
  }
});
