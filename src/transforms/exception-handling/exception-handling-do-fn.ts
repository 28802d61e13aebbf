import type { BoundedWindow, Coder, Instant, PaneInfo } from "../../model/index.js";
import { BeamError, describeValue } from "../../model/index.js";
import { encodeToBytes } from "../../coders/index.js";
import type { BundleFinalizer, DoFn, OutputTags, ProcessContext, DoFnMetrics, StartBundleContext, FinishBundleContext } from "../do-fn.js";
import type { PCollectionView } from "../side-input-view.js";
import type { BadRecord } from "./bad-record.js";
import { isThenable, isAsyncIterable } from "../promise-like.js";

/** The tag of the failures output of a ParDo with exception handling. */
export const FAILURES_TAG = "failures";

/** Which thrown values go to the failures output; the rest fail the bundle as usual. */
export type ErrorFilter = (error: unknown) => boolean;

/** One buffered output of `process`: to the main output (tag undefined) or a tagged one. */
interface BufferedOutput {
  readonly tag: string | undefined;
  readonly value: unknown;
  /** undefined: the input's timestamp. */
  readonly timestamp: Instant | undefined;
}

/**
 * A context that holds back what `process` outputs until the call returns, so an element
 * that fails has no outputs at all (Beam Python's `partial=False`): a downstream step never
 * sees half of a failed element's results, and a failure of a downstream step (fused, so
 * called from `output`) is never taken for this step's.
 */
class BufferingContext implements ProcessContext<unknown, OutputTags> {
  readonly outputs: BufferedOutput[] = [];
  constructor(public ctx: ProcessContext<unknown, OutputTags>) {}
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
  /** Not buffered: a failed element's record goes to the dead letters, which commit with the bundle. */
  get bundleFinalizer(): BundleFinalizer {
    return this.ctx.bundleFinalizer;
  }
  output(value: unknown): void {
    this.outputs.push({ tag: undefined, value, timestamp: undefined });
  }
  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    this.outputs.push({ tag: undefined, value, timestamp });
  }
  outputTo(tag: string, value: unknown): void {
    this.outputs.push({ tag, value, timestamp: undefined });
  }
  sideInput<V>(view: PCollectionView<V>): V {
    return this.ctx.sideInput(view);
  }
  /** Hands the held outputs to the real context, in order. */
  flush(): void {
    const { ctx, outputs } = this;
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i]!;
      if (o.tag !== undefined) ctx.outputTo(o.tag, o.value);
      else if (o.timestamp !== undefined) ctx.outputWithTimestamp(o.value, o.timestamp);
      else ctx.output(o.value);
    }
    outputs.length = 0;
  }
}

/**
 * Errors that say the pipeline is wrong, not the element: sending every element to the
 * failures output would hide a bug behind a dead letter per element, so they fail the job.
 */
const PROGRAM_ERROR_CODES: ReadonlySet<string> = new Set(["CONSTRUCTION", "OPTIONS", "UNSUPPORTED", "INTERNAL", "UNDECLARED_SIDE_INPUT"]);

/** Whether a thrown value goes to the failures output under `accepts`. */
function caught(error: unknown, accepts: ErrorFilter): boolean {
  if (error instanceof BeamError && PROGRAM_ERROR_CODES.has(error.code)) return false;
  return accepts(error);
}

/** What the wrapper needs to describe a failed element. */
export interface FailureSettings {
  /** The full label of the step, filled in at expansion. */
  readonly step: string;
  readonly inputCoder: Coder<unknown>;
  readonly accepts: ErrorFilter;
}

/** The BadRecord of `element`, failed with `error` in `ctx`'s window. */
export function badRecordOf(settings: FailureSettings, element: unknown, error: unknown, ctx: ProcessContext<unknown, OutputTags>): BadRecord {
  let encoded: Uint8Array | undefined;
  try {
    encoded = encodeToBytes(settings.inputCoder, element);
  } catch {
    encoded = undefined;
  }
  const e = error instanceof Error ? error : undefined;
  return {
    step: settings.step,
    element: { preview: describeValue(element), encoded, coder: settings.inputCoder.urn },
    error: {
      type: e !== undefined ? e.name : typeof error,
      message: e !== undefined ? e.message : String(error),
      stack: e?.stack ?? "",
    },
    window: ctx.window.toString(),
    timestamp: ctx.timestamp,
    attempt: 1,
    failedAt: Date.now(),
  };
}

/**
 * Beam's `with_exception_handling` DoFn (Python's `_ExceptionHandlingWrapperDoFn`): runs
 * the user's DoFn and turns an element whose `process` throws (or whose promise rejects)
 * into a BadRecord on the failures output, instead of failing the bundle. Outputs of a
 * call are held until it succeeds. `setup`, `startBundle`, `finishBundle` and `teardown`
 * are the user's, unwrapped: their failures are the bundle's, as in Beam.
 */
export class ExceptionHandlingDoFn implements DoFn<unknown, unknown, OutputTags> {
  /** The user's DoFn for this instance: a fresh copy per wrapper copy (made in setup). */
  private instance: DoFn<unknown, unknown, OutputTags> | undefined;
  /** Reused by synchronous calls, which flush before the next element. */
  private syncContext: BufferingContext | undefined;

  constructor(
    /** The user's DoFn as given; a field, so the fingerprint sees its code. */
    readonly fn: DoFn<unknown, unknown, OutputTags>,
    readonly settings: FailureSettings,
  ) {}

  /** The runner copies this wrapper shallowly per instance; the user's DoFn is copied the same way. */
  private user(): DoFn<unknown, unknown, OutputTags> {
    if (this.instance === undefined) {
      const t = this.fn;
      this.instance = Object.assign(Object.create(Object.getPrototypeOf(t) as object), t) as DoFn<unknown, unknown, OutputTags>;
    }
    return this.instance;
  }

  setup(): void | Promise<void> {
    this.instance = undefined;
    this.syncContext = undefined;
    return this.user().setup?.();
  }

  startBundle(ctx: StartBundleContext): void | Promise<void> {
    return this.user().startBundle?.(ctx);
  }

  process(element: unknown, ctx: ProcessContext<unknown, OutputTags>): void | Promise<void> {
    const fn = this.user();
    let buffer = this.syncContext;
    if (buffer === undefined) buffer = this.syncContext = new BufferingContext(ctx);
    else buffer.ctx = ctx;
    let result: unknown;
    try {
      result = fn.process(element, buffer);
    } catch (err) {
      buffer.outputs.length = 0;
      return this.fail(element, err, ctx);
    }
    if (result === undefined) return buffer.flush();
    // The call goes on after this method returns: it keeps this buffer, later calls get another.
    this.syncContext = undefined;
    const pending = buffer;
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => pending.flush(),
        (err: unknown) => this.fail(element, err, ctx),
      );
    }
    if (isAsyncIterable(result)) {
      return (async () => {
        try {
          for await (const v of result) pending.output(v);
        } catch (err) {
          return this.fail(element, err, ctx);
        }
        pending.flush();
      })();
    }
    pending.flush();
  }

  finishBundle(ctx: FinishBundleContext<unknown, OutputTags>): void | Promise<void> {
    return this.user().finishBundle?.(ctx);
  }

  teardown(): void | Promise<void> {
    const fn = this.instance;
    this.instance = undefined;
    return fn?.teardown?.();
  }

  private fail(element: unknown, err: unknown, ctx: ProcessContext<unknown, OutputTags>): void {
    if (!caught(err, this.settings.accepts)) throw err;
    ctx.outputTo(FAILURES_TAG, badRecordOf(this.settings, element, err, ctx));
  }
}
