import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW, IntervalWindow, NO_FIRING, kv, type Coder, type KV, type WindowedValue } from "../model/index.js";
import { deterministicJsValueCoder, jsValueCoder, kvCoder, stringUtf8Coder } from "../coders/index.js";
import { Pipeline } from "../pipeline/index.js";
import { combinePerKey, create, type CombineFn } from "../transforms/index.js";
import { CombinePayload, OutputTime_Enum, type PTransform as ProtoPTransform } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { CombinePhaseUrns, PRECOMBINE_MAX_ENTRIES, buildCombinePhase } from "./combine-operations.js";

/** A mean whose accumulators are compacted (marked) before they leave the precombine. */
const mean: CombineFn<number, { sum: number; n: number; compacted?: boolean }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  addInput: (a, x) => ({ sum: a.sum + x, n: a.n + 1 }),
  mergeAccumulators: (accs) => [...accs].reduce((a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n })),
  extractOutput: (a) => a.sum / a.n,
  compact: (a) => ({ ...a, compacted: true }),
};

function phase(urn: string, options: { fnUrn?: string; outputTime?: OutputTime_Enum; keyCoder?: Coder<unknown> } = {}) {
  const p = new Pipeline();
  p.apply(create([kv("a", 1)])).apply("Mean", combinePerKey(mean));
  const graph = p.graph();
  const out: WindowedValue<unknown>[] = [];
  const t: ProtoPTransform = {
    uniqueName: "e1_phase",
    spec: {
      urn,
      payload: Buffer.from(
        CombinePayload.encode({ combineFn: { urn: options.fnUrn ?? "beam:combinefn:beam_ts:v1", payload: Buffer.from("Mean") }, accumulatorCoderId: "acc" }).finish(),
      ),
    },
    subtransforms: [],
    inputs: { i0: "in" },
    outputs: { i0: "out" },
    environmentId: "beam-ts",
    displayData: [],
    annotations: {},
  };
  const built = buildCombinePhase(t, {
    node: (label) => [...graph.transforms.values()].find((n) => n.fullLabel === label)!,
    receiverOf: () => ({ receive: (wv) => void out.push(wv) }),
    coderOf: () => kvCoder(options.keyCoder ?? stringUtf8Coder, jsValueCoder) as never,
    outputTimeOf: () => options.outputTime ?? OutputTime_Enum.END_OF_WINDOW,
  });
  return { op: built.operation, input: built.input, out };
}

const at = (value: unknown, timestamp: number, window = GLOBAL_WINDOW as IntervalWindow | typeof GLOBAL_WINDOW): WindowedValue<unknown> => ({
  value,
  timestamp,
  windows: [window],
  pane: NO_FIRING,
});

describe("combine phases in the harness", () => {
  it("pre-combines a bundle per key and window and emits compacted accumulators when the bundle finishes", () => {
    const { op, input, out } = phase(CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE, { outputTime: OutputTime_Enum.LATEST_IN_PANE });
    expect(input).toBe("in");
    const w1 = new IntervalWindow(0, 10);
    const w2 = new IntervalWindow(10, 20);
    op.startBundle();
    op.receive(at(kv("a", 1), 3, w1));
    op.receive(at(kv("a", 3), 5, w1));
    op.receive(at(kv("b", 10), 4, w1));
    op.receive(at(kv("a", 7), 12, w2));
    expect(out).toEqual([]);
    op.finishBundle();
    const seen = out.map((wv) => [(wv.value as KV<string, unknown>).key, (wv.value as KV<string, unknown>).value, wv.timestamp, wv.windows[0]!.toString()]);
    expect(seen).toEqual([
      ["a", { sum: 4, n: 2, compacted: true }, 5, w1.toString()],
      ["a", { sum: 7, n: 1, compacted: true }, 12, w2.toString()],
      ["b", { sum: 10, n: 1, compacted: true }, 4, w1.toString()],
    ]);
  });

  it("stamps accumulators with their earliest input unless the timestamp combiner is LATEST", () => {
    const { op, out } = phase(CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE, { outputTime: OutputTime_Enum.EARLIEST_IN_PANE });
    op.startBundle();
    op.receive(at(kv("a", 1), 8));
    op.receive(at(kv("a", 1), 2));
    op.finishBundle();
    expect(out.map((wv) => wv.timestamp)).toEqual([2]);
  });

  it("flushes early when a bundle holds too many keys, so memory stays bounded", () => {
    const { op, out } = phase(CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE);
    op.startBundle();
    for (let i = 0; i <= PRECOMBINE_MAX_ENTRIES; i++) op.receive(at(kv(`k${i}`, i), 0));
    expect(out.length).toBe(PRECOMBINE_MAX_ENTRIES + 1);
    op.receive(at(kv("k0", 1), 0));
    op.finishBundle();
    expect(out.length).toBe(PRECOMBINE_MAX_ENTRIES + 2);
  });

  it("emits at once what an upstream DoFn outputs in its finishBundle after the precombine finished", () => {
    const { op, out } = phase(CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE);
    op.startBundle();
    op.receive(at(kv("a", 1), 0));
    op.finishBundle();
    op.receive(at(kv("a", 2), 0));
    expect(out.map((wv) => (wv.value as KV<string, { sum: number }>).value.sum)).toEqual([1, 2]);
    op.startBundle();
    op.receive(at(kv("a", 3), 0));
    expect(out.length).toBe(2);
  });

  it("merges grouped accumulators, extracts outputs, combines grouped values and converts inputs", () => {
    const run = (urn: string, value: unknown) => {
      const { op, out } = phase(urn);
      op.startBundle();
      op.receive(at(kv("a", value), 7));
      op.finishBundle();
      expect(out[0]!.timestamp).toBe(7);
      return (out[0]!.value as KV<string, unknown>).value;
    };
    expect(run(CombinePhaseUrns.COMBINE_PER_KEY_MERGE_ACCUMULATORS, [{ sum: 1, n: 1 }, { sum: 5, n: 2 }])).toEqual({ sum: 6, n: 3 });
    expect(run(CombinePhaseUrns.COMBINE_PER_KEY_EXTRACT_OUTPUTS, { sum: 6, n: 3 })).toBe(2);
    expect(run(CombinePhaseUrns.COMBINE_GROUPED_VALUES, [1, 2, 6])).toBe(3);
    expect(run(CombinePhaseUrns.COMBINE_PER_KEY_CONVERT_TO_ACCUMULATORS, 4)).toEqual({ sum: 4, n: 1 });
  });

  it("names the user's transform when the CombineFn throws", () => {
    const { op } = phase(CombinePhaseUrns.COMBINE_PER_KEY_EXTRACT_OUTPUTS);
    op.startBundle();
    expect(() => op.receive(at(kv("a", null), 0))).toThrow(/Mean \(e1_phase\)/);
  });

  it("refuses a CombineFn of another SDK loudly", () => {
    expect(() => phase(CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE, { fnUrn: "beam:combinefn:javasdk:v1" })).toThrow(/another SDK/);
  });

  it("compares keys by their encoding under the key coder", () => {
    const { op, out } = phase(CombinePhaseUrns.COMBINE_PER_KEY_PRECOMBINE, { keyCoder: deterministicJsValueCoder as Coder<unknown> });
    op.startBundle();
    op.receive(at(kv({ x: 1, y: 2 }, 1), 0));
    op.receive(at(kv({ y: 2, x: 1 }, 2), 0));
    op.finishBundle();
    expect(out.length).toBe(1);
  });
});
