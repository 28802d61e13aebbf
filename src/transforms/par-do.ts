import { ConstructionError } from "../model/index.js";
import { PTransform, defaultName, type PCollection, type PValue } from "../pipeline/index.js";
import type { ErrorHandler } from "./exception-handling/error-handler.js";
import { WithExceptionHandling, type ExceptionHandlingOptions, type ParDoOutput, type WithFailures } from "./exception-handling/with-exception-handling.js";
import { jsValueCoder } from "./coder-derivation.js";
import type { DoFn, OutputTags } from "./do-fn.js";
import type { PCollectionView } from "./side-input-view.js";
import { isStatefulDoFn } from "./state/stateful-do-fn.js";
import { timedDoFn } from "./element-timeout.js";

/** The default bound on concurrent async `process` calls per bundle. */
export const DEFAULT_MAX_CONCURRENCY = 16;

/** Options of a ParDo. */
export interface ParDoOptions {
  /** Side inputs the DoFn reads with `ctx.sideInput(view)`. */
  readonly sideInputs?: readonly PCollectionView<unknown>[];
  /** Upper bound on concurrent async `process` calls per bundle (default 16). */
  readonly maxConcurrency?: number;
  /**
   * How far before the input's timestamp `outputWithTimestamp` may go (Beam's
   * allowedTimestampSkew; default 0, `Infinity` for any). Moving an element back in
   * event time can make it late downstream, so Beam forbids it by default.
   */
  readonly allowedTimestampSkew?: number;
  /**
   * Milliseconds an async `process` call (one returning a promise or an async iterable) may
   * take: past it the element fails with an ElementTimeoutError, as if `process` had
   * thrown it (the bundle is retried; with `withExceptionHandling` the element goes to the
   * failures output). Default: none. A synchronous call cannot be interrupted in
   * JavaScript and is not timed; `setup`, `startBundle` and `finishBundle` are not timed.
   *
   * @example
   * ids.apply(parDo(lookupFn, { timeout: 10_000 }))
   */
  readonly timeout?: number;
}

/** A ParDo's outputs when it has tagged outputs: `main` plus one PCollection per tag. */
export type TaggedOutputs<Out, Tags extends OutputTags> = { readonly main: PCollection<Out> } & {
  readonly [K in keyof Tags]: PCollection<Tags[K]>;
};

/**
 * Beam's ParDo: runs a DoFn on every element.
 *
 * @example
 * words.apply("Upper", parDo<string, string>({ process: (w, ctx) => ctx.output(w.toUpperCase()) }))
 */
export function parDo<In, Out>(doFn: DoFn<In, Out>, options?: ParDoOptions): ParDoTransform<In, PCollection<Out>>;
/**
 * A ParDo with tagged outputs: declare the tags, emit with `ctx.outputTo(tag, value)`, and
 * get `{ main, ...tags }` back.
 *
 * @example
 * const { main, invalid } = lines.apply(parDo<string, Order, { invalid: string }>(parseFn, { outputs: ["invalid"] }));
 */
export function parDo<In, Out, Tags extends OutputTags>(
  doFn: DoFn<In, Out, Tags>,
  options: ParDoOptions & { readonly outputs: readonly (keyof Tags & string)[] },
): ParDoTransform<In, TaggedOutputs<Out, Tags>>;
export function parDo<In, Out, Tags extends OutputTags>(
  doFn: DoFn<In, Out, Tags>,
  options: ParDoOptions & { readonly outputs?: readonly (keyof Tags & string)[] } = {},
): ParDoTransform<In, PCollection<Out> | TaggedOutputs<Out, Tags>> {
  return new ParDo(doFn as DoFn<In, Out, OutputTags>, options, defaultName("ParDo", doFnName(doFn))) as unknown as ParDoTransform<
    In,
    PCollection<Out> | TaggedOutputs<Out, Tags>
  >;
}

/**
 * A ParDo (also what map, flatMap and filter return): a transform that can send the
 * elements its DoFn fails on to a dead-letter output instead of failing the job.
 */
export interface ParDoTransform<In, Out extends ParDoOutput> extends PTransform<PCollection<In>, Out> {
  /**
   * Beam's `with_exception_handling`: an element whose `process` throws (or rejects) goes to
   * `failures` as a BadRecord, with none of its outputs; the job goes on. Returns
   * `{ output, failures }`, or only the output when the failures go to an `errorHandler`.
   *
   * @example
   * const { output: orders, failures } = lines.apply("Parse", map(parseOrder).withExceptionHandling());
   * failures.apply(writeJsonLines("out/bad-orders"));
   */
  withExceptionHandling(options: ExceptionHandlingOptions & { readonly errorHandler: ErrorHandler }): PTransform<PCollection<In>, Out>;
  withExceptionHandling(options?: ExceptionHandlingOptions): PTransform<PCollection<In>, WithFailures<Out>>;
}

