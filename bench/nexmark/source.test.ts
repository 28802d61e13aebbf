import { describe, expect, it } from "vitest";
import { Pipeline, combineGlobally, count, fixedWindows, parDo, reifyPanes, windowInto, type ReifiedElement } from "../../src/index.js";
import { nexmarkConfiguration, type NexmarkConfiguration } from "./config.js";
import { Generator } from "./generator.js";
import { standardGeneratorConfig } from "./generator-config.js";
import type { Event } from "./model.js";
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
    const config = nexmarkConfiguration({ numEvents: 300, numEventGenerators: 2, firstEventRate: 2000, nextEventRate: 2000, isRateLimited: true });
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
