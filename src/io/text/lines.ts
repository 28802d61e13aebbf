import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";

/** How files are decompressed: by extension (`.gz`), always gzip, or never. */
export type ReadCompression = "auto" | "gzip" | "none";

/** Whether a file is read through gunzip. */
export function isGzipped(file: string, compression: ReadCompression): boolean {
  return compression === "gzip" || (compression === "auto" && file.toLowerCase().endsWith(".gz"));
}

/**
 * Streams the lines of a file: split on "\n", "\r\n" or "\r", without terminators; a
 * leading UTF-8 BOM is dropped; a last line without terminator is still a line; an
 * empty file has no lines. Only one chunk (plus a partial line) is in memory at a time.
 */
export async function* readLines(file: string, compression: ReadCompression): AsyncGenerator<string> {
  const raw = createReadStream(file);
  const source = isGzipped(file, compression)
    ? pipeline(raw, createGunzip(), () => {
        // Errors surface through the iteration below.
      })
    : raw;
  try {
    yield* splitLines(source as AsyncIterable<Buffer>);
  } finally {
    raw.destroy();
    source.destroy();
  }
}

/** Splits a stream of UTF-8 chunks into lines (see readLines). */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let atStart = true;
  let skipLf = false; // the previous chunk ended with "\r": a "\n" starting the next one belongs to it
  const terminator = /\r\n|\n|\r/g;

  function* take(text: string, final: boolean): Generator<string> {
    if (atStart && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      atStart = false;
    }
    if (skipLf && text.length > 0) {
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      skipLf = false;
    }
    const buffer = pending + text;
    let from = 0;
    terminator.lastIndex = 0;
    for (let m = terminator.exec(buffer); m !== null; m = terminator.exec(buffer)) {
      yield buffer.slice(from, m.index);
      from = m.index + m[0].length;
      if (m[0] === "\r" && from === buffer.length) skipLf = true;
    }
    pending = buffer.slice(from);
    if (final && pending.length > 0) {
      yield pending;
      pending = "";
    }
  }

  for await (const chunk of chunks) {
    yield* take(typeof chunk === "string" ? chunk : decoder.write(chunk), false);
  }
  yield* take(decoder.end(), true);
}
