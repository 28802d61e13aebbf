import { ConstructionError } from "../model/index.js";
import { kvCoder, stringUtf8Coder, varIntCoder } from "../coders/index.js";
import { PCollection } from "../pipeline/index.js";
import { countPerElement, map } from "../transforms/index.js";
import type { ServedInput, ServedTransformRegistry } from "./registry.js";

/** URNs of the transforms every beam-ts expansion service serves. */
export const BuiltinUrns = {
  /** Strings → strings with `config.prefix` in front (a ParDo in beam-ts). */
  addPrefix: "beam:external:beam_ts:add_prefix:v1",
  /** Strings → KV(string, count) (Combine.perKey in beam-ts, the GroupByKey in the runner). */
  countPerElement: "beam:external:beam_ts:count_per_element:v1",
} as const;

function stringsOf(input: ServedInput, urn: string): PCollection<string> {
  if (!(input instanceof PCollection)) throw new ConstructionError(`${urn} takes one PCollection of strings.`);
  if (input.coder.urn !== stringUtf8Coder.urn) {
    throw new ConstructionError(`${urn} takes strings coded with ${stringUtf8Coder.urn}, not ${input.coder.urn} (Python: .with_output_types(str)).`);
  }
  return input as PCollection<string>;
}

/** Registers the built-in transforms in `registry` (once) and returns it. */
export function builtinTransforms(registry: ServedTransformRegistry): ServedTransformRegistry {
  if (registry.get(BuiltinUrns.addPrefix) !== undefined) return registry;
  registry.register(BuiltinUrns.addPrefix, {
    description: "Puts config.prefix (a string) in front of every string.",
    configSchema: { fields: [{ name: "prefix", type: { kind: "atomic", type: "STRING" } }] },
    inputs: ["input"],
    outputs: ["output"],
    expand: (input, config) => {
      const prefix = config["prefix"];
      if (typeof prefix !== "string") throw new ConstructionError(`${BuiltinUrns.addPrefix} needs a string config field "prefix".`);
      return stringsOf(input, BuiltinUrns.addPrefix)
        .apply("AddPrefix", map((s: string) => `${prefix}${s}`))
        .withCoder(stringUtf8Coder);
    },
  });
  registry.register(BuiltinUrns.countPerElement, {
    description: "Counts each distinct string: KV(string, count).",
    inputs: ["input"],
    outputs: ["output"],
    expand: (input) =>
      stringsOf(input, BuiltinUrns.countPerElement)
        .apply("Count", countPerElement<string>())
        .withCoder(kvCoder(stringUtf8Coder, varIntCoder)),
  });
  return registry;
}
