import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter, intervalWindowCoder, kvCoder, stringUtf8Coder, varIntCoder, windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import type { BoundedWindow, Coder, Instant, KV, WindowedValue } from "../../../model/index.js";
import { GLOBAL_WINDOWING, IntervalWindow, MAX_TIMESTAMP, NO_FIRING, Triggers, fixedWindows, paneInfo, sessions } from "../../../model/index.js";
import { DoFnOperation, SideInputStore } from "../../../runtime/index.js";
import { StateSpecs, TimerSpecs, keyIdentifier } from "../../../transforms/index.js";
import type { PCollection } from "../../../pipeline/index.js";
import { PCollectionView } from "../../../transforms/index.js";
import { BufferStage, SideInputStage } from "../materialized-stages.js";
import { keyOwner } from "../parallel/exchange-sink.js";
import type { Sink } from "../sinks.js";
import { StatefulStage } from "../stateful-stage.js";
import { ReduceStageDriver, snapshotCodersOf, type DriverEvent, type GroupingCase } from "./reduce-stage-test-harness.js";
import { LocalEdge, oldParts, rescaledChannelShare, restoreShare } from "./rescale.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

const KEYS = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
const owner = (key: string, count: number) => keyOwner(stringUtf8Coder as Coder<unknown>, key, count);
const RESCALES: readonly (readonly [number, number])[] = [
  [2, 1],
  [2, 3],
  [1, 2],
  [3, 2],
];

describe("rescale shares", () => {
  it("a key belongs to exactly one executor, the one the exchanges route it to", () => {
    for (const count of [1, 2, 3, 5]) {
      for (const key of KEYS) {
        const owners = Array.from({ length: count }, (_, j) => j).filter((j) => restoreShare(j, count, 0, 2).ownsKey(stringUtf8Coder as Coder<unknown>, key));
        expect(owners).toEqual([owner(key, count)]);
      }
    }
  });

  it("unkeyed contents of each old part go to exactly one executor, and dealt items are spread", () => {
    for (const [from, to] of RESCALES) {
      for (let p = 0; p < from; p++) {
        expect(Array.from({ length: to }, (_, j) => restoreShare(j, to, p, from)).filter((s) => s.takesUnkeyed)).toHaveLength(1);
        for (let n = 0; n < 7; n++) expect(Array.from({ length: to }, (_, j) => restoreShare(j, to, p, from).dealt(n)).filter(Boolean)).toHaveLength(1);
      }
    }
  });

  it("splits a rescaled executor's sections back into the old parts", () => {
    const sections = new Map<string, Uint8Array>([
      ["rescale", Buffer.from(JSON.stringify({ parts: 2 }))],
      ["migrations", new Uint8Array([9])],
      ["part0/stage:A", new Uint8Array([1])],
      ["part1/stage:A", new Uint8Array([2])],
      ["part1/commits", new Uint8Array([3])],
    ]);
    const parts = oldParts(sections)!;
    expect(parts.map((p) => [...p.keys()])).toEqual([["stage:A"], ["stage:A", "commits"]]);
    expect(oldParts(new Map([["stage:A", new Uint8Array()]]))).toBeUndefined();
    expect(() => oldParts(new Map([["rescale", Buffer.from(JSON.stringify({ parts: 1 }))], ["part3/x", new Uint8Array()]]))).toThrow(/beyond the checkpoint's 1 parts/);
  });
});

describe("a GroupByKey or Combine restored at another --parallelism", () => {
  const CASES: readonly GroupingCase[] = [
    {
      name: "GroupByKey/fixed/early-late",
      combine: false,
      windowing: {
        ...GLOBAL_WINDOWING,
        windowFn: fixedWindows(10),
        trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(5), late: Triggers.afterCount(1) }),
        accumulationMode: "ACCUMULATING",
        allowedLateness: 20,
      },
    },
    { name: "Combine.perKey(sum)/sessions/repeated-count", combine: true, windowing: { ...GLOBAL_WINDOWING, windowFn: sessions(5), trigger: Triggers.repeatedly(Triggers.afterCount(3)), allowedLateness: 8 } },
  ];
  /** Bundles of every key, watermarks and clock moves; the restore comes after `EVENTS_BEFORE`. */
  const events: DriverEvent[] = [];
  for (let i = 0; i < 16; i++) {
    events.push({ kind: "bundle", elements: KEYS.map((key, k) => ({ key, value: i * 10 + k, timestamp: i * 3 + (k % 4) })) });
    if (i % 3 === 2) events.push({ kind: "watermark", to: i * 3 - 4 });
    if (i % 4 === 1) events.push({ kind: "clock", to: i * 7 });
  }
  events.push({ kind: "watermark", to: MAX_TIMESTAMP });
  const EVENTS_BEFORE = 20;

  /** An executor's share of an event: bundles keep the keys it owns, watermarks and clock moves reach all. */
  const shareOf = (e: DriverEvent, index: number, count: number): DriverEvent => (e.kind === "bundle" ? { ...e, elements: e.elements.filter((x) => owner(x.key, count) === index) } : e);

  for (const c of CASES) {
    it.each(RESCALES)(`${c.name}: %i executors restored as %i emit, together, exactly the panes of one that was never stopped`, async (from, to) => {
      const reference = new ReduceStageDriver(c);
      const referencePanes = (await reference.run(events)).slice(EVENTS_BEFORE).flatMap((r) => r.panes);
      const old = Array.from({ length: from }, () => new ReduceStageDriver(c));
      for (let i = 0; i < EVENTS_BEFORE; i++) for (let p = 0; p < from; p++) await old[p]!.pass(shareOf(events[i]!, p, from));
      const snapshots = old.map((d) => d.snapshot());
      const panes: string[] = [];
      for (let j = 0; j < to; j++) {
        const d = new ReduceStageDriver(c);
        d.watermark = Math.min(...old.map((o) => o.watermark));
        d.clock = Math.max(...old.map((o) => o.clock));
        for (let p = 0; p < from; p++) {
          const input = new BufferReader(snapshots[p]!);
          d.stage.restore(input, snapshotCodersOf(c), [], [], restoreShare(j, to, p, from));
          expect(input.remaining).toBe(0);
        }
        for (let i = EVENTS_BEFORE; i < events.length; i++) panes.push(...(await d.pass(shareOf(events[i]!, j, to))).panes);
      }
      expect(referencePanes.length).toBeGreaterThan(10);
      expect(panes.sort()).toEqual([...referencePanes].sort());
    });
  }
});

