import { Readable, type Transform } from "node:stream";
import * as zlib from "node:zlib";
import { UnsupportedFeatureError } from "../../model/index.js";
import { FileIOError } from "../files/file-io-error.js";

/**
 * Beam's `Compression` (Java's org.apache.beam.sdk.io.Compression, Python's CompressionTypes):
 * how a file's bytes are compressed. `AUTO` (reading only) picks the compression from the
 * file name's extension, as Beam's `Compression.detect` does.
 *
 * | value | extensions (AUTO) | reading | writing |
 * | --- | --- | --- | --- |
 * | UNCOMPRESSED | any other | yes | yes |
 * | GZIP | `.gz` | node:zlib; concatenated members; a file without the gzip magic bytes is read as is (Beam) | node:zlib |
 * | DEFLATE | `.deflate`, `.zlib` | node:zlib, zlib-wrapped (RFC 1950, Beam's DeflateCompressorInputStream) | node:zlib |
 * | BROTLI | `.br` | node:zlib (beam-ts; Beam has no brotli) | node:zlib |
 * | ZSTD | `.zst`, `.zstd` | node:zlib where it has zstd (Node ≥ 22.15), else the optional `fzstd` package | node:zlib only |
 * | BZIP2, ZIP, LZO, LZOP | `.bz2`, `.zip`, `.lzo_deflate`, `.lzo` | refused, naming the file | refused |
 *
 * BZIP2, ZIP and LZO are detected (so such a file is never read as garbage text) but refused:
 * no maintained streaming decompressor for them runs on Node 20 without native code.
 */
export type Compression =
  | "AUTO"
  | "UNCOMPRESSED"
  | "GZIP"
  | "DEFLATE"
  | "BROTLI"
  | "ZSTD"
  | "BZIP2"
  | "ZIP"
  | "LZO"
  | "LZOP";

/**
 * Every Compression value, in Beam's detection order (BROTLI, ours, last).
 *
 * @example COMPRESSIONS.includes(flag) // a valid --compression
 */
export const COMPRESSIONS: readonly Compression[] = ["AUTO", "UNCOMPRESSED", "GZIP", "BZIP2", "ZIP", "ZSTD", "LZO", "LZOP", "DEFLATE", "BROTLI"];

/** The extensions that select each compression under AUTO (Beam's detected suffixes), matched case-insensitively. */
const DETECTED_SUFFIXES: ReadonlyArray<readonly [Compression, readonly string[]]> = [
  ["GZIP", [".gz"]],
  ["BZIP2", [".bz2"]],
  ["ZIP", [".zip"]],
  ["ZSTD", [".zst", ".zstd"]],
  ["LZO", [".lzo_deflate"]],
  ["LZOP", [".lzo"]],
  ["DEFLATE", [".deflate", ".zlib"]],
  ["BROTLI", [".br"]],
];

/** What a writer appends to its file names for each compression (Beam's suggested suffix). */
const SUGGESTED_SUFFIX: Readonly<Record<Compression, string>> = {
  AUTO: "",
  UNCOMPRESSED: "",
  GZIP: ".gz",
  BZIP2: ".bz2",
  ZIP: ".zip",
  ZSTD: ".zst",
  LZO: ".lzo_deflate",
  LZOP: ".lzo",
  DEFLATE: ".deflate",
  BROTLI: ".br",
};

/**
 * Whether a value is one of the Compression names.
 *
 * @example if (!isCompression(options.compression)) throw new Error("bad compression");
 */
export function isCompression(value: unknown): value is Compression {
  return typeof value === "string" && (COMPRESSIONS as readonly string[]).includes(value);
}

/**
 * The compression a file name implies (Beam's `Compression.detect`): the first whose
 * extension ends the name, ignoring case; UNCOMPRESSED when none does.
 *
 * @example detectCompression("logs/2024-01-01.json.gz") // "GZIP"
 */
export function detectCompression(path: string): Exclude<Compression, "AUTO"> {
  const name = path.toLowerCase();
  for (const [compression, suffixes] of DETECTED_SUFFIXES) {
    if (suffixes.some((s) => name.endsWith(s))) return compression as Exclude<Compression, "AUTO">;
  }
  return "UNCOMPRESSED";
}

/**
 * The concrete compression of a file: `compression` itself, or for AUTO the one its name implies.
 *
 * @example resolveCompression("AUTO", "a.csv.deflate") // "DEFLATE"
 */
export function resolveCompression(compression: Compression, path: string): Exclude<Compression, "AUTO"> {
  return compression === "AUTO" ? detectCompression(path) : compression;
}

