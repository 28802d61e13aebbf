import { isUtf8 } from "node:buffer";
import { bytesCoder } from "../../coders/index.js";
import type { BadRecord, DoFn, ProcessContext } from "../../transforms/index.js";
import { truncate } from "./text-io-error.js";

/**
 * What a text reader does with a line whose bytes are not valid UTF-8:
 *
 * - `"fail"` (default): the job fails with a TextIOError naming the file, the byte offset
 *   of the first bad byte and the line number.
 * - `"replace"`: each ill-formed sequence becomes U+FFFD (as WHATWG's TextDecoder) and the
 *   line is read; each such line adds 1 to the counter INVALID_UTF8_LINES_METRIC.
 * - `"deadLetter"`: such lines are not read; each goes to a `failures` output as a
 *   BadRecord holding the line's raw bytes, and the reader returns `{ output, failures }`.
 *
 * Java's TextIO replaces silently; Python's ReadFromText fails (strict decoding).
 *
 * @example p.apply(readText("legacy/*.csv", { invalidUtf8: "replace" }))
 */
export type InvalidUtf8Treatment = "fail" | "replace" | "deadLetter";

/** The treatments, for option checks. */
export const INVALID_UTF8_TREATMENTS: readonly InvalidUtf8Treatment[] = ["fail", "replace", "deadLetter"];

/**
 * The counter of lines read with U+FFFD replacements (`invalidUtf8: "replace"`), reported
 * by the reading step (`<reader>/ReadLines`).
 *
 * @example result.metrics().queryMetrics(INVALID_UTF8_LINES_METRIC).counters
 */
export const INVALID_UTF8_LINES_METRIC = { namespace: "beam-ts.io.text", name: "invalidUtf8Lines" } as const;

/** Where a line's bytes stop being UTF-8. */
export interface InvalidUtf8 {
  /**
   * Byte offset of the first byte of the first ill-formed sequence: in the file, or in the
   * decompressed stream for a compressed file.
   */
  readonly at: number;
  /** Index of that byte in `bytes` (so the line's bytes start at `at - index`). */
  readonly index: number;
  /** The line's raw bytes (without its terminator; the BOM of the first line excluded). */
  readonly bytes: Uint8Array;
}

/**
 * The index of the first byte of the first ill-formed UTF-8 sequence in `bytes[from, to)`,
 * or -1 when it is all valid UTF-8 (Unicode's Table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF; a sequence cut by `to` is ill-formed).
 *
 * @example firstInvalidUtf8(Buffer.from([0x61, 0xe9, 0x62])) // 1
 */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0, to = bytes.length): number {
  // Valid input (the common case) is answered by Node's SIMD validator.
  if (isUtf8(bytes.subarray(from, to))) return -1;
  let i = from;
  while (i < to) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      else if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      else if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + more >= to) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= more; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return -1;
}

/**
 * Where `bytes[from, to)`, decoded with replacement as `text`, is not valid UTF-8
 * (`position` is the file offset of `bytes[from]`), or undefined when it is valid. The
 * exact check runs only when the text holds a U+FFFD: an ill-formed sequence always decodes
 * to one, and a text without one answers `includes` at once (V8 keeps it one-byte when it
 * has no character above U+00FF).
 *
 * @example invalidUtf8In(buf, 0, buf.length, 0, buf.toString("utf8"))
 */
export function invalidUtf8In(bytes: Buffer, from: number, to: number, position: number, text: string): InvalidUtf8 | undefined {
  if (!text.includes("\uFFFD")) return undefined;
  const bad = firstInvalidUtf8(bytes, from, to);
  if (bad < 0) return undefined;
  const index = bad - from;
  return { at: position + index, index, bytes: new Uint8Array(bytes.subarray(from, to)) };
}

/** The bad bytes in hex, e.g. `0xE9 0x20`: the ill-formed sequence and what follows, up to 4 bytes. */
function badBytes(invalid: InvalidUtf8): string {
  const shown = Array.from(invalid.bytes.subarray(invalid.index, invalid.index + 4), (b) => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`);
  return shown.join(" ");
}

/** Where a bad line is: its file, and its line number when known. */
export interface InvalidLineAt {
  readonly file: string;
  /** 1-based line number, when known. */
  readonly line?: number;
  /** The file is compressed: offsets count decompressed bytes. */
  readonly compressed: boolean;
}

/** "byte 12 (line 3) of "f.txt"" — the position of a bad byte, for messages. */
export function describeInvalidUtf8(where: InvalidLineAt, invalid: InvalidUtf8): string {
  const line = where.line === undefined ? "" : `, line ${where.line}`;
  const stream = where.compressed ? " of the decompressed stream" : "";
  return `invalid UTF-8 at byte ${invalid.at}${stream}${line} of "${where.file}" (bytes ${badBytes(invalid)})`;
}

/** The message of the TextIOError that `invalidUtf8: "fail"` raises. */
export function invalidUtf8Message(reader: string, where: InvalidLineAt, invalid: InvalidUtf8, text: string): string {
  return (
    `${reader}: ${describeInvalidUtf8(where, invalid)}: ${truncate(text)}. Text files are read as UTF-8: ` +
    `convert the file (e.g. iconv -f latin1 -t utf-8), or pass { invalidUtf8: "replace" } to read bad bytes as U+FFFD ` +
    `(counted in the metric ${INVALID_UTF8_LINES_METRIC.namespace}/${INVALID_UTF8_LINES_METRIC.name}), or ` +
    `{ invalidUtf8: "deadLetter" } to send such lines to a "failures" output.`
  );
}

/** A line from the reader on its way to RouteInvalidUtf8DoFn. */
export interface MaybeInvalidLine {
  readonly file: string;
  readonly text: string;
  /** Byte offset of the line start (files read by byte ranges). */
  readonly offset?: number;
  /** 1-based line number (compressed files). */
  readonly line?: number;
  readonly invalid?: InvalidUtf8;
}

/**
 * `invalidUtf8: "deadLetter"`: valid lines go on (as `toOutput` of the line) to the main
 * output; each invalid one goes to `failures` as a BadRecord of the reading step `step`
 * (full label), with the line's raw bytes (`bytesCoder`) and where it went wrong.
 */
export class RouteInvalidUtf8DoFn<R extends MaybeInvalidLine, Out> implements DoFn<R, Out, { failures: BadRecord }> {
  constructor(
    readonly step: string,
    readonly toOutput: (line: R) => Out,
  ) {}

  process(line: R, ctx: ProcessContext<Out, { failures: BadRecord }>): void {
    const invalid = line.invalid;
    if (invalid === undefined) {
      ctx.output(this.toOutput(line));
      return;
    }
    const compressed = line.line !== undefined;
    const lineOffset = invalid.at - invalid.index;
    const where: InvalidLineAt = { file: line.file, compressed, ...(compressed ? { line: line.line } : {}) };
    const description = describeInvalidUtf8(where, invalid);
    ctx.outputTo("failures", {
      step: this.step,
      element: { preview: truncate(line.text), encoded: invalid.bytes, coder: bytesCoder.urn },
      error: {
        type: "TextIOError",
        message: description.charAt(0).toUpperCase() + description.slice(1),
        stack: "",
        description: `decoding the line starting at byte ${lineOffset} of "${line.file}" as UTF-8`,
      },
      window: ctx.window.toString(),
      timestamp: ctx.timestamp,
      attempt: 1,
      failedAt: Date.now(),
    });
  }
}
