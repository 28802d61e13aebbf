import { ConstructionError } from "../../model/index.js";
import { PTransform, defaultName, type PCollection } from "../../pipeline/index.js";
import { ParDo, type ParDoOptions } from "../par-do.js";
import { isSplittableDoFn, type SplittableDoFn } from "./splittable-do-fn.js";

/** Options of splittableParDo. */
export interface SplittableParDoOptions extends Pick<ParDoOptions, "allowedTimestampSkew"> {
  /**
   * The DoFn's restrictions may never end (Beam's @UnboundedPerElement): its output is an
   * unbounded PCollection.
   */
  readonly unbounded?: boolean;
}

/**
 * Beam's ParDo of a splittable DoFn: every element's work is a restriction that the runner
 * splits up front (`splitRestriction`), checkpoints while it runs, and resumes later
 * (`ProcessContinuation.resume`) — the way sources are written (docs/SDF.md).
 *
 * @example const lines = files.apply(splittableParDo(readFileLines));
 */
export function splittableParDo<In, Out, R, P = number>(
  fn: SplittableDoFn<In, Out, R, P>,
  options: SplittableParDoOptions = {},
): PTransform<PCollection<In>, PCollection<Out>> {
  return new SplittableParDo<In, Out>(fn as unknown as SplittableDoFn<In, Out, unknown, unknown>, options, defaultName("SplittableParDo", undefined));
}

class SplittableParDo<In, Out> extends PTransform<PCollection<In>, PCollection<Out>> {
  constructor(
    private readonly fn: SplittableDoFn<In, Out, unknown, unknown>,
    private readonly options: SplittableParDoOptions,
    name: string,
  ) {
    super(name);
  }
  expand(input: PCollection<In>): PCollection<Out> {
    if (!isSplittableDoFn(this.fn)) {
      throw new ConstructionError(
        `splittableParDo needs getInitialRestriction(element), newTracker(element, restriction) and process(element, ctx); ` +
          `got ${String(this.fn)}. For an ordinary DoFn use parDo.`,
      );
    }
    const ParDoCtor = ParDo as unknown as new (
      fn: object,
      options: ParDoOptions,
      name: string,
      stateful: boolean,
      splittable: boolean,
    ) => PTransform<PCollection<In>, PCollection<Out>>;
    const { unbounded, ...rest } = this.options;
    const options = { ...rest, maxConcurrency: 1, unboundedOutput: unbounded === true };
    return new ParDoCtor(this.fn, options, this.name, false, true).expand(input);
  }
}
