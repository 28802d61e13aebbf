import type { Coder } from "../model/index.js";
import { boolCoder, bytesCoder, doubleCoder, stringUtf8Coder, varIntCoder } from "./primitives.js";
import { jsValueCoder } from "./js-value-coder.js";
import { kvCoder } from "./structural.js";

/**
 * Picks a coder for a list of example values (what `create` is given): a standard Beam
 * coder when every value has the same simple type, KVs component-wise, and the JS value
 * coder otherwise. Standard coders make the data readable by other SDKs and runners.
 */
export function inferCoder(values: readonly unknown[]): Coder<unknown> {
  if (values.length === 0) return jsValueCoder;
  if (values.every((v) => typeof v === "string")) return stringUtf8Coder as Coder<unknown>;
  if (values.every((v) => Number.isSafeInteger(v) && !Object.is(v, -0))) return varIntCoder as Coder<unknown>;
  if (values.every((v) => typeof v === "number")) return doubleCoder as Coder<unknown>;
  if (values.every((v) => typeof v === "boolean")) return boolCoder as Coder<unknown>;
  if (values.every((v) => v instanceof Uint8Array)) return bytesCoder as Coder<unknown>;
  if (values.every(isKv)) {
    const kvs = values as { key: unknown; value: unknown }[];
    return kvCoder(
      inferCoder(kvs.map((x) => x.key)),
      inferCoder(kvs.map((x) => x.value)),
    ) as Coder<unknown>;
  }
  return jsValueCoder;
}

function isKv(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const keys = Object.keys(v);
  return keys.length === 2 && "key" in v && "value" in v;
}