describe("a stateful ParDo restored at another --parallelism", () => {
  const WINDOWING = { ...GLOBAL_WINDOWING, windowFn: fixedWindows(100) };
  const INPUT = windowedValueCoder(kvCoder(stringUtf8Coder, varIntCoder), windowCoderOf(WINDOWING)) as Coder<WindowedValue<unknown>>;
  const CODERS: SnapshotCoders = { windowedValue: () => INPUT };
  /** A running count and sum per key and window, flushed by an event-time timer at the window's end. */
  const makeFn = (): object =>
    ({
      state: { count: StateSpecs.value<number>(varIntCoder), seen: StateSpecs.bag<number>(varIntCoder) },
      timers: { flush: TimerSpecs.timer("EVENT_TIME") },
      process(e: KV<string, number>, ctx: { state: { count: { read(): number | undefined; write(n: number): void }; seen: { add(n: number): void } }; timers: { flush: { set(t: Instant): void } }; window: BoundedWindow }) {
        const count = (ctx.state.count.read() ?? 0) + 1;
        ctx.state.count.write(count);
        ctx.state.seen.add(e.value);
        ctx.timers.flush.set(ctx.window.maxTimestamp());
      },
      onTimer: {
        flush(ctx: { key: string; state: { count: { read(): number | undefined }; seen: { read(): Iterable<number> } }; output(s: string): void }) {
          ctx.output(`${ctx.key} ${ctx.state.count.read()} ${[...ctx.state.seen.read()].sort((a, b) => a - b).join(",")}`);
        },
      },
    });

  class Driver {
    readonly stage: StatefulStage;
    readonly out: string[] = [];
    constructor() {
      const fn = makeFn();
      const op = new DoFnOperation({
        label: "Count",
        template: fn,
        mainOutput: { receive: (wv) => void this.out.push(`${String(wv.value)} @${wv.timestamp}`) },
        taggedOutputs: new Map(),
        sideInputs: new SideInputStore(),
        declaredViews: new Set(),
        maxConcurrency: 1,
      });
      const keyCoder = stringUtf8Coder as Coder<unknown>;
      this.stage = new StatefulStage("Count", "input", op, fn as never, keyIdentifier(keyCoder), WINDOWING, { droppedDueToLateness() {}, droppedDueToClosedWindow() {} }, undefined, {
        key: keyCoder,
        window: windowCoderOf(WINDOWING),
      });
    }
    async pass(elements: readonly { key: string; value: number; t: Instant }[], wm: Instant, now: Instant): Promise<void> {
      for (const { key, value, t } of elements) {
        const start = Math.floor(t / 100) * 100;
        this.stage.buffer.push({ value: { key, value }, timestamp: t, windows: [new IntervalWindow(start, start + 100)], pane: NO_FIRING });
      }
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
    }
  }

  const passes = Array.from({ length: 12 }, (_, i) => ({ elements: KEYS.map((key, k) => ({ key, value: i * 100 + k, t: i * 40 + k })), wm: i * 40 - 30, now: i }));
  passes.push({ elements: [], wm: MAX_TIMESTAMP, now: 99 });

  it.each(RESCALES)("%i executors restored as %i: state cells, timers and buffered input move with their keys; output equals an unstopped run", async (from, to) => {
    const AT = 6;
    const reference = new Driver();
    for (const p of passes) await reference.pass(p.elements, p.wm, p.now);
    const old = Array.from({ length: from }, () => new Driver());
    for (let i = 0; i < AT; i++) for (let p = 0; p < from; p++) await old[p]!.pass(passes[i]!.elements.filter((e) => owner(e.key, from) === p), passes[i]!.wm, passes[i]!.now);
    // Elements committed into the buffer and not yet processed at the snapshot, keyed like the rest.
    for (let p = 0; p < from; p++) {
      for (const e of passes[AT]!.elements.filter((x) => owner(x.key, from) === p)) {
        const start = Math.floor(e.t / 100) * 100;
        old[p]!.stage.buffer.push({ value: { key: e.key, value: e.value }, timestamp: e.t, windows: [new IntervalWindow(start, start + 100)], pane: NO_FIRING });
      }
    }
    const snapshots = old.map((d) => {
      const w = new BufferWriter();
      d.stage.snapshot(w, CODERS);
      return w.finish();
    });
    const before = old.flatMap((d) => d.out);
    const after: string[] = [];
    for (let j = 0; j < to; j++) {
      const d = new Driver();
      for (let p = 0; p < from; p++) {
        const input = new BufferReader(snapshots[p]!);
        d.stage.restore(input, CODERS, [], [], restoreShare(j, to, p, from));
        expect(input.remaining).toBe(0);
      }
      // Every key in the restored stage's buffer is one it owns now.
      for (const wv of d.stage.buffer) expect(owner((wv.value as KV<string, number>).key, to)).toBe(j);
      await d.pass([], passes[AT]!.wm, passes[AT]!.now);
      for (let i = AT + 1; i < passes.length; i++) await d.pass(passes[i]!.elements.filter((e) => owner(e.key, to) === j), passes[i]!.wm, passes[i]!.now);
      after.push(...d.out);
    }
    expect(reference.out.length).toBeGreaterThan(KEYS.length);
    expect([...before, ...after].sort()).toEqual([...reference.out].sort());
  });
});