/**
 * The extension a writer appends for a compression (Beam's `getSuggestedSuffix`): `.gz`,
 * `.deflate`, `.br`, `.zst`; "" for UNCOMPRESSED.
 *
 * @example `${prefix}-00000-of-00001.csv${compressionSuffix("GZIP")}`
 */
export function compressionSuffix(compression: Compression): string {
  return SUGGESTED_SUFFIX[compression];
}

/**
 * Checks at construction that `compression` can be read (`"read"`) or written (`"write"`) by
 * this process, so a pipeline asking for BZIP2 fails before it runs. ZSTD reading is checked
 * when the first file is opened (it may need the optional `fzstd` package).
 *
 * @example checkCompression("GZIP", "write", "writeText")
 */
export function checkCompression(compression: unknown, mode: "read" | "write", where: string): asserts compression is Compression {
  if (!isCompression(compression)) {
    throw new FileIOError(`${where}: compression must be one of ${COMPRESSIONS.join(", ")}; got ${String(compression)}.`, { retryable: false });
  }
  if (mode === "write" && compression === "AUTO") {
    throw new FileIOError(`${where}: AUTO compression applies to reading only; pick the compression to write, e.g. "GZIP" or "UNCOMPRESSED".`, { retryable: false });
  }
  if (mode === "write" && compression === "ZSTD" && !hasNodeZstd()) {
    throw new UnsupportedFeatureError(
      "compression ZSTD (writing)",
      `${where}: writing ZSTD needs node:zlib's zstd (Node >= 22.15); this is Node ${process.versions.node}. Write "GZIP" or "BROTLI", or run on a newer Node.`,
    );
  }
  if (isRefused(compression)) throw refusal(compression, where);
}

const REFUSED: ReadonlySet<Compression> = new Set(["BZIP2", "ZIP", "LZO", "LZOP"]);

function isRefused(compression: Compression): boolean {
  return REFUSED.has(compression);
}

function refusal(compression: Compression, what: string): UnsupportedFeatureError {
  return new UnsupportedFeatureError(
    `compression ${compression}`,
    `${what}: ${compression} compression is not supported: beam-ts has no ${compression} codec (no maintained pure-JS streaming one ` +
      `runs on Node 20). Recompress the data as GZIP, DEFLATE, BROTLI or ZSTD (e.g. \`bunzip2 -c f.bz2 | gzip > f.gz\`), ` +
      `or read the file with compression "UNCOMPRESSED" to get its raw bytes.`,
  );
}

type ZlibWithZstd = typeof zlib & {
  createZstdDecompress?: () => Transform;
  createZstdCompress?: () => Transform;
};

function hasNodeZstd(): boolean {
  return typeof (zlib as ZlibWithZstd).createZstdDecompress === "function";
}

/**
 * Output chunk size of the decompressors: 256 KiB rather than zlib's 16 KiB, so a reader
 * handles few, large chunks (measured: 16 KiB chunks made readFully of a 45 MB gzip file
 * several times slower than gunzipSync).
 */
const ZLIB_CHUNK_BYTES = 256 * 1024;

/** A zlib stream that also reports how many compressed bytes it consumed (for error offsets). */
type CountingTransform = Transform & { readonly bytesWritten?: number };

/**
 * The decompressed bytes of a file's byte stream (`source`, e.g. `readableFileStream`):
 * `compression` must be concrete (resolve AUTO first). A truncated or corrupt file fails
 * with a FileIOError naming `path`, the compression and the compressed byte offset where
 * decompression stopped; BZIP2/ZIP/LZO fail with an UnsupportedFeatureError naming the file.
 *
 * @example for await (const chunk of decompress(readableFileStream(file), "GZIP", file.metadata.path)) hash.update(chunk);
 */
export async function* decompress(source: AsyncIterable<Buffer>, compression: Exclude<Compression, "AUTO">, path: string): AsyncGenerator<Buffer> {
  switch (compression) {
    case "UNCOMPRESSED":
      yield* source;
      return;
    case "GZIP":
      yield* gunzipIfGzip(source, path);
      return;
    case "DEFLATE":
      yield* throughZlib(source, zlib.createInflate({ chunkSize: ZLIB_CHUNK_BYTES }), compression, path);
      return;
    case "BROTLI":
      yield* throughZlib(source, zlib.createBrotliDecompress({ chunkSize: ZLIB_CHUNK_BYTES }), compression, path);
      return;
    case "ZSTD": {
      const create = (zlib as ZlibWithZstd).createZstdDecompress;
      if (create !== undefined) yield* throughZlib(source, create(), compression, path);
      else yield* fzstdDecompress(source, path);
      return;
    }
    default:
      throw refusal(compression, `Cannot read "${path}"`);
  }
}

