import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter, kvCoder, stringUtf8Coder, varIntCoder, windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import type { ByteReader, ByteWriter, Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../../../model/index.js";
import { GLOBAL_WINDOWING, IntervalWindow, MAX_TIMESTAMP, NO_FIRING, fixedWindows } from "../../../model/index.js";
import { DoFnOperation, SideInputStore } from "../../../runtime/index.js";
import { PCollectionView, StateSpecs, TimerSpecs, keyIdentifier, type CombineFn, type StatefulDoFn } from "../../../transforms/index.js";
import type { PCollection } from "../../../pipeline/index.js";
import { PushedBackElements } from "../pushed-back-elements.js";
import { StatefulStage } from "../stateful-stage.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

/** Input elements: string keys, integer values, a timestamp. */
interface In {
  readonly key: string;
  readonly value: number;
  readonly t: Instant;
}
/** One pass of the executor: elements that arrived, then the input watermark and the clock. */
interface Pass {
  readonly elements: readonly In[];
  readonly wm: Instant;
  readonly now: Instant;
}

const WINDOWING: WindowingStrategy = { ...GLOBAL_WINDOWING, windowFn: fixedWindows(10_000) };
const INPUT_CODER = kvCoder(stringUtf8Coder, varIntCoder) as Coder<unknown>;
const SIDE_PC = "side";
const SIDE_VIEW = new PCollectionView<readonly unknown[]>({ id: SIDE_PC, windowing: WINDOWING } as unknown as PCollection<unknown>, "list", (e) => e);
const REPORTER = { droppedDueToLateness() {}, droppedDueToClosedWindow() {} };

/** Drives a StatefulStage as the executor does (stateful case of buildStep), pass by pass. */
class Driver {
  readonly stage: StatefulStage;
  /** What the stage output, pass by pass: value@timestamp in window, and the output watermark. */
  readonly log: string[] = [];
  readonly store = new SideInputStore();
  sideWatermark = -Infinity;

  constructor(fn: object, sideInputs = false) {
    const op = new DoFnOperation({
      label: "Stateful",
      template: fn,
      mainOutput: { receive: (wv) => this.log.push(`${JSON.stringify(wv.value)}@${wv.timestamp} in ${wv.windows[0]!.id()}`) },
      taggedOutputs: new Map(),
      sideInputs: this.store,
      declaredViews: new Set(sideInputs ? [SIDE_VIEW] : []),
      maxConcurrency: 1,
    });
    const pushedBack = sideInputs ? new PushedBackElements([SIDE_VIEW], this.store, () => this.sideWatermark) : undefined;
    const keyCoder = stringUtf8Coder as Coder<unknown>;
    const coders = { key: keyCoder, window: windowCoderOf(WINDOWING) };
    this.stage = new StatefulStage("Stateful", "input", op, fn, keyIdentifier(keyCoder), WINDOWING, REPORTER, pushedBack, coders);
  }

  /** One pass: buffered elements (committed upstream), then a step at the watermark and clock. */
  async pass({ elements, wm, now }: Pass): Promise<void> {
    for (const e of elements) this.stage.buffer.push(element(e));
    const entry = this.stage.entry;
    await this.stage.step({
      now,
      inputWatermark: wm,
      draining: false,
      emit: async (wvs) => {
        await entry.startBundle();
        for (const wv of wvs) entry.receive(wv);
        await entry.finishBundle();
        entry.commit();
      },
    });
    this.log.push(`wm ${this.stage.outputWatermark(wm)}`);
  }

  snapshot(): Uint8Array {
    const out = new BufferWriter();
    this.stage.snapshot(out, CODERS);
    return out.finish();
  }

  async restore(bytes: Uint8Array, drop: readonly string[] = []): Promise<void> {
    await this.stage.restore(new BufferReader(bytes), CODERS, [], drop);
  }
}

const CODERS: SnapshotCoders = { windowedValue: () => windowedValueCoder(INPUT_CODER, windowCoderOf(WINDOWING)) };

function element({ key, value, t }: In): WindowedValue<unknown> {
  const start = Math.floor(t / 10_000) * 10_000;
  return { value: { key, value } satisfies KV<string, number>, timestamp: t, windows: [new IntervalWindow(start, start + 10_000)], pane: NO_FIRING };
}

/**
 * Runs `passes` on one stage; after pass `at` (0: before the first) takes a snapshot,
 * restores it into a fresh stage and runs the rest on both. Returns both logs from the
 * snapshot on.
 */
async function resumeAt(makeFn: () => object, passes: readonly Pass[], at: number, sideInputs?: (d: Driver, pass: number) => void) {
  const original = new Driver(makeFn(), sideInputs !== undefined);
  for (let i = 0; i < at; i++) {
    sideInputs?.(original, i);
    await original.pass(passes[i]!);
  }
  const bytes = original.snapshot();
  const restored = new Driver(makeFn(), sideInputs !== undefined);
  if (sideInputs !== undefined) {
    // The side-input store is restored by the executor; the test replays its data.
    for (let i = 0; i < at; i++) sideInputs(restored, i);
  }
  await restored.restore(bytes);
  const before = original.log.length;
  for (let i = at; i < passes.length; i++) {
    sideInputs?.(original, i);
    sideInputs?.(restored, i);
    await original.pass(passes[i]!);
    await restored.pass(passes[i]!);
  }
  return { original: original.log.slice(before), restored: restored.log, bytes };
}

const sum: CombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (acc, v) => acc + v,
  mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
  extractOutput: (acc) => acc,
  accumulatorCoder: varIntCoder,
};

