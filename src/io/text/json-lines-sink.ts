import { describeValue } from "../../model/index.js";
import type { FileSink } from "../files/index.js";
import { formattedLinesSink } from "./formatted-lines-sink.js";
import { TextIOError, messageOf } from "./text-io-error.js";
import { textSink, type TextSinkOptions } from "./text-sink.js";

/**
 * A FileSink of JSON Lines for writeFiles: each element as one line of JSON.stringify (byte
 * arrays as base64 strings), the same lines as writeJsonLines, with textSink's `header`,
 * `footer` and `compression`. An element with no JSON form (a function, a bigint, a cycle)
 * fails the write naming it.
 *
 * @example events.apply(writeFiles({ to: "out/events", by: (e: Event) => e.kind, sink: jsonLinesSink(), suffix: ".jsonl", numShards: 2 }))
 */
export function jsonLinesSink<T = unknown>(options: TextSinkOptions = {}): FileSink<T> {
  const what = "jsonLinesSink";
  return formattedLinesSink((value: T) => toJsonLine(value, what), textSink(options, what));
}

/**
 * Byte arrays (a BadRecord's encoded element, a Buffer) are written as base64 strings:
 * JSON.stringify would write a Uint8Array as an object of indices and a Buffer as
 * `{ type, data }`, neither of which anyone reads back.
 */
function bytesAsBase64(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
  return value;
}

/** The JSON Lines line of one value (writeJsonLines and jsonLinesSink), or a message naming the value. */
export function toJsonLine(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, bytesAsBase64);
  } catch (err) {
    throw new TextIOError(`${what}: cannot serialise an element to JSON: ${messageOf(err)}. Element: ${describeValue(value)}. Map it to plain data first.`, {
      cause: err,
    });
  }
  if (text === undefined) {
    throw new TextIOError(
      `${what}: an element of type ${typeof value} has no JSON form (JSON.stringify returned undefined). ` +
        `Map it to a plain value first.`,
    );
  }
  return text;
}
