import type { Coder } from "../model/index.js";
import { BufferWriter, CoderUrns, decodeFromBytes, encodeToBytes } from "../coders/index.js";

/**
 * A key as a JS Map key with Beam's equality: two keys are one key exactly when their
 * encodings under the key coder are equal (Beam's runners group by the encoded key bytes).
 * Encoding every key is slow, so where a coder's encoding is one-to-one on some primitive
 * values, those values are their own identity (`FAST_PATHS`); every other key is its
 * encoding, one char per byte.
 */
export type KeyIdentity = string | number | boolean | null | undefined;

/** Beam's key equality for one key coder, and the key a grouping outputs. */
export interface KeyIdentifier {
  /** The identity of `key`: equal (as JS Map keys) for two keys iff their encodings are equal. */
  readonly id: (key: unknown) => KeyIdentity;
  /**
   * The key a grouping outputs for the group of `key` (whose identity is `id`, computed
   * when not given): the key decoded from its encoding, as every Beam runner outputs it
   * (Java's direct runner decodes its StructuralKey, Python's its encoded key, portable
   * runners hand the key bytes to the SDK). A primitive that is its own identity is
   * returned as that identity (-0 becomes 0 where the coder writes 0); other keys are
   * decoded, so the output is one value per group whichever of its keys arrived first.
   */
  readonly outputKey: (key: unknown, id?: KeyIdentity) => unknown;
}

/** What a fast path returns for a key it cannot vouch for: the key is encoded. */
const ENCODE: unique symbol = Symbol("beam-ts.encodeKey");
type FastPath = (key: unknown) => KeyIdentity | typeof ENCODE;

const stringMethods = String.prototype as { isWellFormed?: (this: string) => boolean; toWellFormed?: (this: string) => string };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `s` with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder writes it. */
function wellFormed(s: string): string {
  if (stringMethods.isWellFormed !== undefined && stringMethods.toWellFormed !== undefined) {
    return stringMethods.isWellFormed.call(s) ? s : stringMethods.toWellFormed.call(s);
  }
  return s.replace(LONE_SURROGATE, "\uFFFD");
}

/**
 * A string's identity is the string its UTF-8 bytes decode to: itself, with each lone
 * surrogate replaced by U+FFFD (so "\uD800", "\uDC00" and "\uFFFD" are one key, as their
 * bytes are). A string starting with U+0000, the prefix that marks an encoded identity, is
 * encoded.
 */
function stringIdentity(s: string): KeyIdentity | typeof ENCODE {
  return s.charCodeAt(0) === 0 ? ENCODE : wellFormed(s);
}

/**
 * The JS value coder's numbers: safe integers as varints, everything else as the double's
 * eight bytes, so each NaN payload is a key of its own and NaN is always encoded (as far as
 * the engine keeps payloads: ECMAScript lets it pick any NaN's bits, and V8 canonicalizes a
 * NaN it stores in an array of doubles). Both modes write -0 as a double, so it is a key of
 * its own (Beam's rule: keys are their bytes).
 */
function jsValueFastPath(): FastPath {
  return (key) => {
    switch (typeof key) {
      case "string":
        return stringIdentity(key);
      case "number":
        if (key !== key) return ENCODE;
        if (key === 0) return Object.is(key, -0) ? ENCODE : 0;
        return key;
      case "boolean":
      case "undefined":
        return key;
      default:
        return key === null ? null : ENCODE;
    }
  };
}

/**
 * The coders whose encoding is one-to-one on some primitives, with the identity of those:
 * the value their bytes decode to (-0 under varint is 0, a lone surrogate U+FFFD).
 * Invariant: a key a fast path sends to ENCODE never has the bytes of a key it does not,
 * so an encoded identity and an own identity never stand for the same key.
 */
const FAST_PATHS: ReadonlyMap<string, FastPath> = new Map<string, FastPath>([
  [CoderUrns.stringUtf8, (key) => (typeof key === "string" ? stringIdentity(key) : ENCODE)],
  // bigVarIntCoder shares the URN; its bigint keys are encoded.
  [CoderUrns.varint, (key) => (typeof key === "number" && Number.isSafeInteger(key) ? (key === 0 ? 0 : key) : ENCODE)],
  [CoderUrns.bool, (key) => (typeof key === "boolean" ? key : ENCODE)],
  // IEEE 754 bytes: -0 differs from 0 and NaNs differ by payload, so both are encoded.
  [CoderUrns.double, (key) => (typeof key === "number" && key === key && !Object.is(key, -0) ? key : ENCODE)],
  [CoderUrns.jsValue, jsValueFastPath()],
  [CoderUrns.jsValueDeterministic, jsValueFastPath()],
]);

/** U+0000 before an encoded identity, so it never equals a string that is its own identity. */
const ENCODED = "\u0000";

/** Beam's key equality for keys encoded by `keyCoder`, and the keys a grouping outputs. */
export function keyIdentifier(keyCoder: Coder<unknown>): KeyIdentifier {
  const fast = FAST_PATHS.get(keyCoder.urn);
  if (fast === undefined) {
    const id = (key: unknown): KeyIdentity => encodeKey(keyCoder, key);
    return { id, outputKey: (key, given) => decodeKey(keyCoder, (given ?? id(key)) as string, 0) };
  }
  const id = (key: unknown): KeyIdentity => {
    const own = fast(key);
    return own === ENCODE ? ENCODED + encodeKey(keyCoder, key) : own;
  };
  return {
    id,
    outputKey: (key, given) => {
      const i = given === undefined ? id(key) : given;
      // Only an encoded identity is a string starting with U+0000.
      return typeof i === "string" && i.charCodeAt(0) === 0 ? decodeKey(keyCoder, i, 1) : i;
    },
  };
}

/** Returns a function from key to a value usable as a JS Map key with Beam's equality. */
export function keyIdentityFn(keyCoder: Coder<unknown>): (key: unknown) => KeyIdentity {
  return keyIdentifier(keyCoder).id;
}

/** The key whose encoding is `id` from `offset` on (one char per byte). */
function decodeKey(keyCoder: Coder<unknown>, id: string, offset: number): unknown {
  const bytes = Buffer.from(offset === 0 ? id : id.slice(offset), "latin1");
  return decodeFromBytes(keyCoder, bytes, true);
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
