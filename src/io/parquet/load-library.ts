import * as zlib from "node:zlib";
import type { Compressors } from "hyparquet";
import { ParquetIOError } from "./parquet-io-error.js";

type Hyparquet = typeof import("hyparquet");
type HyparquetWriter = typeof import("hyparquet-writer");

/** Imports an optional peer dependency when the connector first runs, or fails naming the package to install. */
async function importPeer<M>(name: string, load: () => Promise<M>, what: string): Promise<M> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new ParquetIOError(`${what} needs the "${name}" package, an optional peer dependency of beam-ts: npm install ${name}`, { cause: err, retryable: false });
    }
    throw err;
  }
}

// Kept once imported: every file opens them, and a dynamic import() resolves the module
// again each time (a round trip to the loader thread under a loader such as tsx).
let hyparquet: Hyparquet | undefined;
let hyparquetWriter: HyparquetWriter | undefined;

/** hyparquet (reading), imported on first use. */
export async function loadHyparquet(what: string): Promise<Hyparquet> {
  return (hyparquet ??= await importPeer("hyparquet", () => import("hyparquet"), what));
}

/** hyparquet-writer (writing), imported on first use. */
export async function loadHyparquetWriter(what: string): Promise<HyparquetWriter> {
  return (hyparquetWriter ??= await importPeer("hyparquet-writer", () => import("hyparquet-writer"), what));
}

type ZlibWithZstd = typeof zlib & { zstdCompressSync?: (b: Uint8Array) => Buffer; zstdDecompressSync?: (b: Uint8Array) => Buffer };
const z = zlib as ZlibWithZstd;

/**
 * Decompressors for reading: SNAPPY is hyparquet's own; GZIP and BROTLI come from node:zlib,
 * ZSTD from node:zlib where it has it (Node ≥ 22.15) and otherwise, like LZ4, from the
 * optional `hyparquet-compressors` package when installed.
 */
export async function readCompressors(): Promise<Compressors> {
  const own: Compressors = {
    GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
    BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
  };
  const zstd = z.zstdDecompressSync;
  if (zstd !== undefined) own.ZSTD = (input) => new Uint8Array(zstd(input));
  try {
    const mod = (await import("hyparquet-compressors")) as { compressors: Compressors };
    return { ...mod.compressors, ...own };
  } catch {
    return own;
  }
}

/** The codecs writeParquet writes. */
export type ParquetCompression = "snappy" | "gzip" | "zstd" | "uncompressed";

/** A codec of hyparquet-writer and the compressor it needs (SNAPPY is built in). */
export interface WriteCodec {
  readonly codec: "SNAPPY" | "GZIP" | "ZSTD" | "UNCOMPRESSED";
  readonly compressors: Partial<Record<"GZIP" | "ZSTD", (input: Uint8Array) => Uint8Array>>;
}

/** The codec name and compressor of a writeParquet compression; zstd needs node:zlib's (Node ≥ 22.15). */
export function writeCodec(compression: ParquetCompression, what: string): WriteCodec {
  switch (compression) {
    case "snappy":
      return { codec: "SNAPPY", compressors: {} };
    case "uncompressed":
      return { codec: "UNCOMPRESSED", compressors: {} };
    case "gzip":
      return { codec: "GZIP", compressors: { GZIP: (input) => new Uint8Array(zlib.gzipSync(input)) } };
    case "zstd": {
      const zstd = z.zstdCompressSync;
      if (zstd === undefined) {
        throw new ParquetIOError(`${what}: compression "zstd" needs node:zlib's zstd (Node 22.15 or later); this is Node ${process.versions.node}. Use "snappy" or "gzip".`, { retryable: false });
      }
      return { codec: "ZSTD", compressors: { ZSTD: (input) => new Uint8Array(zstd(input)) } };
    }
  }
}
