import { LineScanner, MORE, streamSource, type LineAt } from "./byte-range-lines.js";
import type { ReadCompression } from "./compression-option.js";
import { openFileStream } from "./open-file.js";

export { isGzipped, type ReadCompression } from "./compression-option.js";

/**
 * Streams the lines of a file: split on "\n", "\r\n" or "\r", without terminators; a
 * leading UTF-8 BOM is dropped; a last line without terminator is still a line; an
 * empty file has no lines. Only one chunk (plus a partial line) is in memory at a time.
 * Offsets count the bytes of the (decompressed) stream. The file may be on any file system.
 */
export async function* readLines(file: string, compression: ReadCompression): AsyncGenerator<LineAt> {
  const { stream, close } = await openFileStream(file, compression);
  try {
    yield* streamLines(stream as AsyncIterable<Buffer>);
  } finally {
    await close();
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
