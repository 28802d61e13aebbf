import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter, stringUtf8Coder, varIntCoder, windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import type { Coder, Instant, PaneInfo, WindowedValue, WindowingStrategy } from "../../../model/index.js";
import { GLOBAL_WINDOWING, IntervalWindow, MAX_TIMESTAMP, NO_FIRING, fixedWindows } from "../../../model/index.js";
import { DoFnOperation, SideInputStore, type SideInputCoders } from "../../../runtime/index.js";
import { PCollectionView } from "../../../transforms/index.js";
import type { PCollection } from "../../../pipeline/index.js";
import { SideInputStage } from "../materialized-stages.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

const WINDOWING: WindowingStrategy = { ...GLOBAL_WINDOWING, windowFn: fixedWindows(10_000) };
const WINDOW_CODER = windowCoderOf(WINDOWING);
const view = (id: string) => new PCollectionView<readonly unknown[]>({ id, windowing: WINDOWING } as unknown as PCollection<unknown>, "list", (e) => e);
const SIDE = view("side");
const OTHER = view("other");
const CODERS: SnapshotCoders = { windowedValue: () => windowedValueCoder(stringUtf8Coder as Coder<unknown>, WINDOW_CODER) };
const SIDE_CODERS = (): SideInputCoders => ({ elementCoder: varIntCoder as Coder<unknown>, windowCoder: WINDOW_CODER });
const NAMES: Record<string, string> = { side: "Side/Values", other: "Other/Values" };
const nameOf = (pc: string) => NAMES[pc]!;
const idOf = (name: string) => Object.keys(NAMES).find((pc) => NAMES[pc] === name);

const windowOf = (t: Instant) => new IntervalWindow(Math.floor(t / 10_000) * 10_000, Math.floor(t / 10_000) * 10_000 + 10_000);
const pane = (index: number): PaneInfo => ({ isFirst: index === 0, isLast: false, timing: "EARLY", index, nonSpeculativeIndex: -1 });
const main = (value: string, t: Instant): WindowedValue<unknown> => ({ value, timestamp: t, windows: [windowOf(t)], pane: NO_FIRING });
const side = (value: number, t: Instant, p: PaneInfo = NO_FIRING): WindowedValue<unknown> => ({ value, timestamp: t, windows: [windowOf(t)], pane: p });

/** One pass: main-input elements that arrived, side-input data committed, watermarks. */
interface Pass {
  readonly main: readonly WindowedValue<unknown>[];
  readonly side: readonly WindowedValue<unknown>[];
  readonly wm: Instant;
  readonly sideWm: Instant;
}

/** A SideInputStage built as the executor builds it (parDo with side inputs), its store, and what it output. */
class Driver {
  readonly store = new SideInputStore();
  readonly log: string[] = [];
  readonly stage: SideInputStage;
  sideWm = -Infinity;

  constructor() {
    const op = new DoFnOperation({
      label: "Join",
      template: {
        process(e: string, ctx: { sideInput(v: PCollectionView<readonly unknown[]>): readonly unknown[]; output(v: string): void }) {
          ctx.output(`${e}+${ctx.sideInput(SIDE).join(",")}`);
        },
      },
      mainOutput: { receive: (wv) => this.log.push(`${String(wv.value)}@${wv.timestamp}`) },
      taggedOutputs: new Map(),
      sideInputs: this.store,
      declaredViews: new Set([SIDE]),
      maxConcurrency: 1,
    });
    this.stage = new SideInputStage("Join", "main", op, [SIDE], this.store, () => this.sideWm);
  }

  /** Elements and side data arrive (committed upstream); then, unless `arriveOnly`, the stage steps. */
  async pass(p: Pass, arriveOnly = false): Promise<void> {
    this.store.append("side", p.side);
    this.sideWm = p.sideWm;
    this.stage.buffer.push(...p.main);
    if (arriveOnly) return;
    const op = this.stage.entry;
    await this.stage.step({
      now: 0,
      inputWatermark: p.wm,
      draining: false,
      emit: async (wvs) => {
        await op.startBundle();
        for (const wv of wvs) op.receive(wv);
        await op.finishBundle();
      },
    });
    this.log.push(`wm ${this.stage.outputWatermark(p.wm)}`);
  }

  snapshot(): { stage: Uint8Array; store: Uint8Array } {
    const stage = new BufferWriter();
    this.stage.snapshot(stage, CODERS);
    const store = new BufferWriter();
    this.store.snapshot(store, SIDE_CODERS, nameOf);
    return { stage: stage.finish(), store: store.finish() };
  }

  restore(bytes: { stage: Uint8Array; store: Uint8Array }): void {
    this.store.restore(new BufferReader(bytes.store), idOf, SIDE_CODERS);
    this.stage.restore(new BufferReader(bytes.stage), CODERS);
  }
}

/**
 * Runs `passes`; pass `at` only delivers its input (the snapshot is taken between passes,
 * after upstream committed and before this stage stepped). Both stages then run it and the
 * rest. Returns both logs from the snapshot on.
 */
async function resumeAt(passes: readonly Pass[], at: number) {
  const original = new Driver();
  for (let i = 0; i < at; i++) await original.pass(passes[i]!);
  await original.pass(passes[at]!, true);
  const bytes = original.snapshot();
  const restored = new Driver();
  restored.restore(bytes);
  restored.sideWm = original.sideWm;
  const before = original.log.length;
  const rest = [{ ...passes[at]!, main: [], side: [] }, ...passes.slice(at + 1)];
  for (const p of rest) {
    await original.pass(p);
    await restored.pass(p);
  }
  return { original: original.log.slice(before), restored: restored.log };
}

