import * as zlib from "node:zlib";
import { UnsupportedFeatureError } from "../../model/index.js";
import { AvroIOError, messageOf } from "./avro-io-error.js";
import type { AvroCodec } from "./container-format.js";
import { decodeSnappyBlock, encodeSnappyBlock, type SnappyCompress, type SnappyUncompress } from "./snappy-block.js";

/*
 * The block codecs: how a block's serialized records become its data and back. "null" and
 * "deflate" are node:zlib's. The others come from optional peer packages, imported when the
 * first block needs them (as avsc is), so that a pipeline that never meets them needs none:
 *
 * | codec | reads with | writes with |
 * | --- | --- | --- |
 * | snappy | `hyparquet`'s `snappyUncompress` (pure JS) | `hysnappy`'s `snappyCompressor` (WebAssembly inside the package) |
 * | zstandard | node:zlib's zstd (Node ≥ 22.15), else `fzstd` (pure JS) | node:zlib's zstd only (Node ≥ 22.15) |
 *
 * hyparquet-writer's snappy compressor is not part of its documented API; its README points
 * to hysnappy for compressing, which is what is used here.
 */

/** A block's data from its serialized records. */
export type BlockCompress = (records: Buffer) => Buffer;
/** The serialized records of a block's data; throws (a BlockCodecError where the codec can say where) when damaged. */
export type BlockDecompress = (data: Buffer) => Buffer;

type ZlibWithZstd = typeof zlib & {
  zstdCompressSync?: (input: Uint8Array) => Buffer;
  zstdDecompressSync?: (input: Uint8Array) => Buffer;
};
const z = zlib as ZlibWithZstd;

const identity = (bytes: Buffer): Buffer => bytes;

/** The Node version whose node:zlib has zstd, for messages. */
const NODE_ZSTD = "Node 22.15+ or 23.8+ (any Node 24)";

/** Whether this Node's node:zlib compresses zstd. */
export function hasNodeZstd(): boolean {
  return typeof z.zstdCompressSync === "function";
}

/**
 * Checks at construction that this process can write `codec`: zstandard needs node:zlib's
 * zstd: npm's zstd compressors are WebAssembly ports, none pure JS, and fzstd only decompresses.
 *
 * @example checkWritableCodec("zstandard", "writeAvro") // throws on Node 20
 */
export function checkWritableCodec(codec: AvroCodec, what: string): void {
  if (codec === "zstandard" && !hasNodeZstd()) {
    throw new UnsupportedFeatureError(
      "Avro codec zstandard (writing)",
      `${what}: codec "zstandard" needs node:zlib's zstd, in ${NODE_ZSTD}; this is Node ${process.versions.node}. ` +
        `Write "snappy" or "deflate", or run on a newer Node (beam-ts reads zstandard files on any Node, with the "fzstd" package).`,
    );
  }
}

/**
 * The decompressor of blocks of `codec` (of `file`, for messages), importing its package on
 * first use. A missing package fails naming it (retrying cannot help).
 */
export async function decompressorOf(codec: AvroCodec, file: string): Promise<BlockDecompress> {
  switch (codec) {
    case "null":
      return identity;
    case "deflate":
      return (data) => zlib.inflateRawSync(data);
    case "snappy": {
      const uncompress = await snappyUncompress(`readAvro: "${file}" is snappy-compressed, which`);
      return (data) => decodeSnappyBlock(data, uncompress);
    }
    case "zstandard": {
      const nodeZstd = z.zstdDecompressSync;
      if (nodeZstd !== undefined) return (data) => nodeZstd(data);
      const decompress = await fzstdDecompress(`readAvro: "${file}" is zstandard-compressed, which on Node ${process.versions.node} (no zstd in node:zlib)`);
      return (data) => toBuffer(decompress(data));
    }
  }
}

/** The compressor of blocks of `codec` for `what` (a sink, for messages), importing its package on first use. */
export async function compressorOf(codec: AvroCodec, what: string): Promise<BlockCompress> {
  switch (codec) {
    case "null":
      return identity;
    case "deflate":
      return (records) => zlib.deflateRawSync(records);
    case "snappy": {
      const compress = await snappyCompress(`${what}: codec "snappy"`);
      return (records) => encodeSnappyBlock(records, compress);
    }
    case "zstandard": {
      checkWritableCodec(codec, what);
      const compress = z.zstdCompressSync!;
      return (records) => compress(records);
    }
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Imports an optional peer package, or fails with `needs` and the install command. */
async function importPeer<M>(name: string, load: () => Promise<M>, needs: string): Promise<M> {
  try {
    return await load();
  } catch (err) {
    throw new AvroIOError(`${needs} needs the package "${name}", an optional peer dependency of beam-ts, which cannot be loaded (${messageOf(err)}). Install it: npm install ${name}`, {
      cause: err,
      retryable: false,
    });
  }
}

let snappyUncompressLoading: Promise<SnappyUncompress> | undefined;

function snappyUncompress(needs: string): Promise<SnappyUncompress> {
  snappyUncompressLoading ??= importPeer("hyparquet", () => import("hyparquet"), needs).then(
    (m) => m.snappyUncompress,
    (err: unknown) => {
      snappyUncompressLoading = undefined;
      throw err;
    },
  );
  return snappyUncompressLoading;
}

let snappyCompressLoading: Promise<SnappyCompress> | undefined;

function snappyCompress(needs: string): Promise<SnappyCompress> {
  // One WebAssembly instance per process: compiling it per block would cost more than compressing.
  snappyCompressLoading ??= importPeer("hysnappy", () => import("hysnappy"), needs).then(
    (m) => m.snappyCompressor(),
    (err: unknown) => {
      snappyCompressLoading = undefined;
      throw err;
    },
  );
  return snappyCompressLoading;
}

type FzstdDecompress = (data: Uint8Array) => Uint8Array;
let fzstdLoading: Promise<FzstdDecompress> | undefined;

function fzstdDecompress(needs: string): Promise<FzstdDecompress> {
  fzstdLoading ??= importPeer("fzstd", () => import("fzstd"), needs).then(
    (m) => (data: Uint8Array) => m.decompress(data),
    (err: unknown) => {
      fzstdLoading = undefined;
      throw err;
    },
  );
  return fzstdLoading;
}
