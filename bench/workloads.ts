import {
  Pipeline,
  combinePerKey,
  countPerElement,
  create,
  filter,
  flatMap,
  groupByKey,
  kv,
  map,
  parDo,
  sum,
  type KV,
  type PCollection,
} from "../src/index.js";

/** One benchmark: the same work as a beam-ts pipeline and as a hand-written loop. */
export interface Workload {
  readonly name: string;
  /** Elements processed per run (what elements/s counts). */
  readonly elements: number;
  /** Builds the pipeline; the result must be consumed by `sink` so no step is dead code. */
  pipeline(p: Pipeline, sink: (pc: PCollection<unknown>) => void): void;
  /**
   * The same computation in plain JS, collecting its output in an array as the
   * pipeline's sink does, so both sides do the same work.
   */
  handWritten(): unknown[];
  /** A checksum of the output, computed the same way for both systems. */
  checksum(seen: unknown[]): number;
}

/** Elements [0, n) emitted by one DoFn, without materialising them as an array in the graph. */
export function range(n: number) {
  return parDo<Uint8Array, number>({
    process(_i, ctx) {
      for (let i = 0; i < n; i++) ctx.output(i);
    },
  });
}

function rangeSource(p: Pipeline, n: number): PCollection<number> {
  return p.apply("Impulse", create([new Uint8Array(0)])).apply("Range", range(n));
}

const N = 2_000_000;

export function workloads(wordcountLines: readonly string[], wordcountElements: number): Workload[] {
  return [
    {
      name: "map→filter",
      elements: N,
      pipeline(p, sink) {
        sink(rangeSource(p, N).apply("Map", map((x: number) => x * 3)).apply("Filter", filter((x: number) => x % 2 === 0)));
      },
      handWritten() {
        const out: number[] = [];
        for (let i = 0; i < N; i++) {
          const y = i * 3;
          if (y % 2 === 0) out.push(y);
        }
        return out;
      },
      checksum: (seen) => (seen as number[]).reduce((a, b) => a + b, 0),
    },
    {
      name: "10 chained maps",
      elements: N,
      pipeline(p, sink) {
        let pc = rangeSource(p, N);
        for (let i = 0; i < 10; i++) pc = pc.apply(`Map${i}`, map((x: number) => x + 1));
        sink(pc);
      },
      handWritten() {
        const out: number[] = [];
        for (let i = 0; i < N; i++) {
          let x = i;
          for (let j = 0; j < 10; j++) x = x + 1;
          out.push(x);
        }
        return out;
      },
      checksum: (seen) => (seen as number[]).reduce((a, b) => a + b, 0),
    },
    {
      name: "GroupByKey, 1000 keys",
      elements: N,
      pipeline(p, sink) {
        sink(
          rangeSource(p, N)
            .apply("Key", map((x: number) => kv(`k${x % 1000}`, x)))
            .apply("GBK", groupByKey<string, number>())
            .apply("Size", map((e: KV<string, Iterable<number>>) => (e.value as number[]).length)),
        );
      },
      handWritten() {
        const groups = new Map<string, number[]>();
        for (let i = 0; i < N; i++) {
          const k = `k${i % 1000}`;
          const g = groups.get(k);
          if (g) g.push(i);
          else groups.set(k, [i]);
        }
        const out: number[] = [];
        for (const g of groups.values()) out.push(g.length);
        return out;
      },
      checksum: (seen) => (seen as number[]).reduce((a, b) => a + b, 0),
    },
    {
      name: "combinePerKey sum, 1000 keys",
      elements: N,
      pipeline(p, sink) {
        sink(
          rangeSource(p, N)
            .apply("Key", map((x: number) => kv(`k${x % 1000}`, x)))
            .apply("Sum", combinePerKey(sum()))
            .apply("Value", map((e: KV<string, number>) => e.value)),
        );
      },
      handWritten() {
        const sums = new Map<string, number>();
        for (let i = 0; i < N; i++) {
          const k = `k${i % 1000}`;
          sums.set(k, (sums.get(k) ?? 0) + i);
        }
        return [...sums.values()];
      },
      checksum: (seen) => (seen as number[]).reduce((a, b) => a + b, 0),
    },
    {
      name: "wordcount",
      elements: wordcountElements,
      pipeline(p, sink) {
        sink(
          p
            .apply("Lines", create(wordcountLines))
            .apply("Split", flatMap((line: string) => line.toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0)))
            .apply("Count", countPerElement<string>())
            .apply("Format", map((e: KV<string, number>) => e.value)),
        );
      },
      handWritten() {
        const counts = new Map<string, number>();
        for (const line of wordcountLines) {
          for (const w of line.toLowerCase().split(/[^a-z]+/)) {
            if (w.length === 0) continue;
            counts.set(w, (counts.get(w) ?? 0) + 1);
          }
        }
        return [...counts.values()];
      },
      checksum: (seen) => (seen as number[]).reduce((a, b) => a + b, 0),
    },
  ];
}
