import { describe, expect, it } from "vitest";
import { IntervalWindow, NO_FIRING, fixedWindows, type BoundedWindow, type Coder, type WindowedValue } from "../model/index.js";
import { BufferReader, BufferWriter, intervalWindowCoder, jsValueCoder, lengthPrefixCoder } from "../coders/index.js";
import { Pipeline } from "../pipeline/index.js";
import { asSingleton, create, windowInto, type PCollectionView } from "../transforms/index.js";
import type { Operation } from "../runtime/index.js";
import { FnApiSideInputs, type SideInputFetcher } from "./side-inputs.js";
import { SideInputPushback } from "./side-input-pushback.js";

const elementCoder = lengthPrefixCoder(jsValueCoder);
const windowCoder = intervalWindowCoder as unknown as Coder<BoundedWindow>;

/** A runner's iterable side input held in memory: values per encoded side window; reads are logged. */
function runnerSide(contents: ReadonlyMap<string, readonly unknown[]>): { fetch: SideInputFetcher; reads: string[] } {
  const reads: string[] = [];
  const fetch: SideInputFetcher = (_transformId, _sideInputId, window) => {
    const w = windowCoder.decode(new BufferReader(window), false);
    reads.push(w.toString());
    const out = new BufferWriter();
    for (const v of contents.get(w.toString()) ?? []) elementCoder.encode(v, out, true);
    return Promise.resolve(out.finish());
  };
  return { fetch, reads };
}

/** A ParDo stand-in that reads the singleton in each element's window. */
function reader(sideInputs: FnApiSideInputs, view: PCollectionView<unknown>, seen: string[]): Operation {
  return {
    label: "Read",
    startBundle: () => {},
    finishBundle: () => {},
    receive: (wv: WindowedValue<unknown>) => void seen.push(`${String(wv.value)}x${String(sideInputs.get(view, wv.windows[0]!, "Read"))}`),
  };
}

function rateView(): PCollectionView<unknown> {
  const p = new Pipeline();
  return asSingleton(p.apply(create([2])).apply(windowInto(fixedWindows(60_000)))) as PCollectionView<unknown>;
}

const minute = (i: number) => new IntervalWindow(i * 60_000, (i + 1) * 60_000);
const element = (value: number, window: BoundedWindow): WindowedValue<unknown> => ({
  value,
  timestamp: value,
  windows: [window],
  pane: NO_FIRING,
});

describe("SideInputPushback", () => {
  it("holds an element until the side window of the window it carries at the ParDo is read", async () => {
    const view = rateView();
    const sideInputs = new FnApiSideInputs();
    sideInputs.declare({ transformId: "t", sideInputId: "side", view, elementCoder, windowCoder });
    const runner = runnerSide(new Map([[minute(0).toString(), [2]], [minute(1).toString(), [3]]]));
    sideInputs.reset(runner.fetch);
    const seen: string[] = [];
    const pushback = new SideInputPushback(reader(sideInputs, view, seen), sideInputs, [view]);
    pushback.startBundle();
    pushback.receive(element(10_000, minute(0)));
    pushback.receive(element(70_000, minute(1)));
    pushback.receive(element(80_000, minute(1)));
    expect(seen).toEqual([]);
    await pushback.finishBundle();
    expect(seen).toEqual(["10000x2", "70000x3", "80000x3"]);
    expect(runner.reads.sort()).toEqual([minute(0).toString(), minute(1).toString()]);
  });

  it("hands an element on at once when its side window was read, and keeps arrival order behind a held one", async () => {
    const view = rateView();
    const sideInputs = new FnApiSideInputs();
    sideInputs.declare({ transformId: "t", sideInputId: "side", view, elementCoder, windowCoder });
    sideInputs.reset(runnerSide(new Map([[minute(0).toString(), [2]], [minute(1).toString(), [3]]])).fetch);
    const seen: string[] = [];
    const pushback = new SideInputPushback(reader(sideInputs, view, seen), sideInputs, [view]);
    pushback.startBundle();
    pushback.receive(element(1, minute(0)));
    await pushback.flush();
    pushback.receive(element(2, minute(0)));
    expect(seen).toEqual(["1x2", "2x2"]);
    pushback.receive(element(70_000, minute(1)));
    pushback.receive(element(3, minute(0)));
    expect(seen).toEqual(["1x2", "2x2"]);
    await pushback.flush();
    expect(seen).toEqual(["1x2", "2x2", "70000x3", "3x2"]);
  });

  it("fails only a read of an empty singleton window, not the read of the window beside it", async () => {
    const view = rateView();
    const sideInputs = new FnApiSideInputs();
    sideInputs.declare({ transformId: "t", sideInputId: "side", view, elementCoder, windowCoder });
    sideInputs.reset(runnerSide(new Map([[minute(1).toString(), [3]]])).fetch);
    await sideInputs.load([view], [minute(0), minute(1)]);
    expect(sideInputs.get(view, minute(1), "Read")).toBe(3);
    expect(() => sideInputs.get(view, minute(0), "Read")).toThrow(/singleton side input .* is empty in this window/);
  });

});
