import { UnsupportedFeatureError, WindowFnUrns, type TimestampCombiner, type WindowingStrategy } from "../../model/index.js";
import type { PipelineGraph, TransformNode } from "../../pipeline/index.js";
import type { StateSpecMap } from "../../transforms/index.js";
import { BEAM_URNS } from "../../proto/urns.js";

/**
 * What the portable runners we know cannot run, checked before a job is submitted. A
 * runner that meets one of these fails the job deep inside its translation or workers
 * (or, worse, runs it differently); checking here gives an UnsupportedFeatureError that
 * names the transform, the feature and what to do instead. `--runner=portable` (an
 * unknown runner behind --jobEndpoint) gets only the checks that hold for every runner.
 *
 * The reasons were observed with Prism 2.77.0, Flink 1.19 and Spark 3.5 (Beam 2.70.0).
 * `options` are the pipeline's (Spark's checks depend on `--streaming`).
 *
 * @example
 * checkRunnerSupport("spark", pipeline.graph(), pipeline.options); // throws UnsupportedFeatureError for a TestStream
 */
export function checkRunnerSupport(runner: string, graph: PipelineGraph, options: Readonly<Record<string, unknown>> = {}): void {
  for (const t of graph.transforms.values()) {
    const p = t.primitive;
    if (p === undefined) continue;
    if (p.kind === "groupByKey" && p.lateOutputTag !== undefined) {
      throw unsupported(
        "late data output",
        t,
        "groupByKeyWithLateData runs on the embedded runner only: a portable runner's GroupByKey drops late data inside the runner, " +
          "where no SDK can route it. Use groupByKey (late data is dropped and counted) or the embedded runner.",
      );
    }
    if (runner === "flink") checkFlink(t);
    if (runner === "spark") checkSpark(t, sparkStreaming(graph, options));
  }
  for (const pc of graph.pcollections.values()) {
    const producer = graph.transforms.get(pc.producer)!;
    if (!insideReshuffle(graph, producer)) checkWindowing(runner, pc.windowing, producer);
  }
  if (runner === "spark") checkSparkJob(graph, options);
}

/**
 * Whether `t` is part of a Reshuffle's expansion. Runners execute Beam's Reshuffle
 * composite natively, so the identity WindowFn inside it (which keeps elements' windows
 * through its GroupByKey, as Beam Java's Reshuffle does) never reaches their translation.
 */
function insideReshuffle(graph: PipelineGraph, t: Readonly<TransformNode>): boolean {
  for (let id = t.parent; id !== undefined; id = graph.transforms.get(id)?.parent) {
    if (graph.transforms.get(id)?.annotation?.kind === "reshuffle") return true;
  }
  return false;
}

function checkFlink(t: Readonly<TransformNode>): void {
  const p = t.primitive!;
  if (p.kind === "testStream" && p.events.some((e) => e.kind === "processingTime")) {
    throw unsupported(
      "TestStream processing time",
      t,
      "Flink's TestStream cannot advance processing time (its translation rejects it). Test processing-time behaviour on the embedded runner or Prism.",
    );
  }
  if (p.kind === "parDo" && p.stateful) {
    const specs = (p.doFn as { state?: StateSpecMap }).state ?? {};
    for (const [id, spec] of Object.entries(specs)) {
      if (spec.kind === "map" || spec.kind === "set" || spec.kind === "orderedList") {
        throw unsupported(
          `${spec.kind} state`,
          t,
          `state "${id}" is ${spec.kind} state, which Flink's portable runner does not serve (it keeps bag user state only: value, bag and combining state). ` +
            "Keep the data in bag or value state, or run on the embedded runner or Prism.",
        );
      }
    }
  }
}

/** Whether a pipeline option holds true (`true` from code, "true" from the command line). */
function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/**
 * Whether Spark runs the job in streaming mode: with `--streaming`, or when a PCollection is
 * unbounded (Beam's SparkPipelineRunner switches to streaming then: hasUnboundedPCollections).
 */
function sparkStreaming(graph: PipelineGraph, options: Readonly<Record<string, unknown>>): boolean {
  return isTrue(options["streaming"]) || [...graph.pcollections.values()].some((pc) => !pc.isBounded);
}

/**
 * Whole-job checks for Spark: an unbounded PCollection makes Beam's Spark runner run the job
 * as a Spark Streaming job, which runs until it is cancelled; without `--streaming` the user
 * expected a batch job that finishes.
 */
function checkSparkJob(graph: PipelineGraph, options: Readonly<Record<string, unknown>>): void {
  if (isTrue(options["streaming"])) return;
  for (const pc of graph.pcollections.values()) {
    if (pc.isBounded) continue;
    throw unsupported(
      "unbounded PCollection in batch mode",
      graph.transforms.get(pc.producer)!,
      "its output is unbounded; Beam's Spark runner then runs the job as a Spark Streaming job, which never finishes by itself " +
        "(it runs until cancelled). Pass --streaming to run it so on purpose, bound the source (e.g. a maximum number of records " +
        "or a stop time), or run unbounded pipelines on Flink.",
    );
  }
}

