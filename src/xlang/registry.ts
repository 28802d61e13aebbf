import { ConstructionError } from "../model/index.js";
import type { Schema } from "../coders/index.js";
import type { PBegin, PCollection } from "../pipeline/index.js";

/** What a served transform reads: nothing, its only input, or its inputs by the caller's tags. */
export type ServedInput = PBegin | PCollection<unknown> | Readonly<Record<string, PCollection<unknown>>>;

/** What a served transform produces: nothing (a sink), one PCollection, or PCollections by tag. */
export type ServedOutput = void | PCollection<unknown> | Readonly<Record<string, PCollection<unknown>>>;

/**
 * A beam-ts transform other SDKs may use through `beam-ts expansion-service`.
 *
 * `expand` applies beam-ts transforms to the input, as a composite's expand does, with the
 * configuration the caller sent (an ExternalConfigurationPayload row, a SchemaTransform
 * configuration row, or JSON; INT64 fields arrive as numbers, or bigints past 2^53).
 * Inputs arrive with the caller's coders (Beam standard coders); outputs must have Beam
 * standard coders too (`.withCoder(stringUtf8Coder)`, `kvCoder(...)`, `rowCoder(schema)`),
 * because the caller's SDK decodes them. Everything in between may use any beam-ts coder.
 */
export interface ServedTransform {
  /** One line for DiscoverSchemaTransform and error messages. */
  readonly description?: string;
  /**
   * The configuration's schema. Transforms that declare one are also listed by
   * DiscoverSchemaTransform and may be used as SchemaTransforms (Python's
   * `SchemaAwareExternalTransform(identifier=<urn>, ...)`).
   */
  readonly configSchema?: Schema;
  /** Input and output names, for DiscoverSchemaTransform. */
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
  expand(input: ServedInput, config: Readonly<Record<string, unknown>>): ServedOutput;
}

/** The transforms an expansion service serves, by URN. */
export class ServedTransformRegistry {
  private readonly byUrn = new Map<string, ServedTransform>();

  /** Registers `transform` under `urn`; a URN is registered once. */
  register(urn: string, transform: ServedTransform): this {
    if (this.byUrn.has(urn)) throw new ConstructionError(`A transform is already registered for ${urn}; each URN names one transform.`);
    this.byUrn.set(urn, transform);
    return this;
  }

  get(urn: string): ServedTransform | undefined {
    return this.byUrn.get(urn);
  }

  urns(): string[] {
    return [...this.byUrn.keys()].sort();
  }

  entries(): [string, ServedTransform][] {
    return [...this.byUrn.entries()];
  }
}

/** The registry `beam-ts expansion-service` serves (the built-ins plus what modules register). */
export const defaultRegistry = new ServedTransformRegistry();

/**
 * Registers a beam-ts transform with this process's expansion service, so Java, Python
 * and Go pipelines can use it by URN (`beam-ts expansion-service --module=<this file>`).
 *
 * @example
 * registerExternalTransform("beam:external:acme:shout:v1", {
 *   expand: (input, config) =>
 *     (input as PCollection<string>)
 *       .apply(map((s: string) => `${s}${String(config["suffix"] ?? "!")}`))
 *       .withCoder(stringUtf8Coder),
 * });
 */
export function registerExternalTransform(urn: string, transform: ServedTransform): void {
  defaultRegistry.register(urn, transform);
}