/** Buffers a window's values in a bag and a count in a value state, flushed at the window's end. */
const bufferUntilWindowEnd = (): StatefulDoFn<string, number, string, { buffer: ReturnType<typeof StateSpecs.bag<number>>; count: ReturnType<typeof StateSpecs.value<number>> }, { flush: ReturnType<typeof TimerSpecs.timer> }> => ({
  state: { buffer: StateSpecs.bag<number>(varIntCoder), count: StateSpecs.value<number>() },
  timers: { flush: TimerSpecs.timer("EVENT_TIME") },
  process(e, ctx) {
    ctx.state.buffer.add(e.value);
    ctx.state.count.write((ctx.state.count.read() ?? 0) + 1);
    ctx.timers.flush.set(ctx.window.maxTimestamp());
  },
  onTimer: {
    flush(ctx) {
      ctx.output(`${ctx.key}:${[...ctx.state.buffer.read()].sort((a, b) => a - b).join(",")}/${ctx.state.count.read()}`);
      ctx.state.buffer.clear();
    },
  },
});

/** Every kind of state and timer at once; what the property test runs. */
function everything(): object {
  return {
    state: {
      bag: StateSpecs.bag<number>(),
      last: StateSpecs.value<number>(varIntCoder),
      total: StateSpecs.combining(sum),
      byValue: StateSpecs.map<number, number>(varIntCoder, varIntCoder),
      distinct: StateSpecs.set<number>(),
      ordered: StateSpecs.orderedList<number>(varIntCoder),
    },
    timers: { flush: TimerSpecs.timer("EVENT_TIME"), tick: TimerSpecs.timer("PROCESSING_TIME"), tagged: TimerSpecs.timerFamily("EVENT_TIME") },
    process(e: KV<string, number>, ctx: Ctx) {
      const s = ctx.state;
      s.bag.add(e.value);
      s.last.write(e.value);
      s.total.add(e.value);
      s.byValue.put(e.value % 3, (s.byValue.get(e.value % 3) ?? 0) + 1);
      s.distinct.add(e.value % 5);
      s.ordered.add(e.value, ctx.timestamp);
      // The flush holds the output watermark at the earliest element of the window.
      ctx.timers.flush.set(ctx.window.maxTimestamp(), { outputTimestamp: ctx.timestamp });
      if (e.value % 2 === 0) ctx.timers.tick.setRelative(1_000 + e.value);
      ctx.timers.tagged.get(`t${e.value % 2}`).set(Math.min(ctx.timestamp + 2_000, ctx.window.maxTimestamp()));
    },
    onTimer: {
      flush(ctx: Ctx) {
        ctx.output(`flush ${ctx.key} ${show(ctx.state)}`);
        ctx.state.bag.clear();
      },
      tick(ctx: Ctx) {
        ctx.output(`tick ${ctx.key} ${ctx.fireTimestamp} ${ctx.state.total.read()}`);
      },
      tagged(ctx: Ctx) {
        ctx.output(`tagged ${ctx.key} ${ctx.timerId} ${ctx.state.last.read()}`);
      },
    },
    onWindowExpiration(ctx: Ctx) {
      ctx.output(`expired ${ctx.key} ${show(ctx.state)}`);
    },
  };
}

