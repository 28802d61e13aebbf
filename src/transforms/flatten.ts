import { ConstructionError } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";

/**
 * Beam's Flatten: one PCollection with the elements of all inputs. The inputs must share
 * a compatible windowing; the output takes the first input's coder.
 *
 * @example const all = flattenAll([clicks, views]);
 */
export function flatten<T>(): PTransform<readonly PCollection<T>[], PCollection<T>> {
  return new Flatten<T>("Flatten");
}

class Flatten<T> extends PTransform<readonly PCollection<T>[], PCollection<T>> {
  expand(inputs: readonly PCollection<T>[]): PCollection<T> {
    if (inputs.length === 0) {
      throw new ConstructionError("flatten needs at least one input PCollection.");
    }
    const first = inputs[0]!;
    for (const pc of inputs) {
      if (pc.windowing.windowFn.toString() !== first.windowing.windowFn.toString()) {
        throw new ConstructionError(
          `Inputs of flatten must have compatible windowing: ${first.toString()} is windowed by ` +
            `${first.windowing.windowFn.toString()} but ${pc.toString()} by ${pc.windowing.windowFn.toString()}. ` +
            `Apply the same windowInto to both first.`,
        );
      }
    }
    const [out] = first.pipeline.addPrimitive({ kind: "flatten" }, inputs as readonly PCollection<unknown>[], [
      {
        tag: "main",
        coder: first.coder as never,
        windowing: first.windowing,
        isBounded: inputs.every((pc) => pc.isBounded),
      },
    ]);
    return out as PCollection<T>;
  }
}

/** Flattens a list of PCollections: `flattenAll([a, b])`; applied as a pipeline-level transform. */
export function flattenAll<T>(inputs: readonly PCollection<T>[], name = "Flatten"): PCollection<T> {
  if (inputs.length === 0) throw new ConstructionError("flattenAll needs at least one input PCollection.");
  return inputs[0]!.pipeline.applyTransform(inputs, name, flatten<T>());
}
