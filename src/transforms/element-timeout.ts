import type { BoundedWindow, Instant, PaneInfo } from "../model/index.js";
import { ConstructionError, ElementTimeoutError } from "../model/index.js";
import type { BundleFinalizer, DoFn, DoFnMetrics, FinishBundleContext, OutputTags, ProcessContext, StartBundleContext } from "./do-fn.js";
import type { PCollectionView } from "./side-input-view.js";
import { isThenable, isAsyncIterable } from "./promise-like.js";

type AnyDoFn = DoFn<unknown, unknown, OutputTags>;

/**
 * The context a timed call gets: the runner's, until the call times out. A call that timed
 * out goes on in the background (a promise cannot be stopped), so from then on what it
 * outputs is refused: it would otherwise land in a later bundle, or in the retry of its own.
 */
class TimedContext implements ProcessContext<unknown, OutputTags> {
  timedOut = false;
  constructor(private readonly ctx: ProcessContext<unknown, OutputTags>) {}
  get timestamp(): Instant {
    return this.ctx.timestamp;
  }
  get window(): BoundedWindow {
    return this.ctx.window;
  }
  get pane(): PaneInfo {
    return this.ctx.pane;
  }
  get metrics(): DoFnMetrics {
    return this.ctx.metrics;
  }
  /** Refused after a time-out too: the callback would join a later bundle, or the retry. */
  get bundleFinalizer(): BundleFinalizer {
    return {
      afterBundleCommit: (expiry, callback) => {
        this.check();
        this.ctx.bundleFinalizer.afterBundleCommit(expiry, callback);
      },
    };
  }
  output(value: unknown): void {
    this.check();
    this.ctx.output(value);
  }
  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    this.check();
    this.ctx.outputWithTimestamp(value, timestamp);
  }
  outputTo(tag: string, value: unknown): void {
    this.check();
    this.ctx.outputTo(tag, value);
  }
  sideInput<V>(view: PCollectionView<V>): V {
    return this.ctx.sideInput(view);
  }
  private check(): void {
    if (this.timedOut) throw new Error("this process call timed out (the ParDo's timeout); its outputs are dropped.");
  }
}

/**
 * The DoFn of `parDo(fn, { timeout })`: runs the user's DoFn and fails a `process` call
 * whose promise (or async iterable) has not settled within `timeoutMillis` with an
 * ElementTimeoutError, as if `process` had thrown it: the bundle fails and is retried, and
 * under `withExceptionHandling` the element goes to the failures output. A synchronous
 * call cannot be interrupted in JavaScript (nothing else runs until it returns), so only
 * calls that return a promise or an async iterable are timed. One timer per pending call,
 * cleared when it settles. Lifecycle methods are the user's, unwrapped.
 *
 * @example
 * lookups.apply(parDo(new LookupFn(), { timeout: 10_000 })); // a lookup pending 10 s fails its element
 */
export class TimeoutDoFn implements AnyDoFn {
  /** The user's DoFn for this instance: copied per wrapper copy, in setup. */
  private instance: AnyDoFn | undefined;

  constructor(
    /** The user's DoFn as given; a field, so the fingerprint sees its code. */
    readonly fn: AnyDoFn,
    readonly timeoutMillis: number,
    /** Holds the step's full label, filled in at expansion. */
    private readonly where: { readonly step: string },
  ) {}

  /** The full label of the step. */
  get step(): string {
    return this.where.step;
  }

  /** The runner copies this wrapper shallowly per instance; the user's DoFn is copied the same way. */
  private user(): AnyDoFn {
    if (this.instance === undefined) {
      const t = this.fn;
      this.instance = Object.assign(Object.create(Object.getPrototypeOf(t) as object), t) as AnyDoFn;
    }
    return this.instance;
  }

  setup(): void | Promise<void> {
    this.instance = undefined;
    return this.user().setup?.();
  }

  startBundle(ctx: StartBundleContext): void | Promise<void> {
    return this.user().startBundle?.(ctx);
  }

  process(element: unknown, ctx: ProcessContext<unknown, OutputTags>): void | Promise<void> {
    const timed = new TimedContext(ctx);
    const result = this.user().process(element, timed);
    if (isThenable(result)) return this.withDeadline(Promise.resolve(result).then(() => undefined), timed);
    if (isAsyncIterable(result)) return this.withDeadline(outputAll(result, timed), timed);
    return undefined;
  }

  finishBundle(ctx: FinishBundleContext<unknown, OutputTags>): void | Promise<void> {
    return this.user().finishBundle?.(ctx);
  }

  teardown(): void | Promise<void> {
    return this.user().teardown?.();
  }

  private withDeadline(work: Promise<void>, timed: TimedContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        timed.timedOut = true;
        reject(
          new ElementTimeoutError(
            this.step,
            this.timeoutMillis,
            `process() did not settle within ${this.timeoutMillis} ms, the timeout of ParDo "${this.step}". The call ` +
              `goes on in the background but its outputs are dropped. Raise the timeout (parDo(fn, { timeout })) if an ` +
              `element needs longer; otherwise find why the call hangs.`,
          ),
        );
      }, this.timeoutMillis);
      work.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}

async function outputAll(values: AsyncIterable<unknown>, ctx: TimedContext): Promise<void> {
  for await (const v of values) ctx.output(v);
}

/**
 * `doFn` as a step with `parDo`'s `timeout` runs it: wrapped in a TimeoutDoFn, or as is
 * without a timeout. `where.step` names the step (it may be filled in later, at expansion).
 * A timeout that is not a positive number of milliseconds is a ConstructionError.
 *
 * @example
 * const fn = timedDoFn(userFn, options.timeout, { step: pipeline.currentLabel() });
 */
export function timedDoFn<F extends object>(doFn: F, timeout: number | undefined, where: { readonly step: string }): F {
  if (timeout === undefined) return doFn;
  if (!(typeof timeout === "number" && timeout > 0 && Number.isFinite(timeout))) {
    throw new ConstructionError(`timeout must be a positive number of milliseconds, got ${String(timeout)}.`);
  }
  return new TimeoutDoFn(doFn as unknown as AnyDoFn, timeout, where) as unknown as F;
}