/**
 * A node:zlib compressor for writing `compression` (GZIP, DEFLATE, BROTLI; ZSTD on Node ≥ 22.15),
 * or undefined for UNCOMPRESSED. Pipe a file's bytes through it. Others are refused naming `where`.
 *
 * @example const gz = createCompressor("GZIP", "writeText"); gz?.pipe(out);
 */
export function createCompressor(compression: Compression, where: string): Transform | undefined {
  checkCompression(compression, "write", where);
  switch (compression) {
    case "UNCOMPRESSED":
      return undefined;
    case "GZIP":
      return zlib.createGzip();
    case "DEFLATE":
      return zlib.createDeflate();
    case "BROTLI":
      return zlib.createBrotliCompress();
    case "ZSTD":
      return (zlib as ZlibWithZstd).createZstdCompress!();
    default:
      throw refusal(compression, where);
  }
}

/**
 * Beam's GZIP read: only a stream starting with the gzip magic bytes (1f 8b) is gunzipped;
 * anything else passes through unchanged (an object store may serve a `.gz` object already
 * decompressed, per its content encoding). Concatenated gzip members are all read.
 */
async function* gunzipIfGzip(source: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < 2) {
    const next = await iterator.next();
    if (next.done === true) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: () => (i < head.length ? Promise.resolve({ done: false, value: head[i++]! }) : iterator.next()),
        return: async (value?: unknown) => {
          await iterator.return?.(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
  const start = Buffer.concat(head);
  if (start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b) yield* throughZlib(rest, zlib.createGunzip({ chunkSize: ZLIB_CHUNK_BYTES }), "GZIP", path);
  else yield* rest;
}

/** Pushes `source` through a zlib transform, failing with the file and compressed offset. */
async function* throughZlib(source: AsyncIterable<Buffer>, z: CountingTransform, compression: Compression, path: string): AsyncGenerator<Buffer> {
  const input = Readable.from(source, { objectMode: false });
  let readError: unknown;
  input.on("error", (err) => {
    // A failure reading the file (not of decompressing it) is passed on as it is.
    readError = err;
    z.destroy(err);
  });
  input.pipe(z);
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (err) {
    if (readError !== undefined) throw readError;
    throw corrupt(compression, path, z.bytesWritten ?? 0, err);
  } finally {
    input.destroy();
    z.destroy();
  }
}

/** The optional `fzstd` package, imported when the first ZSTD file is read on a Node without zstd. */
interface FzstdModule {
  Decompress: new (ondata?: (data: Uint8Array, final: boolean) => void) => { push(chunk: Uint8Array, final?: boolean): unknown };
}

async function loadFzstd(path: string): Promise<FzstdModule> {
  try {
    return (await import("fzstd")) as unknown as FzstdModule;
  } catch (err) {
    throw new FileIOError(
      `Cannot read "${path}" as ZSTD: this Node (${process.versions.node}) has no zstd in node:zlib and the optional peer ` +
        `package "fzstd" is not installed. Run \`npm install fzstd\`, or use Node >= 22.15.`,
      { cause: err, retryable: false },
    );
  }
}

/** ZSTD decompression with fzstd's streaming decoder (pure JS; Node 20 has no zstd). */
async function* fzstdDecompress(source: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  const { Decompress } = await loadFzstd(path);
  const out: Buffer[] = [];
  let ended = false;
  const decoder = new Decompress((data, final) => {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (final) ended = true;
  });
  let consumed = 0;
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (err) {
      throw corrupt("ZSTD", path, consumed, err);
    }
  };
  for await (const chunk of source) {
    push(chunk, false);
    consumed += chunk.length;
    yield* out.splice(0);
  }
  push(new Uint8Array(0), true);
  yield* out.splice(0);
  // fzstd accepts a stream cut at a frame boundary's middle without an error: an unfinished frame is a truncation.
  if (!ended && consumed > 0) throw corrupt("ZSTD", path, consumed, new Error("unexpected end of file"));
}

function corrupt(compression: Compression, path: string, offset: number, cause: unknown): FileIOError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FileIOError(
    `Cannot decompress "${path}" as ${compression}: ${reason} at compressed byte offset ${offset}. ` +
      `The file is truncated or corrupt (or not ${compression}-compressed): re-create it, or read it with an explicit compression ` +
      `(e.g. "UNCOMPRESSED") if its extension is misleading.`,
    { cause, retryable: false },
  );
}
