/**
 * The streaming benchmark: a fixed-window count per key over the generator source, with
 * firing driven by the watermark. Reports events/s for beam-ts and for a hand-written
 * Node loop doing the same windowed count, and the end-to-end latency of on-time panes:
 * from the moment the source read the first event past a window's end (which moves the
 * watermark past it) to the moment the pane reached the sink.
 */
import { Pipeline, combinePerKey, count, fixedWindows, generateSequence, kv, map, parDo, windowInto, type KV, type MetricQueryResults } from "../src/index.js";

export interface StreamingResult {
  readonly events: number;
  readonly keys: number;
  readonly windowMs: number;
  readonly beamEventsPerSec: number;
  readonly handEventsPerSec: number;
  readonly panes: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

const KEYS = 1000;
const WINDOW_MS = 10_000;
/** Ten events per millisecond of event time: 100k events per window, 100 per key. */
const timestampOf = (n: number) => Math.floor(n / 10);

/**
 * The benchmark's pipeline, run once on the embedded runner with `options` (bench/checkpoints.ts
 * adds checkpoint options): seconds from run() to the job's end, panes and the events they
 * count (every event once), the latencies of on-time panes, and the job's metrics.
 */
export async function runWindowedCount(
  events: number,
  options: Readonly<Record<string, unknown>> = {},
): Promise<{ seconds: number; panes: number; total: number; latencies: number[]; metrics: MetricQueryResults }> {
  const windowClosedAt = new Map<number, number>();
  const latencies: number[] = [];
  let panes = 0;
  let total = 0;
  const p = new Pipeline(options);
  p.apply(
    generateSequence({
      to: events,
      // A rate makes the sequence an unbounded source read in order (a bounded one is split
      // into pieces read side by side, which is batch behaviour); this one never throttles.
      rate: { elements: 1e9, period: 1000 },
      timestamp: (n) => {
        const t = timestampOf(n);
        // The first event at or past a window boundary closes the previous window.
        if (t % WINDOW_MS === 0 && !windowClosedAt.has(t)) windowClosedAt.set(t, performance.now());
        return t;
      },
    }),
  )
    .apply(map((n: number) => kv(n % KEYS, 1)))
    .apply(windowInto(fixedWindows(WINDOW_MS)))
    .apply(combinePerKey(count()))
    .apply(
      parDo<KV<number, number>, never>({
        process(c, ctx) {
          panes++;
          total += c.value;
          if (ctx.pane.timing !== "ON_TIME") return;
          const end = ctx.window.maxTimestamp() + 1;
          const closed = windowClosedAt.get(end);
          if (closed !== undefined) latencies.push(performance.now() - closed);
        },
      }),
    );
  const t0 = performance.now();
  const result = p.run();
  await result.waitUntilFinish();
  return { seconds: (performance.now() - t0) / 1000, panes, total, latencies, metrics: result.metrics().queryMetrics() };
}

/** The same windowed count as a plain loop: counts per key in the open window, flushed when the next window starts. */
function runHandWritten(events: number): { seconds: number; panes: number; total: number } {
  const out: [number, number, number][] = [];
  const t0 = performance.now();
  let windowStart = 0;
  let counts = new Map<number, number>();
  const flush = () => {
    for (const [k, c] of counts) out.push([windowStart, k, c]);
    counts = new Map();
  };
  for (let n = 0; n < events; n++) {
    const t = timestampOf(n);
    const start = t - (t % WINDOW_MS);
    if (start !== windowStart) {
      flush();
      windowStart = start;
    }
    const k = n % KEYS;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  flush();
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, panes: out.length, total: out.reduce((s, [, , c]) => s + c, 0) };
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runStreamingBench(events: number): Promise<StreamingResult> {
  const beam = await runWindowedCount(events);
  const hand = runHandWritten(events);
  if (beam.total !== events || hand.total !== events || beam.panes !== hand.panes) {
    throw new Error(`streaming bench: counts differ (beam ${beam.total}/${beam.panes} panes, hand ${hand.total}/${hand.panes})`);
  }
  return {
    events,
    keys: KEYS,
    windowMs: WINDOW_MS,
    beamEventsPerSec: Math.round(events / beam.seconds),
    handEventsPerSec: Math.round(events / hand.seconds),
    panes: beam.panes,
    latencyMs: {
      p50: Number(percentile(beam.latencies, 0.5).toFixed(1)),
      p99: Number(percentile(beam.latencies, 0.99).toFixed(1)),
      max: Number(Math.max(...beam.latencies).toFixed(1)),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.env["BENCH_STREAMING_EVENTS"] ?? 10_000_000);
  const r = await runStreamingBench(events);
  console.log(JSON.stringify(r, null, 2));
}
