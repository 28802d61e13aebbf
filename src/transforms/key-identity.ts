import type { Coder } from "../model/index.js";
import { BufferWriter, encodeToBytes } from "../coders/index.js";

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

/**
 * Buffer's native latin1 decoder, which accepts any Uint8Array: one char per byte, as
 * String.fromCharCode, in one call (spreading the bytes into fromCharCode was a fifth of
 * a keyed Combine's time on composite keys).
 */
const nativeLatin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/** Keys are encoded here and read straight out as a string: no copy of their bytes. */
const keyWriter = new BufferWriter(256);
let keyWriterBusy = false;

/** The encoded bytes of a key as a string (one char per byte). */
export function encodeKey(keyCoder: Coder<unknown>, key: unknown): string {
  if (nativeLatin1Slice !== undefined && !keyWriterBusy) {
    // A key coder could encode a key of its own (re-entry): that one takes the slow path.
    keyWriterBusy = true;
    try {
      keyWriter.reset();
      keyCoder.encode(key, keyWriter, true);
      const bytes = keyWriter.written();
      return nativeLatin1Slice.call(bytes, 0, bytes.length);
    } finally {
      keyWriterBusy = false;
    }
  }
  const bytes = encodeToBytes(keyCoder, key, true);
  if (nativeLatin1Slice !== undefined) return nativeLatin1Slice.call(bytes, 0, bytes.length);
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}
