import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Pipeline,
  TestStream,
  create,
  groupByKey,
  kv,
  map,
  parDo,
  sessions,
  slidingWindows,
  fixedWindows,
  withTimestamps,
  windowInto,
  type KV,
  type PCollection,
  type WindowFn,
  type BoundedWindow,
} from "../../src/index.js";

interface Event {
  readonly key: string;
  readonly t: number;
}

const WINDOW_FNS: Record<string, () => WindowFn<BoundedWindow>> = {
  fixed: () => fixedWindows(10) as WindowFn<BoundedWindow>,
  sliding: () => slidingWindows(10, 5) as WindowFn<BoundedWindow>,
  sessions: () => sessions(4) as WindowFn<BoundedWindow>,
};

/** Runs the grouping and returns sorted "key window values pane" lines. */
async function groupedLines(build: (p: Pipeline) => PCollection<KV<string, number>>, windowFn: WindowFn<BoundedWindow>): Promise<string[]> {
  const lines: string[] = [];
  const p = new Pipeline();
  build(p)
    .apply(windowInto(windowFn))
    .apply(groupByKey<string, number>())
    .apply(
      parDo<KV<string, Iterable<number>>, never>({
        process: (g, ctx) => void lines.push(`${g.key} ${ctx.window.toString()} ${[...g.value].sort((a, b) => a - b).join(",")} ${ctx.pane.timing}`),
      }),
    );
  await p.run().waitUntilFinish();
  return lines.sort();
}

describe("streaming equals batch when nothing is late", () => {
  it("gives every window one ON_TIME pane with exactly its elements, whatever the bundling and watermark schedule", async () => {
    const event = fc.record({ key: fc.constantFrom("a", "b", "c"), t: fc.integer({ min: 0, max: 100 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...Object.keys(WINDOW_FNS)),
        async (events, cuts, kind) => {
          // Deliver in timestamp order in random bundles; after each bundle move the
          // watermark up to (not past) the next element, so nothing is ever late.
          const sorted = [...events].sort((x, y) => x.t - y.t);
          let stream = TestStream.create<KV<string, number>>();
          let i = 0;
          for (let c = 0; i < sorted.length; c++) {
            const bundle = sorted.slice(i, i + cuts[c % cuts.length]!);
            i += bundle.length;
            stream = stream.addElements(...bundle.map((e: Event) => ({ value: kv(e.key, e.t), timestamp: e.t })));
            if (i < sorted.length && c % 2 === 0) stream = stream.advanceWatermarkTo(sorted[i]!.t);
          }
          const streamed = await groupedLines((p) => p.apply(stream.advanceWatermarkToInfinity()), WINDOW_FNS[kind]!());
          const batch = await groupedLines(
            (p) =>
              p
                .apply(create(events.map((e) => kv(e.key, e.t))))
                .apply(withTimestamps((e: KV<string, number>) => e.value))
                .apply(map((e: KV<string, number>) => e)),
            WINDOW_FNS[kind]!(),
          );
          expect(streamed).toEqual(batch);
        },
      ),
      { numRuns: 60 },
    );
  });
});
