import { describe, expect, it } from "vitest";
import { Pipeline, combineGlobally, count, fixedWindows, groupByKey, kv, kvCoder, map, parDo, reifyPanes, stringUtf8Coder, windowInto, type KV, type ReifiedElement } from "../../src/index.js";
import { eventCoder } from "./coders.js";
import { nexmarkConfiguration, type NexmarkConfiguration } from "./config.js";
import { Generator, eventDelayMs } from "./generator.js";
import { standardGeneratorConfig } from "./generator-config.js";
import { hasAnnotation, withAnnotation, type Event } from "./model.js";
import { canonical } from "./models/model-util.js";
import { nexmarkEvents } from "./source.js";

/** Runs the source alone and returns its events as `json@timestamp`, sorted. */
async function readSource(config: NexmarkConfiguration, streaming: boolean): Promise<string[]> {
  const out: string[] = [];
  const p = new Pipeline();
  p.apply(nexmarkEvents(config, { streaming }))
    .apply(reifyPanes())
    .apply(
      parDo<ReifiedElement<Event>, never>({
        process(e) {
          out.push(`${canonical(e.value)}@${e.timestamp}`);
        },
      }),
    );
  await p.run().waitUntilFinish();
  return out.sort();
}

/** The events of the run's generators, read one by one, in the same form. */
function generated(config: NexmarkConfiguration): string[] {
  return standardGeneratorConfig(config)
    .split(config.numEventGenerators)
    .flatMap((c) => [...new Generator(c)].map((e) => `${canonical(e.event)}@${e.timestamp}`))
    .sort();
}

describe("the Nexmark source", () => {
  it("reads exactly the generators' events with their event times, split unevenly among generators (batch)", async () => {
    const config = nexmarkConfiguration({ numEvents: 3001, numEventGenerators: 7 });
    expect(await readSource(config, false)).toEqual(generated(config));
  });

  it("splits a single generator into pieces in batch and still reads each event once", async () => {
    const config = nexmarkConfiguration({ numEvents: 25_000, numEventGenerators: 1 });
    expect(await readSource(config, false)).toEqual(generated(config));
  });

  it("reads the same events as an unbounded source (streaming), with out-of-order groups", async () => {
    const config = nexmarkConfiguration({ numEvents: 3000, numEventGenerators: 3, outOfOrderGroupSize: 40 });
    expect(await readSource(config, true)).toEqual(generated(config));
  });

  it("reads every event when rate-limited, pacing them by event time from the generator's start", async () => {
    // 300 events at 2000/s: due over 150 ms of processing time.
    // Without Beam's occasional delays (probDelayedEvent 0): exactly the generated events.
    const config = nexmarkConfiguration({ numEvents: 300, numEventGenerators: 2, firstEventRate: 2000, nextEventRate: 2000, isRateLimited: true, probDelayedEvent: 0 });
    expect(await readSource(config, true)).toEqual(generated(config));
  });

  it("fires windows while it is still reading in streaming: the watermark follows the generators", async () => {
    // 50 000 events at 1000/s: 50 s of event time; the first 10 s window closes long before the end.
    const config = nexmarkConfiguration({ numEvents: 50_000, numEventGenerators: 1, firstEventRate: 1000, nextEventRate: 1000 });
    let read = 0;
    const readWhenFired: number[] = [];
    const p = new Pipeline();
    p.apply(nexmarkEvents(config, { streaming: true }))
      .apply(
        "CountReads",
        parDo<Event, Event>({
          process(e, ctx) {
            read++;
            ctx.output(e);
          },
        }),
      )
      .apply(windowInto(fixedWindows(10_000)))
      .apply(combineGlobally(count(), { withoutDefaults: true }))
      .apply(
        parDo<number, never>({
          process() {
            readWhenFired.push(read);
          },
        }),
      );
    await p.run().waitUntilFinish();
    expect(readWhenFired).toHaveLength(5);
    expect(Math.min(...readWhenFired)).toBeLessThan(50_000);
  });
});

