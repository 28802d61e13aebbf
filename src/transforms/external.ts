import type { ByteReader, ByteWriter, Coder, WindowingStrategy } from "../model/index.js";
import { ConstructionError, GLOBAL_WINDOWING } from "../model/index.js";
import type { Schema } from "../coders/index.js";
import { PBegin, PCollection, PTransform, type ExternalTransformSpec } from "../pipeline/index.js";

/** What an external transform reads: nothing (a root), one PCollection, or PCollections by tag. */
export type ExternalInput = PBegin | PCollection<unknown> | { readonly [tag: string]: PCollection<unknown> };

/** How to reach and configure a transform of another SDK. */
export interface ExternalTransformOptions {
  /** The transform's URN, as its expansion service registers it. */
  readonly urn: string;
  /**
   * host:port of a Beam expansion service (Java's `ExpansionService`, Python's
   * `expansion_service_main`, or `beam-ts expansion-service`).
   */
  readonly expansionService: string;
  /** The spec's payload bytes, when the transform defines its own payload format. */
  readonly payload?: Uint8Array;
  /**
   * The configuration, sent as Beam's ExternalConfigurationPayload (a schema and a row), as
   * Python's `ExternalTransform` with an `ImplicitSchemaPayloadBuilder` does. Field names
   * are snake_case (Java's expansion service maps them to its configuration's setters).
   * Integers become INT64, other numbers DOUBLE, bigints INT64, strings STRING, booleans
   * BOOLEAN, Uint8Arrays BYTES, arrays ARRAY, plain objects ROW; null and undefined fields
   * are left out.
   */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The configuration's schema, when the inferred one will not do (e.g. INT32 fields). */
  readonly configSchema?: Schema;
}

/** The URN of an external output's placeholder coder: the real one comes from the expansion. */
export const EXTERNAL_OUTPUT_CODER_URN = "beam-ts:coder:external_output:v1";

class ExternalOutputCoder implements Coder<unknown> {
  readonly urn = EXTERNAL_OUTPUT_CODER_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = false;
  constructor(private readonly label: string) {}
  encode(_value: unknown, _writer: ByteWriter): void {
    throw this.unknown();
  }
  decode(_reader: ByteReader): unknown {
    throw this.unknown();
  }
  toString(): string {
    return "external";
  }
  private unknown(): ConstructionError {
    return new ConstructionError(
      `The output coder of the cross-language transform "${this.label}" is known only after its expansion: ` +
        `pass outputCoder (or outputs: { tag: coder }) to external(...) when a beam-ts transform needs it at construction.`,
    );
  }
}

/**
 * A transform of another SDK, used through a Beam expansion service (Beam's cross-language
 * transforms). The transform is expanded when a portable runner (`--runner=flink`, `prism`,
 * `spark` or `portable`) translates the pipeline: the runner sends the spec to the
 * expansion service and splices the returned sub-graph (its transforms, PCollections,
 * coders, windowing strategies and environments) into the pipeline it submits. Its output
 * reaches beam-ts DoFns through the standard coder the expansion declares (e.g.
 * `beam:coder:varint:v1` arrives as numbers). The embedded runner rejects the pipeline.
 *
 * Give `outputCoder` when a beam-ts transform needs the output's coder at construction
 * (e.g. a groupByKey right after); it is checked against the expansion's.
 *
 * @example
 * // Java's GenerateSequence, from an expansion service started with
 * // `node tools/runners/job-services.mjs expansion-service`:
 * p.apply(external<number>({
 *   urn: "beam:external:java:generate_sequence:v1",
 *   config: { start: 0, stop: 10 },
 *   expansionService: "127.0.0.1:8097",
 *   outputCoder: varIntCoder,
 * })).apply(map((n: number) => n * 2));
 */
export function external<Out = unknown>(
  options: ExternalTransformOptions & { readonly outputCoder?: Coder<Out> },
): PTransform<ExternalInput, PCollection<Out>> {
  const coder = options.outputCoder as Coder<unknown> | undefined;
  return new External<PCollection<Out>>(options, undefined, coder === undefined ? {} : { "": coder });
}