describe("SideInputStage and SideInputStore snapshot and restore", () => {
  it("restores buffered and pushed-back main-input elements, which wait for the side input and hold the watermark", async () => {
    const passes: Pass[] = [
      { main: [main("a", 1_000), main("b", 12_000)], side: [], wm: 500, sideWm: 0 },
      { main: [main("c", 2_000)], side: [side(7, 3_000)], wm: 900, sideWm: 0 },
      { main: [], side: [side(8, 4_000, pane(0))], wm: 5_000, sideWm: 0 },
      { main: [], side: [], wm: 30_000, sideWm: MAX_TIMESTAMP },
    ];
    const r = await resumeAt(passes, 1);
    expect(r.restored).toEqual(r.original);
    // The fired pane of [0, 10s) replaces its unfired data; [10s, 20s) is read empty at the end.
    expect(r.restored).toEqual(["wm 900", "a+8@1000", "c+8@2000", "wm 5000", "b+@12000", "wm 30000"]);
  });

  it("a restored store answers reads and readiness as the original, and later panes replace restored ones", () => {
    const original = new SideInputStore();
    original.append("side", [side(1, 1_000), side(2, 2_000), side(3, 15_000, pane(0)), side(4, 16_000, pane(2))]);
    original.append("other", [side(9, 25_000, pane(1))]);
    const out = new BufferWriter();
    original.snapshot(out, SIDE_CODERS, nameOf);
    const restored = new SideInputStore();
    restored.restore(new BufferReader(out.finish()), idOf, SIDE_CODERS);
    for (const s of [original, restored]) s.append("side", [side(5, 17_000, pane(1)), side(6, 18_000, pane(3))]);
    for (const t of [1_000, 15_000, 25_000, 35_000]) {
      for (const v of [SIDE, OTHER]) {
        expect(restored.get(v, windowOf(t), "Join")).toEqual(original.get(v, windowOf(t), "Join"));
        expect(restored.isReady(v, windowOf(t), 0)).toBe(original.isReady(v, windowOf(t), 0));
      }
    }
    expect(restored.get(SIDE, windowOf(15_000), "Join")).toEqual([6]);
    expect(restored.isReady(OTHER, windowOf(25_000), 0)).toBe(true);
  });

  it("skips the contents of a side input the restored pipeline no longer reads", () => {
    const original = new SideInputStore();
    original.append("other", [side(9, 25_000, pane(1))]);
    original.append("side", [side(1, 1_000, pane(0))]);
    const out = new BufferWriter();
    original.snapshot(out, SIDE_CODERS, nameOf);
    const restored = new SideInputStore();
    restored.restore(new BufferReader(out.finish()), (name) => (name === "Side/Values" ? "side" : undefined), SIDE_CODERS);
    expect(restored.get(SIDE, windowOf(1_000), "Join")).toEqual([1]);
    expect(restored.isReady(OTHER, windowOf(25_000), 0)).toBe(false);
  });

  it("fails loudly on a garbled snapshot of the stage or the store", async () => {
    const d = new Driver();
    await d.pass({ main: [main("a", 1_000)], side: [side(1, 1_000)], wm: 0, sideWm: 0 });
    await d.pass({ main: [main("b", 2_000)], side: [], wm: 0, sideWm: 0 }, true);
    const bytes = d.snapshot();
    for (const cut of [1, 9, bytes.stage.length - 1]) {
      expect(() => new Driver().stage.restore(new BufferReader(bytes.stage.subarray(0, cut)), CODERS), `cut at ${cut}`).toThrow(/Restoring the main input of "Join"/);
    }
    expect(() => new Driver().stage.restore(new BufferReader(new Uint8Array([...bytes.stage, 1])), CODERS)).toThrow(/follow the end/);
    expect(() => new Driver().stage.restore(new BufferReader(new Uint8Array([7, ...bytes.stage.subarray(1)])), CODERS)).toThrow(/layout version 7/);
    for (const cut of [1, 5, bytes.store.length - 1]) {
      expect(() => new SideInputStore().restore(new BufferReader(bytes.store.subarray(0, cut)), idOf, SIDE_CODERS), `cut at ${cut}`).toThrow();
    }
  });

  it("a restored stage and store behave as the original for any input and any snapshot point", async () => {
    const time = fc.integer({ min: 0, max: 39_999 });
    const pass = fc.record({
      main: fc.array(time, { maxLength: 4 }),
      side: fc.array(fc.record({ t: time, v: fc.nat(50), fired: fc.boolean(), index: fc.nat(3) }), { maxLength: 3 }),
      wmStep: fc.integer({ min: 0, max: 8_000 }),
      sideWmStep: fc.integer({ min: 0, max: 8_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(pass, { minLength: 1, maxLength: 10 }), fc.nat(), async (raw, cut) => {
        let wm = -1;
        let sideWm = -1;
        const passes: Pass[] = raw.map((p, i) => ({
          main: p.main.map((t, j) => main(`m${i}.${j}`, t)),
          side: p.side.map((s) => side(s.v, s.t, s.fired ? pane(s.index) : NO_FIRING)),
          wm: (wm += p.wmStep),
          sideWm: (sideWm += p.sideWmStep),
        }));
        passes.push({ main: [], side: [], wm: MAX_TIMESTAMP, sideWm: MAX_TIMESTAMP });
        const r = await resumeAt(passes, cut % passes.length);
        expect(r.restored).toEqual(r.original);
      }),
      { numRuns: 150 },
    );
  });
});