describe("the rate-limited source's occasional delays (Beam's probDelayedEvent)", () => {
  const config = nexmarkConfiguration({
    numEvents: 2000,
    numEventGenerators: 1,
    firstEventRate: 2000,
    nextEventRate: 2000,
    isRateLimited: true,
    probDelayedEvent: 0.2,
    occasionalDelaySec: 1,
  });

  it("holds back a fixed set of events, each by 1 ms to occasionalDelaySec s, and none without the delay's conditions", () => {
    const delays = Array.from({ length: 2000 }, (_, id) => eventDelayMs(config, id));
    const delayed = delays.flatMap((d, id) => (d > 0 ? [id] : []));
    // Golden values of the rule (nextDouble < probDelayedEvent, then nextInt(occasionalDelaySec * 1000) + 1).
    expect(delayed.slice(0, 8)).toEqual(GOLDEN_DELAYED_IDS);
    expect(delayed.slice(0, 8).map((id) => delays[id])).toEqual(GOLDEN_DELAYS_MS);
    expect(delayed.length / 2000).toBeGreaterThan(0.17);
    expect(delayed.length / 2000).toBeLessThan(0.23);
    expect(Math.min(...delays.filter((d) => d > 0))).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    // Beam delays only when rate-limited, with probDelayedEvent > 0 and occasionalDelaySec > 0.
    for (const off of [{ isRateLimited: false }, { probDelayedEvent: 0 }, { occasionalDelaySec: 0 }]) {
      const c = nexmarkConfiguration({ ...config, ...off });
      expect(delays.every((_, id) => eventDelayMs(c, id) === 0)).toBe(true);
    }
  });

  it("emits every event once, the held-back ones marked LATE with their event time unchanged, behind the watermark", async () => {
    const held = new Set(Array.from({ length: 2000 }, (_, id) => id).filter((id) => eventDelayMs(config, id) > 0));
    const expected = [...new Generator(standardGeneratorConfig(config).split(1)[0]!)]
      .map((e, id) => `${canonical(held.has(id) ? withAnnotation(e.event, "LATE") : e.event)}@${e.timestamp}`)
      .sort();
    const arrivals: Event[] = [];
    const actual: string[] = [];
    const panes: ReifiedElement<KV<string, Iterable<Event>>>[] = [];
    const p = new Pipeline();
    const events = p.apply(nexmarkEvents(config, { streaming: true })).apply(
      "Arrivals",
      parDo<Event, Event>({
        process(e, ctx) {
          arrivals.push(e);
          ctx.output(e);
        },
      }),
    );
    events
      .apply(reifyPanes())
      .apply(
        "Collect",
        parDo<ReifiedElement<Event>, never>({
          process(e) {
            actual.push(`${canonical(e.value)}@${e.timestamp}`);
          },
        }),
      );
    events
      .apply(windowInto(fixedWindows(50), { allowedLateness: 60_000 }))
      .apply("Key", map((e: Event) => kv("all", e)))
      .withCoder(kvCoder(stringUtf8Coder, eventCoder))
      .apply(groupByKey<string, Event>())
      .apply(reifyPanes())
      .apply(
        "Panes",
        parDo<ReifiedElement<KV<string, Iterable<Event>>>, never>({
          process(e) {
            panes.push(e);
          },
        }),
      );
    await p.run().waitUntilFinish();
    expect(actual.sort()).toEqual(expected);
    // A held-back event arrives after events generated after it.
    const firstHeld = arrivals.findIndex((e) => hasAnnotation(e, "LATE"));
    expect(firstHeld).toBeGreaterThan(0);
    expect(eventTimeOf(arrivals[firstHeld - 1]!)).toBeGreaterThan(eventTimeOf(arrivals[firstHeld]!));
    // Late panes exist, and hold only held-back events (Beam's Query10 CheckForLateEvents).
    const late = panes.filter((e) => e.pane.startsWith("LATE"));
    expect(late.length).toBeGreaterThan(0);
    for (const pane of late) for (const e of pane.value.value) expect(hasAnnotation(e, "LATE")).toBe(true);
  });
});

const eventTimeOf = (e: Event): number => (e.kind === "person" ? e.newPerson.dateTime : e.kind === "auction" ? e.newAuction.dateTime : e.bid.dateTime);
const GOLDEN_DELAYED_IDS = [11, 25, 28, 35, 47, 54, 58, 59];
const GOLDEN_DELAYS_MS = [622, 355, 944, 440, 805, 719, 577, 990];
