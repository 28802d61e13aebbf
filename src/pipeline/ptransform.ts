import type { PValue } from "./pvalue.js";

/**
 * A step of a pipeline: turns an input PValue into an output PValue. Composite transforms
 * implement `expand` by applying other transforms to the input; primitive transforms
 * (impulse, parDo, groupByKey, flatten, windowInto) record themselves in the graph.
 *
 * @example
 * class CountWords extends PTransform<PCollection<string>, PCollection<KV<string, number>>> {
 *   expand(lines: PCollection<string>) {
 *     return lines
 *       .apply("Split", flatMap((line: string) => line.split(/[^a-z]+/)))
 *       .apply("Count", countPerElement());
 *   }
 * }
 */
export abstract class PTransform<In extends PValue, Out extends PValue> {
  /** The label used when the transform is applied without an explicit name. */
  readonly name: string;
  constructor(name?: string) {
    this.name = name ?? new.target.name;
  }
  abstract expand(input: In): Out;
}

/** A composite transform from a function: `ptransform("Parse", (lines) => lines.apply(...))`. */
export function ptransform<In extends PValue, Out extends PValue>(
  name: string,
  expand: (input: In) => Out,
): PTransform<In, Out> {
  return new (class extends PTransform<In, Out> {
    expand(input: In): Out {
      return expand(input);
    }
  })(name);
}
