import type { Schema } from "../../model/index.js";
import { PTransform, ptransform, type PCollection, type PValue } from "../../pipeline/index.js";
import type { ErrorHandler } from "../exception-handling/error-handler.js";
import type { ExceptionHandlingOptions, WithFailures } from "../exception-handling/with-exception-handling.js";
import { map } from "../map.js";
import type { ParDoTransform } from "../par-do.js";
import { withOutputSchema } from "./schema-input.js";

/**
 * A schema transform that is one ParDo whose function may fail on an element (cast, convert):
 * a ParDoTransform, so `.withExceptionHandling()` sends the elements that fail to a dead-letter
 * output, and the output gets its computed schema either way.
 */

/** What a row ParDo does to its input, computed when it is applied (from the input's schema). */
export interface RowStep<In, Out> {
  /** The function applied to each element; it throws for an element that cannot be converted. */
  readonly fn: (element: In) => Out;
  /** The output's schema, or undefined for an output without one (plain objects). */
  readonly schema: Schema | undefined;
  /** The name the output schema's errors start with. */
  readonly name: string;
}

/** A ParDoTransform of one function planned from the input, with the output schema attached. */
export class RowParDo<In, Out> extends PTransform<PCollection<In>, PCollection<Out>> implements ParDoTransform<In, PCollection<Out>> {
  constructor(
    name: string,
    private readonly step: string,
    private readonly plan: (input: PCollection<In>) => RowStep<In, Out>,
  ) {
    super(name);
  }

  expand(input: PCollection<In>): PCollection<Out> {
    const { fn, schema, name } = this.plan(input);
    return attach<Out>(input.apply(this.step, map((e: In) => fn(e))), schema, name);
  }

  withExceptionHandling(options: ExceptionHandlingOptions & { readonly errorHandler: ErrorHandler }): PTransform<PCollection<In>, PCollection<Out>>;
  withExceptionHandling(options?: ExceptionHandlingOptions): PTransform<PCollection<In>, WithFailures<PCollection<Out>>>;
  withExceptionHandling(options: ExceptionHandlingOptions = {}): PTransform<PCollection<In>, PValue> {
    return ptransform(this.name, (input: PCollection<In>): PValue => {
      const { fn, schema, name } = this.plan(input);
      const result = input.apply(this.step, map((e: In) => fn(e)).withExceptionHandling(options) as PTransform<PCollection<In>, PValue>);
      if (options.errorHandler !== undefined) return attach<Out>(result as PCollection<unknown>, schema, name);
      const { output, failures } = result as WithFailures<PCollection<unknown>>;
      return { output: attach<Out>(output, schema, name), failures };
    });
  }
}

function attach<Out>(pc: PCollection<unknown>, schema: Schema | undefined, name: string): PCollection<Out> {
  return schema === undefined ? (pc as PCollection<Out>) : withOutputSchema<Out>(pc, schema, name);
}
