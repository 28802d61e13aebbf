/**
 * The streaming example: clicks per user session over the generator source, printing
 * every pane as it fires — EARLY while a session is open, ON_TIME when the watermark
 * passes its end, LATE when a late click updates it.
 *
 *   npm run example:sessions -- --rate=50 --seconds=20
 *
 * After `--seconds` the job is drained: the source stops, the watermark goes to
 * +infinity, and every open session fires its final pane.
 */
import { IntervalWindow, Pipeline, defineOptions, option, parDo, type KV } from "../../src/index.js";
import { sessionCounts, syntheticClicks } from "./sessions.js";

const Options = defineOptions({
  rate: option.integer({ description: "Clicks per second", default: 50, min: 1 }),
  seconds: option.number({ description: "Run this long, then drain", default: 20 }),
  gap: option.integer({ description: "Session gap in ms", default: 2000, min: 1 }),
  earlyEvery: option.integer({ description: "Early firing delay in ms", default: 1000, min: 1 }),
  allowedLateness: option.integer({ description: "Allowed lateness in ms", default: 10_000, min: 0 }),
});

const options = Options.parseOrExit(process.argv.slice(2), "sessions");
const start = Date.now();
const p = new Pipeline(options);
p.apply(syntheticClicks({ rate: options.rate, start, delay: 3000 }))
  .apply(sessionCounts(options))
  .apply(
    "Print",
    parDo<KV<string, number>, never>({
      process(session, ctx) {
        const w = ctx.window as IntervalWindow;
        const from = ((w.start - start) / 1000).toFixed(1).padStart(6);
        const to = ((w.end - start) / 1000).toFixed(1).padStart(6);
        const pane = `${ctx.pane.timing}#${ctx.pane.index}${ctx.pane.isLast ? " last" : ""}`;
        process.stdout.write(`${session.key.padEnd(8)} session [${from}s, ${to}s)  clicks ${String(session.value).padStart(4)}  ${pane}\n`);
      },
    }),
  );

const result = p.run();
setTimeout(() => void result.drain(), options.seconds * 1000);
const state = await result.waitUntilFinish();
process.stdout.write(`sessions: ${state} after ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
