import type { Coder, Duration, Instant } from "../model/index.js";
import { ConstructionError, MIN_TIMESTAMP, kv } from "../model/index.js";
import type { PBegin, PCollection, PTransform } from "../pipeline/index.js";
import { TestStream } from "./test-stream.js";

/** Options of testStream. */
export interface MarbleOptions<T> {
  /** Turns an element token into a value. Default: see `parseMarbleValue`. */
  readonly parse?: (token: string) => T;
  readonly coder?: Coder<T>;
}

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
 * The default element parser: numbers become numbers, `key:value` becomes a KV (value
 * parsed the same way), `"quoted"` stays a string without the quotes, anything else is a
 * string.
 */
export function parseMarbleValue(token: string): unknown {
  if (/^"(.*)"$/.test(token)) return token.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  const colon = token.indexOf(":");
  if (colon > 0 && colon < token.length - 1) return kv(token.slice(0, colon), parseMarbleValue(token.slice(colon + 1)));
  return token;
}

/**
 * A TestStream written as text, one event per line (or separated by `|`):
 *
 * - `a@1s b@2s` — a bundle of elements; `value@time`, or a bare value at the current
 *   watermark;
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
 * `));
 */
export function testStream<T>(script: string, options: MarbleOptions<T> = {}): PTransform<PBegin, PCollection<T>> {
  const parse = options.parse ?? (parseMarbleValue as (token: string) => T);
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
        if (at < 0) return { value: parse(token), timestamp: watermark };
        return { value: parse(token.slice(0, at)), timestamp: parseMarbleTime(token.slice(at + 1), where) };
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