/**
 * What Beam's portable Spark runner (2.70) cannot run. Its translators (SparkBatch- and
 * SparkStreamingPortablePipelineTranslator) know only impulse, group_by_key, flatten,
 * reshuffle and executable stages, so a TestStream is an "unknown URN" inside the runner;
 * its streaming translation refuses executable stages with side inputs ("Side inputs to
 * executable stage are currently unsupported") and keeps user state per micro-batch, not
 * per key (one key's state was seen holding every key's values, then the job hung).
 */
function checkSpark(t: Readonly<TransformNode>, streaming: boolean): void {
  const p = t.primitive!;
  if (p.kind === "testStream") {
    throw unsupported(
      `TestStream (${TEST_STREAM_URN})`,
      t,
      `Spark's portable runner does not know ${TEST_STREAM_URN} (its translators run impulse, GroupByKey, Flatten, Reshuffle and ` +
        "executable stages only). Test with TestStream on the embedded runner, Prism or Flink.",
    );
  }
  if (!streaming || p.kind !== "parDo") return;
  if (p.stateful) {
    throw unsupported(
      "stateful DoFn in streaming mode",
      t,
      "Spark's portable streaming mode gives stateful DoFns wrong results (state is not kept per key and window) and can hang. " +
        "Run the job in batch mode (bounded sources, no --streaming), or on Flink or the embedded runner.",
    );
  }
  if (p.sideInputs.length > 0) {
    throw unsupported(
      "side inputs in streaming mode",
      t,
      "Spark's portable streaming mode refuses executable stages with side inputs (\"Side inputs to executable stage are currently " +
        "unsupported\"). Run the job in batch mode (bounded sources, no --streaming), or on Flink or the embedded runner.",
    );
  }
}

/** The Runner API URN of TestStream, which Spark's portable translators lack. */
const TEST_STREAM_URN = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Primitives"].TEST_STREAM;

const STANDARD_WINDOW_FNS: ReadonlySet<string> = new Set(Object.values(WindowFnUrns));

/**
 * The timestamp combiner a portable runner is given (the Runner API's OutputTime), or
 * undefined when there is none for it. The Runner API has no EARLIEST_TRANSFORMED (Beam
 * Python's OUTPUT_AT_EARLIEST_TRANSFORMED: its Windowing.to_runner_api fails with "unknown
 * enum label" for it, whatever the WindowFn). beam-ts sends it as EARLIEST_IN_PANE when
 * the WindowFn has no getTransformedOutputTime (every standard WindowFn): its output times
 * are then the elements' timestamps, so EARLIEST_TRANSFORMED is EARLIEST exactly. A
 * WindowFn that shifts output times cannot be expressed, as the runner computes the holds.
 */
export function portableTimestampCombiner(windowing: WindowingStrategy): Exclude<TimestampCombiner, "EARLIEST_TRANSFORMED"> | undefined {
  const combiner = windowing.timestampCombiner;
  if (combiner !== "EARLIEST_TRANSFORMED") return combiner;
  return windowing.windowFn.getTransformedOutputTime === undefined ? "EARLIEST" : undefined;
}

/** The refusal of a windowing whose timestamp combiner the Runner API cannot carry. */
export function transformedOutputTimeRefusal(windowing: WindowingStrategy, where: string): UnsupportedFeatureError {
  return new UnsupportedFeatureError(
    "EARLIEST_TRANSFORMED timestamp combiner",
    `${where}: its output is windowed by ${windowing.windowFn.toString()}, whose getTransformedOutputTime shifts output times, with the ` +
      "EARLIEST_TRANSFORMED timestamp combiner; the Runner API has no such timestamp combiner (a portable runner's GroupByKey stamps " +
      'panes END_OF_WINDOW, EARLIEST or LATEST from the elements\' own timestamps). Use timestampCombiner "EARLIEST", or run on the ' +
      "embedded runner.",
  );
}

function checkWindowing(runner: string, windowing: WindowingStrategy, producer: Readonly<TransformNode>): void {
  if (portableTimestampCombiner(windowing) === undefined) throw transformedOutputTimeRefusal(windowing, producer.fullLabel);
  const fn = windowing.windowFn;
  if (STANDARD_WINDOW_FNS.has(fn.urn)) return;
  if (runner === "flink") {
    throw unsupported(
      "custom WindowFn",
      producer,
      `its output is windowed by ${fn.toString()}, a user-defined WindowFn; Flink runs only Beam's standard WindowFns (global, fixed, sliding, sessions). ` +
        "Use a standard WindowFn, or run on the embedded runner or Prism.",
    );
  }
  if (runner === "prism" && fn.isMerging) {
    throw unsupported(
      "custom merging WindowFn",
      producer,
      `its output is windowed by ${fn.toString()}, a user-defined merging WindowFn; Prism merges only Beam's session windows. ` +
        "Use sessions(), or run on the embedded runner.",
    );
  }
}

function unsupported(feature: string, t: Readonly<TransformNode>, why: string): UnsupportedFeatureError {
  return new UnsupportedFeatureError(feature, `${t.fullLabel}: ${why}`);
}
