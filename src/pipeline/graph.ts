import type { Coder, TestStreamEvent, WindowingStrategy } from "../model/index.js";
import type { Schema } from "../coders/index.js";
import type { StateMigrations } from "./state-migration.js";

/**
 * The construction graph: plain records of transforms and PCollections, built by
 * Pipeline and read by runners. After `Pipeline.run` the graph is frozen.
 */

/** A primitive transform's specification; runners execute these. */
export type PrimitiveSpec =
  | { readonly kind: "impulse" }
  | {
      readonly kind: "parDo";
      /** The DoFn; typed loosely here because the graph holds DoFns of every type. */
      readonly doFn: object;
      readonly mainOutputTag: string;
      readonly sideInputs: readonly SideInputSpec[];
      /** Upper bound on concurrent async `process` calls per bundle. */
      readonly maxConcurrency: number;
      /** How far outputWithTimestamp may move an element back in event time (ms). */
      readonly allowedTimestampSkew: number;
      /** The DoFn declares state or timers: its input is keyed, processed per key and window. */
      readonly stateful: boolean;
      /** The DoFn is splittable (restrictions, trackers): Beam's SplittableParDo. */
      readonly splittable: boolean;
    }
  | {
      readonly kind: "groupByKey";
      /** When set, elements dropped as too late go to this output instead (beam-ts extension). */
      readonly lateOutputTag?: string;
    }
  | { readonly kind: "flatten" }
  /** Beam's Read primitive: a source that reports its own watermark (see transforms/read.ts). */
  | { readonly kind: "read"; readonly source: object }
  /** Beam's TestStream primitive: scripted elements, watermarks and processing time. */
  | { readonly kind: "testStream"; readonly events: readonly TestStreamEvent[] }
  | { readonly kind: "assignWindows"; readonly windowing: WindowingStrategy }
  /**
   * A transform of another SDK (Java, Python, ...) or another beam-ts process, expanded by
   * a Beam expansion service when a portable runner translates the pipeline (Beam's
   * cross-language transforms; see docs/CROSS_LANGUAGE.md). Its outputs are placeholders
   * until then; the embedded runner rejects it.
   */
  | ({ readonly kind: "external" } & ExternalTransformSpec);

/** What an external (cross-language) transform asks its expansion service to expand. */
export interface ExternalTransformSpec {
  /** The transform's URN, e.g. `beam:external:java:generate_sequence:v1`. */
  readonly urn: string;
  /**
   * The FunctionSpec payload as given. When absent, `config` is sent as Beam's
   * ExternalConfigurationPayload (a schema and a row), as Python's ExternalTransform does.
   */
  readonly payload?: Uint8Array;
  /** Configuration fields (snake_case, as Beam's expansion services expect). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The configuration's Beam schema; inferred from `config` when absent. */
  readonly configSchema?: Schema;
  /** host:port of the expansion service (gRPC ExpansionService). */
  readonly expansionService: string;
  /**
   * The output tags the caller expects, in order; empty when the transform has one output
   * (whatever the expansion service calls it).
   */
  readonly outputTags: readonly string[];
}

/**
 * Marks a composite transform that runners may execute specially (Beam does the same
 * with composite URNs such as combine_per_key); its children remain a valid expansion.
 */
export type CompositeAnnotation =
  | { readonly kind: "combinePerKey"; readonly combineFn: object }
  | { readonly kind: "reshuffle" };

/** How a side input is read: Beam's iterable or multimap materialization plus a view. */
export interface SideInputSpec {
  /** The local name the DoFn uses; unique within the ParDo. */
  readonly tag: string;
  readonly pcollection: string;
  readonly view: object;
}

/** One applied transform. */
export interface TransformNode {
  readonly id: string;
  /** The unique full label, e.g. `CountWords/Split`. The root has the empty label. */
  readonly fullLabel: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly children: string[];
  /** Input PCollection ids by local tag. */
  readonly inputs: Record<string, string>;
  /** Output PCollection ids by local tag. */
  readonly outputs: Record<string, string>;
  primitive: PrimitiveSpec | undefined;
  annotation: CompositeAnnotation | undefined;
}

/** One PCollection. */
export interface PCollectionNode {
  readonly id: string;
  readonly producer: string;
  readonly tag: string;
  coder: Coder<unknown>;
  windowing: WindowingStrategy;
  readonly isBounded: boolean;
  readonly consumers: string[];
}

/** The whole graph; runners read it, never write it. */
export interface PipelineGraph {
  readonly transforms: ReadonlyMap<string, Readonly<TransformNode>>;
  readonly pcollections: ReadonlyMap<string, Readonly<PCollectionNode>>;
  readonly rootId: string;
  /** State coder changes declared with `Pipeline.migrateState`, by step label; read when a job restores. */
  readonly stateMigrations?: StateMigrations;
}

/** Transforms in the order they were applied, primitives only (leaves). */
export function primitiveTransforms(graph: PipelineGraph): Readonly<TransformNode>[] {
  return [...graph.transforms.values()].filter((t) => t.primitive !== undefined);
}
