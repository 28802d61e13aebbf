import { isUtf8 } from "node:buffer";
import { firstInvalidUtf8Offset } from "../files/index.js";

/**
 * Checks that a byte stream, fed chunk by chunk, is UTF-8, for the whole-file CSV read
 * (csv-parse itself would turn bad bytes into U+FFFD without saying so). A sequence cut by
 * a chunk's end is kept back and checked with the next chunk, so chunk boundaries never
 * produce a false error; offsets are counted over the whole stream.
 */
export class Utf8StreamCheck {
  /** Bytes of a sequence the previous chunk ended inside of. */
  private held: Buffer = Buffer.alloc(0);
  /** Stream offset of `held`'s first byte (bytes before it are checked). */
  private checked = 0;

  /** The stream offset of the first byte that is not UTF-8 in what was fed so far, or -1. */
  write(chunk: Buffer): number {
    const bytes = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const cut = incompleteTailStart(bytes);
    const complete = bytes.subarray(0, cut);
    // Valid input, the common case, is answered by Node's SIMD validator.
    if (!isUtf8(complete)) {
      const bad = firstInvalidUtf8Offset(complete);
      if (bad >= 0) return this.checked + bad;
    }
    this.checked += cut;
    this.held = Buffer.from(bytes.subarray(cut));
    return -1;
  }

  /** At the end of the stream: the offset of a sequence the stream ended inside of, or -1. */
  end(): number {
    return this.held.length === 0 ? -1 : this.checked;
  }
}

/**
 * Where a multi-byte sequence that the bytes end inside of starts (its lead byte within the
 * last 3 bytes, with fewer continuation bytes after it than it needs), or `bytes.length`.
 */
function incompleteTailStart(bytes: Buffer): number {
  const n = bytes.length;
  for (let i = n - 1; i >= Math.max(0, n - 3); i--) {
    const b = bytes[i]!;
    if (b < 0x80) return n; // ASCII: nothing pending
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return n - i < length ? i : n;
    }
  }
  return n;
}
