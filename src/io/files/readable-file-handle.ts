import type { ByteReader, ByteWriter, Coder } from "../../model/index.js";
import { CoderError, messageOf } from "../../model/index.js";
import {
  decompress,
  fileSystemFor,
  isCompression,
  readableFileStream,
  type Compression,
  type FileMetadata,
  type ReadableFile,
} from "../filesystems/index.js";
import { FileIOError } from "./file-io-error.js";
import { readFileMetadata, writeFileMetadata } from "./file-metadata-coder.js";
import { firstInvalidUtf8Offset } from "./utf8-validation.js";

/**
 * A concrete compression (AUTO resolved), as a handle holds it.
 *
 * @example const c: ResolvedCompression = resolveCompression("AUTO", path);
 */
export type ResolvedCompression = Exclude<Compression, "AUTO">;

/**
 * A matched file ready to be read (Beam's `FileIO.ReadableFile`), what `readMatches` outputs.
 * It holds only the file's metadata and compression: every read opens the file again through
 * `fileSystemFor(path)` in whichever worker the handle is, so handles cross threads, stages
 * and checkpoints as data (`readableFileHandleCoder`).
 *
 * @example
 * files.apply(readMatches()).apply(map(async (f: ReadableFileHandle) => kv(f.metadata.path, await f.readFullyAsUTF8String())))
 */
export class ReadableFileHandle {
  constructor(
    /** The file's metadata as matched. */
    readonly metadata: FileMetadata,
    /** How `open` decompresses the file. */
    readonly compression: ResolvedCompression,
  ) {}

  /**
   * The file's bytes, decompressed, as a stream of chunks (Beam's `open()`). The file is
   * opened at the first chunk asked for and closed when the stream ends or is left. A
   * truncated or corrupt compressed file fails naming the file and compressed byte offset.
   *
   * @example for await (const chunk of handle.open()) hash.update(chunk);
   */
  async *open(): AsyncGenerator<Buffer> {
    const file = await this.openFile();
    try {
      yield* decompress(readableFileStream(file), this.compression, this.metadata.path);
    } finally {
      await file.close();
    }
  }

  /**
   * The file opened for random access (Beam's `openSeekable()`): only an uncompressed file,
   * whose byte positions are the data's. The caller closes it.
   *
   * @example const f = await handle.openSeekable(); try { await f.read(buf, 0, 4, size - 4); } finally { await f.close(); }
   */
  async openSeekable(): Promise<ReadableFile> {
    if (this.compression !== "UNCOMPRESSED") {
      throw new FileIOError(
        `Cannot open "${this.metadata.path}" for random access: it is read as ${this.compression}-compressed, and only uncompressed files are seekable. ` +
          `Read it front to back with open(), or match it with readMatches({ compression: "UNCOMPRESSED" }) for its raw bytes.`,
        { retryable: false },
      );
    }
    return this.openFile();
  }

  /**
   * The whole decompressed content (Beam's `readFullyAsBytes()`).
   *
   * @example const bytes = await handle.readFully();
   */
  async readFully(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.open()) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /**
   * The whole decompressed content decoded as UTF-8 (Beam's `readFullyAsUTF8String()`; a
   * byte-order mark is kept, as Java's decoder keeps it). Bytes that are not UTF-8 fail
   * naming the file and the offset of the first bad byte in the decompressed content.
   *
   * @example const text = await handle.readFullyAsUTF8String();
   */
  async readFullyAsUTF8String(): Promise<string> {
    const bytes = await this.readFully();
    const bad = firstInvalidUtf8Offset(bytes);
    if (bad >= 0) {
      const what = this.compression === "UNCOMPRESSED" ? "" : ` of its ${this.compression}-decompressed content`;
      throw new FileIOError(
        `"${this.metadata.path}" is not valid UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, "0")} at offset ${bad}${what} ` +
          `does not start or continue a UTF-8 character. Convert the file to UTF-8, or read its bytes with readFully().`,
        { retryable: false },
      );
    }
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  }

  toString(): string {
    return `ReadableFile{path=${this.metadata.path}, compression=${this.compression}}`;
  }

  private async openFile(): Promise<ReadableFile> {
    const path = this.metadata.path;
    try {
      return await (await fileSystemFor(path)).open(path);
    } catch (err) {
      throw new FileIOError(`Cannot open "${path}": ${messageOf(err)}. The file was matched but is gone or unreadable now; check it exists and is readable.`, {
        cause: err,
      });
    }
  }
}

/**
 * Coder of ReadableFileHandle (version 1): the file's metadata in fileMetadataCoder's layout,
 * then the compression's name (varint length + UTF-8). Self-delimiting; deterministic.
 */
class ReadableFileHandleCoder implements Coder<ReadableFileHandle> {
  readonly urn = "beam-ts:coder:readable_file:v1";
  readonly components = [];
  readonly deterministic = true;

  encode(handle: ReadableFileHandle, out: ByteWriter): void {
    writeFileMetadata(handle.metadata, out);
    out.writeUtf8(handle.compression, true);
  }

  decode(input: ByteReader): ReadableFileHandle {
    const metadata = readFileMetadata(input);
    const compression = input.readUtf8(input.readVarInt());
    if (!isCompression(compression) || compression === "AUTO") {
      throw new CoderError(`readable_file coder: unknown compression "${compression}" for "${metadata.path}" (corrupt or foreign bytes).`);
    }
    return new ReadableFileHandle(metadata, compression);
  }

  toString(): string {
    return "readable_file";
  }
}

/**
 * The coder of readMatches' output (set by readMatches; needed when creating handles by hand).
 *
 * @example p.apply(create([new ReadableFileHandle(metadata, "GZIP")], { coder: readableFileHandleCoder }))
 */
export const readableFileHandleCoder: Coder<ReadableFileHandle> = new ReadableFileHandleCoder();