/**
 * A cross-language transform with several outputs, by the tags its expansion names them
 * (Java: the TupleTag ids of a PCollectionTuple); `undefined` leaves a tag's coder to the
 * expansion. See `external`.
 */
export function externalWithOutputs<Tag extends string>(
  options: ExternalTransformOptions & { readonly outputs: Readonly<Record<Tag, Coder<unknown> | undefined>> },
): PTransform<ExternalInput, Record<Tag, PCollection<unknown>>> {
  const tags = Object.keys(options.outputs) as Tag[];
  if (tags.length === 0) throw new ConstructionError(`externalWithOutputs(${options.urn}) needs at least one output tag; use external() for one output.`);
  const coders: Record<string, Coder<unknown>> = {};
  for (const tag of tags) {
    const c = options.outputs[tag];
    if (c !== undefined) coders[tag] = c;
  }
  return new External<Record<Tag, PCollection<unknown>>>(options, tags, coders);
}

class External<Out extends PCollection<unknown> | Record<string, PCollection<unknown>>> extends PTransform<ExternalInput, Out> {
  constructor(
    private readonly options: ExternalTransformOptions,
    /** undefined: one output, returned as a PCollection. */
    private readonly tags: readonly string[] | undefined,
    /** Declared coders by tag ("" for the single output). */
    private readonly coders: Readonly<Record<string, Coder<unknown>>>,
  ) {
    super(`External(${options.urn})`);
    validate(options);
  }

  expand(input: ExternalInput): Out {
    const inputs = input instanceof PBegin ? [] : input instanceof PCollection ? [input] : Object.values(input);
    const pipeline = input instanceof PBegin ? input.pipeline : inputs[0]?.pipeline;
    if (pipeline === undefined) throw new ConstructionError(`${this.name} got an empty record of inputs; apply it to the pipeline for a root transform.`);
    const label = pipeline.currentLabel();
    // Until the expansion says otherwise, outputs look like the (first) input.
    const first = inputs[0];
    const windowing: WindowingStrategy = first === undefined ? GLOBAL_WINDOWING : first.windowing;
    const isBounded = inputs.every((pc) => pc.isBounded);
    const spec: ExternalTransformSpec = {
      urn: this.options.urn,
      expansionService: this.options.expansionService,
      outputTags: this.tags ?? [],
      ...(this.options.payload === undefined ? {} : { payload: this.options.payload }),
      ...(this.options.config === undefined ? {} : { config: this.options.config }),
      ...(this.options.configSchema === undefined ? {} : { configSchema: this.options.configSchema }),
    };
    const tags = this.tags ?? ["main"];
    const outputs = pipeline.addPrimitive(
      { kind: "external", ...spec },
      inputs,
      tags.map((tag) => ({
        tag,
        coder: this.coders[this.tags === undefined ? "" : tag] ?? new ExternalOutputCoder(label),
        windowing,
        isBounded,
      })),
    );
    if (this.tags === undefined) return outputs[0] as Out;
    const record: Record<string, PCollection<unknown>> = {};
    tags.forEach((tag, i) => (record[tag] = outputs[i]!));
    return record as Out;
  }
}

function validate(options: ExternalTransformOptions): void {
  if (typeof options.urn !== "string" || options.urn === "") throw new ConstructionError(`external() needs the transform's urn.`);
  if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(options.expansionService ?? "")) {
    throw new ConstructionError(
      `external(${options.urn}) needs expansionService: "host:port" of a Beam expansion service; got "${String(options.expansionService)}". ` +
        `Start Java's with \`node tools/runners/job-services.mjs expansion-service\` or beam-ts's with \`beam-ts expansion-service --port=8097\`.`,
    );
  }
  if (options.payload !== undefined && (options.config !== undefined || options.configSchema !== undefined)) {
    throw new ConstructionError(`external(${options.urn}) takes either payload or config, not both.`);
  }
}
