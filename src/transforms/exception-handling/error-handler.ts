import { ConstructionError } from "../../model/index.js";
import { ptransform, type PCollection, type Pipeline, type PTransform, type PValue } from "../../pipeline/index.js";
import { create } from "../create.js";
import { flattenAll } from "../flatten.js";
import type { BadRecord } from "./bad-record.js";

/**
 * A pipeline-level dead letter (Beam Java's `ErrorHandler` from
 * `registerBadRecordErrorHandler`, Python's `ErrorHandler`): the failures of many steps,
 * flattened into one PCollection and written by one sink. Steps add their failures with
 * `withExceptionHandling({ errorHandler })`; the sink is applied when the handler is closed,
 * which `run()` does if you did not.
 */
export class ErrorHandler {
  private readonly failures: PCollection<BadRecord>[] = [];
  private closed = false;
  private sinkOutput: PValue | undefined;

  /** @internal Use badRecordErrorHandler(pipeline, sink). */
  constructor(
    private readonly pipeline: Pipeline,
    private readonly name: string,
    private readonly sink: PTransform<PCollection<BadRecord>, PValue>,
  ) {}

  /** Adds a step's failures. */
  add(failures: PCollection<BadRecord>): void {
    if (this.closed) {
      throw new ConstructionError(
        `The error handler "${this.name}" is closed: its sink is already applied. Add every step's failures before ` +
          `closing it (run() closes it).`,
      );
    }
    if (failures.pipeline !== this.pipeline) {
      throw new ConstructionError(`The error handler "${this.name}" belongs to another pipeline than ${failures.toString()}.`);
    }
    this.failures.push(failures);
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** What the sink returned (after close). */
  get output(): PValue | undefined {
    return this.sinkOutput;
  }

  /**
   * Applies the sink to every added step's failures, flattened; with none, to an empty
   * PCollection (the sink still runs, e.g. writes its empty output). Calling it again does
   * nothing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const inputs = this.failures;
    const sink = this.sink;
    if (inputs.length === 0) {
      this.sinkOutput = this.pipeline.apply(
        this.name,
        ptransform(this.name, (begin) => begin.apply("Empty", create<BadRecord>([])).apply("Sink", sink)),
      );
      return;
    }
    this.sinkOutput = this.pipeline.applyTransform(
      inputs,
      this.name,
      ptransform(this.name, (all: readonly PCollection<BadRecord>[]) => flattenAll(all, "Flatten").apply("Sink", sink)),
    );
  }
}

/**
 * Registers a pipeline-level error handler writing every failure added to it with `sink`.
 *
 * @example
 * const errors = badRecordErrorHandler(p, writeJsonLines("out/errors"));
 * const orders = lines.apply("Parse", map(parseOrder).withExceptionHandling({ errorHandler: errors }));
 * const priced = orders.apply("Price", parDo(priceFn).withExceptionHandling({ errorHandler: errors }));
 */
export function badRecordErrorHandler(
  pipeline: Pipeline,
  sink: PTransform<PCollection<BadRecord>, PValue>,
  name = "BadRecords",
): ErrorHandler {
  const handler = new ErrorHandler(pipeline, name, sink);
  pipeline.onBeforeRun(() => handler.close());
  return handler;
}