/** The loosely typed context `everything` sees (its state is read by name). */
interface Ctx {
  readonly key: string;
  readonly timestamp: Instant;
  readonly fireTimestamp: Instant;
  readonly timerId: string;
  readonly window: { maxTimestamp(): Instant };
  readonly state: {
    bag: { add(v: number): void; read(): readonly number[]; clear(): void };
    last: { write(v: number): void; read(): number | undefined };
    total: { add(v: number): void; read(): number };
    byValue: { put(k: number, v: number): void; get(k: number): number | undefined; entries(): readonly (readonly [number, number])[] };
    distinct: { add(v: number): boolean; read(): readonly number[] };
    ordered: { add(v: number, t: Instant): void; read(): readonly { value: number; timestamp: Instant }[] };
  };
  readonly timers: {
    flush: { set(t: Instant, o?: { outputTimestamp?: Instant }): void };
    tick: { setRelative(d: number): void };
    tagged: { get(tag: string): { set(t: Instant): void } };
  };
  output(v: string): void;
}

/** Every state of `everything`, as text. */
function show(s: Ctx["state"]): string {
  return JSON.stringify([s.bag.read(), s.last.read(), s.total.read(), s.byValue.entries(), s.distinct.read(), s.ordered.read()]);
}

const at = (key: string, value: number, t: Instant): In => ({ key, value, t });

