/**
 * The Java peer of the Nexmark benchmark (tools/peers/java-nexmark, our Java port run on Beam
 * Java's runners) measures the same workload as beam-ts: its generator draws the same events,
 * field for field, and its queries 2, 4, 5, 8 and 9 on the DirectRunner find as many results
 * as our models (query 6, whose count is its number of panes, within the models' bounds, and
 * its final average per seller equal to the model's).
 * The first run builds the Java project (Maven + javac, cached under .cache/peers/).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, javaGeneratorEvents, runJavaNexmark } from "../../tools/peers/java-nexmark.mjs";
import { nexmarkConfiguration } from "./config.js";
import { Generator, splitEventsInTimeOrder } from "./generator.js";
import { standardGeneratorConfig } from "./generator-config.js";
import { MODELS } from "./models/index.js";
import type { SellerPrice } from "./model.js";
import { finalAveragesOf } from "./queries/final-averages.js";

// Needs java, javac and mvn, as the Flink and Spark tests do (.ci/run installs them).
describe("the Java Nexmark peer", () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 15 * 60_000);

  it("generates the same 2,000 events as beam-ts's generator (default config: 100 generators)", async () => {
    const config = nexmarkConfiguration({ numEvents: 2000 });
    const ours = standardGeneratorConfig(config)
      .split(config.numEventGenerators)
      .flatMap((c) => [...new Generator(c)]);
    const theirs = await javaGeneratorEvents(2000);
    expect(theirs.length).toBe(2000);
    for (let i = 0; i < ours.length; i++) {
      // One event at a time, so a difference names its position.
      expect(theirs[i], `event ${i}`).toEqual({ timestamp: ours[i]!.timestamp, event: ours[i]!.event });
    }
  });

  it("generates the same events with one generator (a single timeline)", async () => {
    const config = nexmarkConfiguration({ numEvents: 500, numEventGenerators: 1 });
    const ours = [...standardGeneratorConfig(config).split(1).flatMap((c) => [...new Generator(c)])];
    expect(await javaGeneratorEvents(500, { numEventGenerators: 1 })).toEqual(ours.map((e) => ({ timestamp: e.timestamp, event: e.event })));
  });

  it("finds as many query 2 results on the DirectRunner as the model, for 5,000 events", async () => {
    const config = nexmarkConfiguration({ numEvents: 5000 });
    const expected = MODELS[2]!.expected(splitEventsInTimeOrder(config), config).length;
    expect(expected).toBeGreaterThan(0);
    const result = await runJavaNexmark({ runner: "direct", query: 2, numEvents: 5000, timeoutMs: 120_000 });
    expect(result).toMatchObject({ query: 2, system: "beam-java-direct", numEvents: 5000, resultCount: expected });
    expect(result.eventsPerSec).toBeGreaterThan(0);
  });

  it("finds the models' results for queries 4, 5, 6, 8 and 9 on the DirectRunner, for 5,000 events", async () => {
    const config = nexmarkConfiguration({ numEvents: 5000 });
    const expected = (query: number) => MODELS[query]!.expected(splitEventsInTimeOrder(config), config).length;
    const run = (query: number) => runJavaNexmark({ runner: "direct", query, numEvents: 5000, timeoutMs: 180_000 });
    for (const query of [4, 5, 8, 9]) {
      const want = expected(query);
      expect(want, `query ${query}'s model`).toBeGreaterThan(0);
      const result = await run(query);
      expect(result, `query ${query}`).toMatchObject({ query, system: "beam-java-direct", numEvents: 5000, resultCount: want });
    }
    // Query 6 fires a pane per seller after every winning bid (accumulating, global window):
    // its count is the number of panes, which depends on the runner's bundling. At least one
    // per seller (the model's results), at most one per winning bid plus a final one per seller.
    const sellers = expected(6);
    const winningBids = expected(9);
    expect(sellers).toBeGreaterThan(0);
    const q6 = await run(6);
    expect(q6).toMatchObject({ query: 6, system: "beam-java-direct", numEvents: 5000 });
    expect(q6.resultCount).toBeGreaterThanOrEqual(sellers);
    expect(q6.resultCount).toBeLessThanOrEqual(winningBids + sellers);
    // What does not depend on the bundling: each seller's last pane, the model's results.
    const model = MODELS[6]!.expected(splitEventsInTimeOrder(config), config).map((s) => JSON.parse(s) as SellerPrice);
    expect(q6.finalAverages).toEqual(finalAveragesOf(model));
  }, 10 * 60_000);
});
