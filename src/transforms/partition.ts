import { ConstructionError, describeValue } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";
import type { DoFn, ProcessContext } from "./do-fn.js";
import { parDo } from "./par-do.js";

type Outputs = Record<string, unknown>;

class PartitionDoFn<T> implements DoFn<T, T, Outputs> {
  constructor(
    readonly fn: (element: T, numPartitions: number) => number,
    readonly numPartitions: number,
  ) {}
  process(element: T, ctx: ProcessContext<T, Outputs>): void {
    const i = this.fn(element, this.numPartitions);
    if (!Number.isInteger(i) || i < 0 || i >= this.numPartitions) {
      throw new ConstructionError(
        `The partition function returned ${describeValue(i)} for ${describeValue(element)}; it must return ` +
          `an integer in [0, ${this.numPartitions}).`,
      );
    }
    if (i === 0) ctx.output(element);
    else ctx.outputTo(String(i), element);
  }
}

/**
 * Beam's Partition: splits a PCollection into `n` by the index `fn` returns.
 *
 * @example const [small, large] = orders.apply(partition(2, (o) => (o.amount < 100 ? 0 : 1)));
 */
export function partition<T>(
  n: number,
  fn: (element: T, numPartitions: number) => number,
): PTransform<PCollection<T>, PCollection<T>[]> {
  return new Partition(n, fn);
}

class Partition<T> extends PTransform<PCollection<T>, PCollection<T>[]> {
  constructor(
    private readonly n: number,
    private readonly fn: (element: T, numPartitions: number) => number,
  ) {
    super(`Partition(${n})`);
  }
  expand(input: PCollection<T>): PCollection<T>[] {
    if (!Number.isInteger(this.n) || this.n < 1) {
      throw new ConstructionError(`partition needs a positive integer number of partitions, got ${this.n}.`);
    }
    const tags = Array.from({ length: this.n - 1 }, (_, i) => String(i + 1));
    const outs = parDo<T, T, Outputs>(new PartitionDoFn(this.fn, this.n), { outputs: tags }).expand(input);
    const list = [outs.main, ...tags.map((t) => outs[t] as PCollection<T>)];
    for (const pc of list) pc.withCoder(input.coder);
    return list;
  }
}
