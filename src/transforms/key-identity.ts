import type { Coder } from "../model/index.js";
import { encodeToBytes } from "../coders/index.js";

/**
 * Beam groups keys by their encoded bytes. Encoding every key is slow, so for the coders
 * whose equality matches JS equality on primitives (strings, safe integers, the JS value
 * coder on strings/numbers/booleans) the key itself is its identity. Other keys are
 * encoded with the deterministic key coder and the bytes become a string.
 */
export type KeyIdentity = string | number | boolean | null | undefined;

const PRIMITIVE_SAFE = new Set([
  "beam:coder:string_utf8:v1",
  "beam:coder:varint:v1",
  "beam:coder:bool:v1",
  "beam-ts:coder:js_value:v1",
  "beam-ts:coder:js_value_deterministic:v1",
]);

/** Returns a function from key to a value usable as a JS Map key with Beam's equality. */
export function keyIdentityFn(keyCoder: Coder<unknown>): (key: unknown) => KeyIdentity {
  if (PRIMITIVE_SAFE.has(keyCoder.urn)) {
    return (key) => {
      const t = typeof key;
      if (t === "string" || t === "number" || t === "boolean" || key === null || key === undefined) {
        return key as KeyIdentity;
      }
      // Prefix so an encoded object never equals a plain string key.
      return `\u0000${encodeKey(keyCoder, key)}`;
    };
  }
  return (key) => encodeKey(keyCoder, key);
}

/** The encoded bytes of a key as a string (one char per byte). */
export function encodeKey(keyCoder: Coder<unknown>, key: unknown): string {
  const bytes = encodeToBytes(keyCoder, key, true);
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}