function doFnName(doFn: object): { name?: string } {
  const ctor = (doFn as { constructor?: { name?: string } }).constructor;
  return ctor && ctor !== Object ? { name: ctor.name } : {};
}

/** @internal the ParDo primitive; statefulParDo builds it with `stateful` set. */
export class ParDo<In, Out> extends PTransform<PCollection<In>, PCollection<Out> | TaggedOutputs<Out, OutputTags>> {
  constructor(
    private readonly doFn: DoFn<In, Out, OutputTags>,
    private readonly options: ParDoOptions & { readonly outputs?: readonly string[]; readonly unboundedOutput?: boolean },
    name: string,
    private readonly stateful = false,
    private readonly splittable = false,
  ) {
    super(name);
  }

  /** See ParDoTransform.withExceptionHandling. */
  withExceptionHandling(options: ExceptionHandlingOptions = {}): PTransform<PCollection<In>, PValue> {
    if (this.stateful || this.splittable) {
      throw new ConstructionError(
        `withExceptionHandling works on ParDos of plain DoFns; "${this.name}" is ${this.stateful ? "stateful" : "splittable"}. ` +
          `Catch errors inside its process method and output them to a tagged output instead.`,
      );
    }
    return new WithExceptionHandling<In>(this.name, this.name, this.doFn, this.options, options);
  }

  expand(input: PCollection<In>): PCollection<Out> | TaggedOutputs<Out, OutputTags> {
    if (typeof this.doFn?.process !== "function") {
      throw new ConstructionError(`parDo needs a DoFn with a process(element, ctx) method; got ${String(this.doFn)}.`);
    }
    if (!this.stateful && isStatefulDoFn(this.doFn)) {
      throw new ConstructionError(
        `This DoFn declares state or timers; apply it with statefulParDo(fn) (on a PCollection of KVs), not parDo.`,
      );
    }
    const tags = this.options.outputs ?? [];
    if (tags.includes("main") || new Set(tags).size !== tags.length) {
      throw new ConstructionError(`Output tags must be unique and must not be "main" (the main output's tag); got [${tags.join(", ")}].`);
    }
    const maxConcurrency = this.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
      throw new ConstructionError(`maxConcurrency must be a positive integer, got ${maxConcurrency}.`);
    }
    const doFn = this.timed(input);
    const views = this.options.sideInputs ?? [];
    for (const v of views) {
      if (v.pcollection.pipeline !== input.pipeline) {
        throw new ConstructionError(`Side input ${v.toString()} belongs to another pipeline.`);
      }
      const sideFn = v.pcollection.windowing.windowFn;
      if (sideFn.getSideInputWindow === undefined) {
        throw new ConstructionError(
          `Side input ${v.toString()} is windowed by ${sideFn.toString()}, which has no window mapping ` +
            `(getSideInputWindow); re-window it into global, fixed or sliding windows first.`,
        );
      }
    }
    const p = input.pipeline;
    const outputs = p.addPrimitive(
      {
        kind: "parDo",
        doFn,
        mainOutputTag: "main",
        sideInputs: views.map((v, i) => ({ tag: `side${i}`, pcollection: v.pcollection.id, view: v })),
        maxConcurrency,
        allowedTimestampSkew: this.options.allowedTimestampSkew ?? 0,
        stateful: this.stateful,
        splittable: this.splittable,
      },
      [input as PCollection<unknown>, ...views.map((v) => v.pcollection)],
      ["main", ...tags].map((tag) => ({
        tag,
        coder: jsValueCoder,
        windowing: input.windowing,
        isBounded: input.isBounded && this.options.unboundedOutput !== true,
      })),
    );
    if (this.options.outputs === undefined) return outputs[0] as PCollection<Out>;
    const result: Record<string, PCollection<unknown>> = {};
    ["main", ...tags].forEach((tag, i) => (result[tag] = outputs[i]!));
    return result as TaggedOutputs<Out, OutputTags>;
  }

  /** The DoFn the graph runs: the user's, wrapped in a TimeoutDoFn when `timeout` is set. */
  private timed(input: PCollection<In>): DoFn<In, Out, OutputTags> {
    const timeout = this.options.timeout;
    if (timeout !== undefined && (this.stateful || this.splittable)) {
      throw new ConstructionError(
        `timeout applies to the async process calls of a parDo; ${this.stateful ? "stateful DoFns run synchronously" : "a splittable DoFn checkpoints instead"} ` +
          `(leave the timeout out).`,
      );
    }
    return timedDoFn(this.doFn, timeout, { step: input.pipeline.currentLabel() });
  }
}
