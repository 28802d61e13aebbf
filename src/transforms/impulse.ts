import { GLOBAL_WINDOWING } from "../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../pipeline/index.js";
import { bytesCoder } from "../coders/index.js";

/**
 * Beam's Impulse: a single empty byte array in the global window at the minimum
 * timestamp. Every source starts from it.
 */
export function impulse(): PTransform<PBegin, PCollection<Uint8Array>> {
  return new Impulse("Impulse");
}

class Impulse extends PTransform<PBegin, PCollection<Uint8Array>> {
  expand(input: PBegin): PCollection<Uint8Array> {
    const [out] = input.pipeline.addPrimitive({ kind: "impulse" }, [], [
      { tag: "main", coder: bytesCoder, windowing: GLOBAL_WINDOWING, isBounded: true },
    ]);
    return out as PCollection<Uint8Array>;
  }
}
