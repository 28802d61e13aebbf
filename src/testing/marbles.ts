import type { Coder, Duration, Instant, KV } from "../model/index.js";
import { ConstructionError, MIN_TIMESTAMP, kv } from "../model/index.js";
import type { PBegin, PCollection, PTransform } from "../pipeline/index.js";
import { TestStream } from "./test-stream.js";

/** Options of testStream. */
export interface MarbleOptions<T> {
  /**
   * Elements are `key:value` KVs (the key a string, the value parsed as `parseMarbleValue`
   * does; see `parseMarbleKv`). Required, and only allowed, for a stream of KVs.
   */
  readonly kv?: boolean;
  /** Turns an element token into a value. Default: `parseMarbleValue`, or `parseMarbleKv` with `kv`. */
  readonly parse?: (token: string) => T;
  readonly coder?: Coder<T>;
}

/**
 * testStream's options, by element type: a stream of KVs says so with `kv: true` (or parses
 * its own tokens), so `a:b` in a stream of strings stays the string "a:b".
 */
export type MarbleArgs<T> = [T] extends [KV<unknown, unknown>]
  ? [options: MarbleOptions<T> & ({ readonly kv: true } | { readonly parse: (token: string) => T })]
  : [options?: MarbleOptions<T> & { readonly kv?: false }];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parses `1500`, `1500ms`, `2s`, `5m`, `1h`, `1.5s` into milliseconds. */
export function parseMarbleTime(text: string, where: string): number {
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|min|h)?$/.exec(text);
  if (m === null) {
    throw new ConstructionError(`testStream: "${text}" in ${where} is not a time; write 1500, 1500ms, 2s, 5m or 1h.`);
  }
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]!);
}

/**
 * The default element parser: numbers become numbers, `"quoted"` stays a string without
 * the quotes, anything else (`a:b` included) is a string.
 */
export function parseMarbleValue(token: string): unknown {
  if (/^"(.*)"$/.test(token)) return token.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  return token;
}

/**
 * The element parser of a stream of KVs (`kv: true`): `key:value`, the key a string (up to
 * the first colon), the value parsed by `parseMarbleValue`. `where` names the line for errors.
 */
export function parseMarbleKv(token: string, where = "the script"): KV<string, unknown> {
  const colon = token.indexOf(":");
  if (colon <= 0 || colon === token.length - 1) {
    throw new ConstructionError(`testStream: "${token}" in ${where} is not key:value; a stream with kv: true has KV elements only.`);
  }
  return kv(token.slice(0, colon), parseMarbleValue(token.slice(colon + 1)));
}

/**
 * A TestStream written as text, one event per line (or separated by `|`):
 *
 * - `a@1s b@2s` — a bundle of elements; `value@time`, or a bare value at the current
 *   watermark; with `{ kv: true }` (required for a stream of KVs) each value is `key:value`;
 * - `wm 10s` — advance the watermark to 10 s (`wm inf` or `end`: to +infinity);
 * - `pt +5s` — advance processing time by 5 s;
 * - `# ...` — a comment.
 *
 * The script always ends with the watermark at +infinity. Times are milliseconds since the
 * epoch, with an optional unit (ms, s, m, h).
 *
 * @example
 * const scores = p.apply(testStream<KV<string, number>>(`
 *   alice:3@1s bob:5@2s
 *   wm 1m          # the first minute is complete
 *   alice:1@30s    # late, within the allowed lateness
 * `, { kv: true }));
 */
export function testStream<T>(script: string, ...args: MarbleArgs<T>): PTransform<PBegin, PCollection<T>> {
  const options: MarbleOptions<T> = args[0] ?? {};
  const parseKv = options.kv === true;
  const parse = options.parse ?? (parseKv ? undefined : (parseMarbleValue as (token: string) => T));
  const stream = TestStream.create<T>(options.coder);
  let watermark: Instant = MIN_TIMESTAMP;
  const lines = script.split("\n").flatMap((line, n) =>
    line
      .replace(/#.*$/, "")
      .split("|")
      .map((part) => ({ text: part.trim(), where: `line ${n + 1}` })),
  );
  for (const { text, where } of lines) {
    if (text === "") continue;
    const words = text.split(/\s+/);
    const head = words[0]!;
    if (head === "end") {
      if (words.length > 1) throw new ConstructionError(`testStream: "end" takes nothing after it (${where}).`);
      return stream.advanceWatermarkToInfinity();
    }
    if (head === "wm" || head === "watermark") {
      const arg = one(words, where);
      if (arg === "inf" || arg === "+inf") return finish(stream, lines, where);
      watermark = parseMarbleTime(arg, where);
      stream.advanceWatermarkTo(watermark);
      continue;
    }
    if (head === "pt" || head === "processingTime") {
      const arg = one(words, where);
      stream.advanceProcessingTime(parseMarbleTime(arg.replace(/^\+/, ""), where) as Duration);
      continue;
    }
    stream.addElements(
      ...words.map((token) => {
        const at = token.lastIndexOf("@");
        const text = at < 0 ? token : token.slice(0, at);
        const value = parse !== undefined ? parse(text) : (parseMarbleKv(text, where) as T);
        return { value, timestamp: at < 0 ? watermark : parseMarbleTime(token.slice(at + 1), where) };
      }),
    );
  }
  return stream.advanceWatermarkToInfinity();
}

function one(words: readonly string[], where: string): string {
  if (words.length !== 2) throw new ConstructionError(`testStream: "${words.join(" ")}" (${where}) needs exactly one argument.`);
  return words[1]!;
}

function finish<T>(stream: TestStream<T>, lines: readonly { text: string; where: string }[], where: string): PTransform<PBegin, PCollection<T>> {
  const after = lines.slice(lines.findIndex((l) => l.where === where && /^(wm|watermark)\s+\+?inf$/.test(l.text)) + 1);
  if (after.some((l) => l.text !== "")) {
    throw new ConstructionError(`testStream: events after "wm inf" (${where}) would never happen; remove them.`);
  }
  return stream.advanceWatermarkToInfinity();
}