describe("StatefulStage snapshot and restore", () => {
  it("a restored stage flushes the bag and value state its event-time timer was waiting on", async () => {
    const passes: Pass[] = [
      { elements: [at("a", 1, 1_000), at("b", 5, 2_000)], wm: 1_500, now: 0 },
      { elements: [at("a", 3, 3_000), at("a", 2, 12_000)], wm: 5_000, now: 0 },
      { elements: [], wm: 11_000, now: 0 },
      { elements: [at("b", 7, 15_000)], wm: MAX_TIMESTAMP, now: 0 },
    ];
    const r = await resumeAt(bufferUntilWindowEnd, passes, 2, undefined);
    expect(r.restored).toEqual(r.original);
    expect(r.restored).toContain('"a:1,3/2"@9999 in 0:10000');
    expect(r.restored).toContain('"b:5/1"@9999 in 0:10000');
  });

  it("a processing-time timer set before the snapshot fires after the restore when the clock reaches it", async () => {
    const fn = () => ({
      state: { seen: StateSpecs.bag<number>() },
      timers: { tick: TimerSpecs.timer("PROCESSING_TIME") },
      process(e: KV<string, number>, ctx: { state: { seen: { add(v: number): void } }; timers: { tick: { setRelative(d: number): void } } }) {
        ctx.state.seen.add(e.value);
        ctx.timers.tick.setRelative(5_000);
      },
      onTimer: {
        tick(ctx: { key: string; fireTimestamp: Instant; state: { seen: { read(): readonly number[] } }; output(v: string): void }) {
          ctx.output(`${ctx.key} ${ctx.fireTimestamp} ${ctx.state.seen.read().join(",")}`);
        },
      },
    });
    const passes: Pass[] = [
      { elements: [at("a", 1, 1_000)], wm: 0, now: 1_000 },
      { elements: [at("a", 2, 1_500)], wm: 0, now: 2_000 },
      { elements: [], wm: 0, now: 6_500 },
      { elements: [], wm: 0, now: 7_000 },
    ];
    const r = await resumeAt(fn, passes, 2);
    expect(r.restored).toEqual(r.original);
    expect(r.restored.filter((l) => !l.startsWith("wm"))).toEqual(['"a 7000 1,2"@1500 in 0:10000']);
  });

  it("a timer's output timestamp holds the restored stage's output watermark until it fires", async () => {
    const passes: Pass[] = [
      { elements: [at("a", 2, 1_000), at("b", 4, 2_500)], wm: 500, now: 0 },
      { elements: [], wm: 4_000, now: 0 },
      { elements: [], wm: 9_000, now: 0 },
      { elements: [], wm: 20_000, now: 0 },
    ];
    const r = await resumeAt(everything, passes, 1);
    expect(r.restored).toEqual(r.original);
    // Held at a:2@1s by its window-end flush, though the input watermark is at 4s and 9s.
    expect(r.restored.filter((l) => l.startsWith("wm"))).toEqual(["wm 1000", "wm 1000", "wm 20000"]);
  });

  it("restores combining, map, set and ordered-list state and expires the window after the restore", async () => {
    const passes: Pass[] = [
      { elements: [at("a", 4, 1_000), at("a", 9, 3_000), at("a", 4, 2_000)], wm: 500, now: 0 },
      { elements: [at("c", 6, 8_000)], wm: 900, now: 100 },
      { elements: [], wm: 30_000, now: 200 },
    ];
    const r = await resumeAt(everything, passes, 2);
    expect(r.restored).toEqual(r.original);
    expect(r.restored).toContain(`"expired a [[],4,17,[[1,2],[0,1]],[4],[{\\"value\\":4,\\"timestamp\\":1000},{\\"value\\":4,\\"timestamp\\":2000},{\\"value\\":9,\\"timestamp\\":3000}]]"@9999 in 0:10000`);
  });

  it("elements pushed back for their side inputs wait in the restored stage and go once the side input is ready", async () => {
    const passes: Pass[] = [
      { elements: [at("a", 1, 1_000), at("b", 2, 12_000)], wm: 500, now: 0 },
      { elements: [at("a", 3, 2_000)], wm: 800, now: 0 },
      { elements: [], wm: 30_000, now: 0 },
    ];
    const fn = () => ({
      state: { n: StateSpecs.value<number>() },
      process(e: KV<string, number>, ctx: { sideInput(v: PCollectionView<readonly unknown[]>): readonly unknown[]; output(v: string): void }) {
        ctx.output(`${e.key}${e.value} side=${ctx.sideInput(SIDE_VIEW).join(",")}`);
      },
    });
    // The side input's first window fires in pass 1 (after the snapshot at 1); the second's watermark passes in pass 2.
    const side = (d: Driver, pass: number) => {
      if (pass === 1) d.store.append(SIDE_PC, [{ value: "s", timestamp: 5_000, windows: [element(at("", 0, 5_000)).windows[0]!], pane: { isFirst: true, isLast: true, timing: "ON_TIME", index: 0, nonSpeculativeIndex: 0 } }]);
      if (pass === 2) d.sideWatermark = MAX_TIMESTAMP;
    };
    const r = await resumeAt(fn, passes, 1, side);
    expect(r.restored).toEqual(r.original);
    // Before the snapshot nothing could run; both windows' elements waited and held the watermark.
    expect(r.original[0]).toBe('"a1 side=s"@1000 in 0:10000');
    expect(r.restored.filter((l) => !l.startsWith("wm"))).toEqual(['"a1 side=s"@1000 in 0:10000', '"a3 side=s"@2000 in 0:10000', '"b2 side="@12000 in 10000:20000']);
  });

  it("writes state with its declared coder, and refuses a value the JS value coder cannot rebuild", async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const pointCoder: Coder<Point> = {
      urn: "test:point",
      components: [],
      deterministic: true,
      encode: (p: Point, w: ByteWriter) => w.writeVarInt(p.x),
      decode: (r: ByteReader) => new Point(r.readVarInt()),
    };
    const fn = (coder?: Coder<Point>) => () => ({
      state: { p: StateSpecs.value<Point>(coder) },
      timers: { flush: TimerSpecs.timer("EVENT_TIME") },
      process(e: KV<string, number>, ctx: { state: { p: { write(v: Point): void } }; window: { maxTimestamp(): Instant }; timers: { flush: { set(t: Instant): void } } }) {
        ctx.state.p.write(new Point(e.value));
        ctx.timers.flush.set(ctx.window.maxTimestamp());
      },
      onTimer: {
        flush(ctx: { state: { p: { read(): Point | undefined } }; output(v: string): void }) {
          const p = ctx.state.p.read();
          ctx.output(`${p instanceof Point} ${p?.x}`);
        },
      },
    });
    const passes: Pass[] = [
      { elements: [at("a", 7, 1_000)], wm: 0, now: 0 },
      { elements: [], wm: MAX_TIMESTAMP, now: 0 },
    ];
    const r = await resumeAt(fn(pointCoder), passes, 1);
    expect(r.restored).toEqual(r.original);
    expect(r.restored[0]).toBe('"true 7"@9999 in 0:10000');
    await expect(resumeAt(fn(undefined), passes, 1)).rejects.toThrow(/class|coder/i);
  });

  it("fails loudly on a garbled snapshot: truncated, extended, another version, or undeclared state", async () => {
    const passes: Pass[] = [{ elements: [at("a", 1, 1_000), at("b", 2, 15_000)], wm: 0, now: 0 }];
    const d = new Driver(everything());
    await d.pass(passes[0]!);
    const bytes = d.snapshot();
    const restoreInto = (b: Uint8Array, fn: object = everything()) => new Driver(fn).restore(b);
    for (const cut of [1, 10, bytes.length >> 1, bytes.length - 1]) {
      await expect(restoreInto(bytes.subarray(0, cut)), `cut at ${cut}`).rejects.toThrow(/Restoring stateful step "Stateful"/);
    }
    await expect(restoreInto(new Uint8Array([...bytes, 0]))).rejects.toThrow(/byte\(s\) follow the end/);
    await expect(restoreInto(new Uint8Array([3, ...bytes.subarray(1)]))).rejects.toThrow(/layout version 3/);
    const renamed = everything() as { state: Record<string, unknown> };
    renamed.state = { ...renamed.state, bag2: renamed.state["bag"] };
    delete renamed.state["bag"];
    await expect(restoreInto(bytes, renamed)).rejects.toThrow(/state "bag" is not declared/);
  });

  it("restores into a DoFn that added a state cell (it starts empty) and drops the cells and timer families it was told to drop", async () => {
    const original = new Driver(bufferUntilWindowEnd());
    await original.pass({ elements: [at("a", 1, 1_000), at("a", 3, 3_000), at("b", 5, 2_000)], wm: 1_500, now: 0 });
    const bytes = original.snapshot();
    // Keeps `count` and `flush`, removes `buffer`, adds `seen`.
    const updated = () => ({
      state: { count: StateSpecs.value<number>(), seen: StateSpecs.bag<number>(varIntCoder) },
      timers: { flush: TimerSpecs.timer("EVENT_TIME") },
      process(e: KV<string, number>, ctx: { state: { count: { read(): number | undefined; write(n: number): void }; seen: { add(v: number): void } }; timers: { flush: { set(t: Instant): void } }; window: { maxTimestamp(): Instant } }) {
        ctx.state.seen.add(e.value);
        ctx.state.count.write((ctx.state.count.read() ?? 0) + 1);
        ctx.timers.flush.set(ctx.window.maxTimestamp());
      },
      onTimer: {
        flush(ctx: { key: string; state: { count: { read(): number | undefined }; seen: { read(): Iterable<number> } }; output(s: string): void }) {
          ctx.output(`${ctx.key} seen [${[...ctx.state.seen.read()].join(",")}] count ${ctx.state.count.read()}`);
        },
      },
    });
    await expect(new Driver(updated()).restore(bytes)).rejects.toThrow(/state "buffer" is not declared by the DoFn/);
    const restored = new Driver(updated());
    await restored.restore(bytes, ["state:buffer"]);
    await restored.pass({ elements: [at("a", 4, 4_000)], wm: MAX_TIMESTAMP, now: 0 });
    // The count went on from the checkpoint; `seen` started empty for every key and window.
    expect(restored.log).toContain('"a seen [4] count 3"@9999 in 0:10000');
    expect(restored.log).toContain('"b seen [] count 1"@9999 in 0:10000');

    // Without the `flush` timer family: the timers the checkpoint set for it are dropped.
    const withoutTimers = () => ({ state: { buffer: StateSpecs.bag<number>(varIntCoder), count: StateSpecs.value<number>() }, process() {} });
    const untimed = new Driver(withoutTimers());
    await untimed.restore(bytes, ["timer:flush"]);
    await untimed.pass({ elements: [], wm: MAX_TIMESTAMP, now: 0 });
    expect(untimed.log).toEqual([`wm ${MAX_TIMESTAMP}`]);
    await expect(new Driver(withoutTimers()).restore(bytes, ["timer:nope", "state:count"])).rejects.toThrow(/drops state:count, which the step still declares/);
  });

  it("a restored stage behaves as the original for any input and any snapshot point", async () => {
    const input = fc.record({
      key: fc.constantFrom("a", "b", "c"),
      value: fc.integer({ min: 0, max: 20 }),
      t: fc.integer({ min: 0, max: 40_000 }),
    });
    const passes = fc.array(fc.record({ elements: fc.array(input, { maxLength: 5 }), wmStep: fc.integer({ min: 0, max: 6_000 }), nowStep: fc.integer({ min: 0, max: 3_000 }) }), {
      minLength: 1,
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(passes, fc.nat(), async (raw, cut) => {
        let wm = -1;
        let now = 0;
        const schedule: Pass[] = raw.map((p) => ({ elements: p.elements, wm: (wm += p.wmStep), now: (now += p.nowStep) }));
        schedule.push({ elements: [], wm: MAX_TIMESTAMP, now: now + 100_000 });
        const r = await resumeAt(everything, schedule, cut % schedule.length);
        expect(r.restored).toEqual(r.original);
      }),
      { numRuns: 150 },
    );
  });
});
