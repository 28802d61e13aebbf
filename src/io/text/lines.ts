import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { LineScanner, MORE, streamSource, type LineAt } from "./byte-range-lines.js";

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
 * Offsets count the bytes of the (decompressed) stream.
 */
export async function* readLines(file: string, compression: ReadCompression): AsyncGenerator<LineAt> {
  const raw = createReadStream(file);
  const source = isGzipped(file, compression)
    ? pipeline(raw, createGunzip(), () => {
        // Errors surface through the iteration below.
      })
    : raw;
  try {
    yield* streamLines(source as AsyncIterable<Buffer>);
  } finally {
    raw.destroy();
    source.destroy();
  }
}

/**
 * The lines of a stream of chunks, with the same rules as LineScanner (the reader of byte
 * ranges), which does the work: lines are cut at byte level and decoded whole, so a
 * character split across chunks is decoded once, and invalid UTF-8 is flagged exactly.
 */
export async function* streamLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<LineAt> {
  const scanner = new LineScanner(streamSource(chunks));
  for (;;) {
    let line = scanner.tryNext(true);
    while (line === MORE) {
      await scanner.readMore();
      line = scanner.tryNext(true);
    }
    if (line === undefined) return;
    yield line as LineAt;
  }
}

/** The texts of streamLines (U+FFFD for invalid UTF-8). */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  for await (const line of streamLines(chunks)) yield line.text;
}