describe("unkeyed buffers and recorded channel elements restored at another --parallelism", () => {
  const coder = windowedValueCoder(kvCoder(stringUtf8Coder, varIntCoder), intervalWindowCoder as Coder<BoundedWindow>) as Coder<WindowedValue<unknown>>;
  const CODERS: SnapshotCoders = { windowedValue: () => coder };
  const element = (key: string, value: number): WindowedValue<unknown> => ({ value: { key, value }, timestamp: value, windows: [new IntervalWindow(0, 1000)], pane: paneInfo(true, true, "ON_TIME", 0, 0) });

  it.each(RESCALES)("a Reshuffle buffer of %i executors restored as %i: each element once, watermark the minimum", async (from, to) => {
    const olds = Array.from({ length: from }, (_, p) => {
      const stage = new BufferStage("Reshuffle", "in", "out", { receive() {} });
      stage.buffer = KEYS.map((key, k) => element(key, p * 100 + k));
      return stage;
    });
    for (let p = 0; p < from; p++) await olds[p]!.step({ now: 0, inputWatermark: 10 * (p + 1), draining: false, emit: () => Promise.resolve() });
    // The step emitted the first buffers; refill them for the snapshot.
    olds.forEach((s, p) => (s.buffer = KEYS.map((key, k) => element(key, p * 100 + k))));
    const snapshots = olds.map((s) => {
      const w = new BufferWriter();
      s.snapshot(w, CODERS);
      return w.finish();
    });
    const seen: unknown[] = [];
    for (let j = 0; j < to; j++) {
      const stage = new BufferStage("Reshuffle", "in", "out", { receive() {} });
      snapshots.forEach((bytes, p) => stage.restore(new BufferReader(bytes), CODERS, [], [], restoreShare(j, to, p, from)));
      seen.push(...stage.buffer.map((wv) => (wv.value as KV<string, number>).value));
      expect(stage.done).toBe(false);
      const emitted: WindowedValue<unknown>[] = [];
      await stage.step({ now: 0, inputWatermark: MAX_TIMESTAMP, draining: false, emit: (es) => (emitted.push(...es), Promise.resolve()) });
    }
    expect(seen.sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: from }, (_, p) => KEYS.map((_, k) => p * 100 + k)).flat());
  });

  it.each(RESCALES)("the main input of a ParDo with side inputs, of %i executors restored as %i: buffered and pushed-back elements each once", async (from, to) => {
    const view = new PCollectionView<readonly unknown[]>({ id: "side", windowing: GLOBAL_WINDOWING } as unknown as PCollection<unknown>, "list", (e) => e);
    let sideWatermark = -Infinity;
    const build = () => {
      const store = new SideInputStore();
      const op = new DoFnOperation({ label: "Enrich", template: { process() {} }, mainOutput: { receive() {} }, taggedOutputs: new Map(), sideInputs: store, declaredViews: new Set([view]), maxConcurrency: 1 });
      return new SideInputStage("Enrich", "in", op, [view], store, () => sideWatermark);
    };
    const snapshots = Array.from({ length: from }, (_, p) => {
      const stage = build();
      // Half pushed back (the side input is not ready), half still buffered at the snapshot.
      stage.buffer = KEYS.slice(0, 6).map((key, k) => element(key, p * 100 + k));
      void stage.step({ now: 0, inputWatermark: 0, draining: false, emit: () => Promise.resolve() });
      stage.buffer = KEYS.slice(6).map((key, k) => element(key, p * 100 + 6 + k));
      const w = new BufferWriter();
      stage.snapshot(w, CODERS);
      return w.finish();
    });
    sideWatermark = MAX_TIMESTAMP;
    const seen: number[] = [];
    for (let j = 0; j < to; j++) {
      const stage = build();
      snapshots.forEach((bytes, p) => {
        const input = new BufferReader(bytes);
        stage.restore(input, CODERS, [], [], restoreShare(j, to, p, from));
        expect(input.remaining).toBe(0);
      });
      await stage.step({ now: 0, inputWatermark: MAX_TIMESTAMP, draining: false, emit: (es) => (seen.push(...es.map((wv) => (wv.value as KV<string, number>).value)), Promise.resolve()) });
      expect(stage.done).toBe(true);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: from }, (_, p) => KEYS.map((_, k) => p * 100 + k)).flat());
  });

  /** A sink collecting what a recorded channel delivers. */
  const collecting = (): Sink & { got: WindowedValue<unknown>[] } => {
    const got: WindowedValue<unknown>[] = [];
    return { label: "X/MainInput", got, startBundle() {}, finishBundle() {}, receive: (wv) => void got.push(wv), commit() {}, abort() {} };
  };
  const message = KEYS.map((key, k) => element(key, k));
  const bytes = (() => {
    const w = new BufferWriter();
    for (const wv of message) coder.encode(wv, w, true);
    return w.finish();
  })();

  it.each(RESCALES)("in-flight elements recorded by %i executors, restored as %i: by key to the owner, round robin whole to one, broadcast from part 0", (from, to) => {
    for (const partitioning of [{ kind: "byKey", keyCoder: stringUtf8Coder as Coder<unknown> }, { kind: "roundRobin" }, { kind: "broadcast" }] as const) {
      const got: string[][] = [];
      for (let j = 0; j < to; j++) {
        const sink = collecting();
        const edge = new LocalEdge(sink, coder, partitioning);
        for (let p = 0; p < from; p++) edge.deliverDecoded(rescaledChannelShare(edge, bytes, message.length, restoreShare(j, to, p, from)));
        got.push(sink.got.map((wv) => (wv.value as KV<string, number>).key));
      }
      if (partitioning.kind === "broadcast") {
        for (const keys of got) expect(keys).toEqual(KEYS);
      } else {
        expect(got.flat().sort()).toEqual(Array.from({ length: from }, () => KEYS).flat().sort());
        if (partitioning.kind === "byKey") got.forEach((keys, j) => keys.forEach((key) => expect(owner(key, to)).toBe(j)));
      }
    }
  });
});
