import { ConstructionError } from "../../model/index.js";
import { PTransform, defaultName, type PCollection } from "../../pipeline/index.js";
import { ParDo, type ParDoOptions } from "../par-do.js";
import { isSplittableDoFn, type SplittableDoFn } from "./splittable-do-fn.js";

/**
 * Beam's ParDo of a splittable DoFn: every element's work is a restriction that the runner
 * splits up front (`splitRestriction`), checkpoints while it runs, and resumes later
 * (`ProcessContinuation.resume`) — the way sources are written (docs/SDF.md).
 *
 * @example const lines = files.apply(splittableParDo(readFileLines));
 */
export function splittableParDo<In, Out, R, P = number>(
  fn: SplittableDoFn<In, Out, R, P>,
  options: Pick<ParDoOptions, "allowedTimestampSkew"> = {},
): PTransform<PCollection<In>, PCollection<Out>> {
  return new SplittableParDo<In, Out>(fn as unknown as SplittableDoFn<In, Out, unknown, unknown>, options, defaultName("SplittableParDo", fn.process));
}

class SplittableParDo<In, Out> extends PTransform<PCollection<In>, PCollection<Out>> {
  constructor(
    private readonly fn: SplittableDoFn<In, Out, unknown, unknown>,
    private readonly options: Pick<ParDoOptions, "allowedTimestampSkew">,
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
    return new ParDoCtor(this.fn, { ...this.options, maxConcurrency: 1 }, this.name, false, true).expand(input);
  }
}
