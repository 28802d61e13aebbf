import { ConstructionError } from "../../model/index.js";
import { PTransform, type PCollection } from "../../pipeline/index.js";
import { parDo, type DoFn, type ProcessContext } from "../../transforms/index.js";
import { checkCompression, resolveCompression, type Compression, type FileMetadata } from "../filesystems/index.js";
import { FileIOError } from "./file-io-error.js";
import { ReadableFileHandle, readableFileHandleCoder } from "./readable-file-handle.js";

/** What readMatches does with a directory in its input (Beam's ReadMatches.DirectoryTreatment). */
export type DirectoryTreatment = "SKIP" | "PROHIBIT";

/** Options of readMatches. */
export interface ReadMatchesOptions {
  /**
   * How the files are decompressed: AUTO (default) by each file's extension, or one
   * Compression for all (see src/io/filesystems/compression.ts for what is supported).
   */
  readonly compression?: Compression;
  /**
   * Directories in the input: SKIP (default) drops them, PROHIBIT fails naming the directory.
   * A directory is metadata whose path ends in `/` (an object store's folder marker); local
   * matches never contain directories.
   */
  readonly directoryTreatment?: DirectoryTreatment;
}

class ToReadableFileFn implements DoFn<FileMetadata, ReadableFileHandle> {
  constructor(
    readonly compression: Compression,
    readonly directoryTreatment: DirectoryTreatment,
  ) {}
  process(metadata: FileMetadata, ctx: ProcessContext<ReadableFileHandle>): void {
    if (metadata.path.endsWith("/")) {
      if (this.directoryTreatment === "SKIP") return;
      throw new FileIOError(
        `readMatches: "${metadata.path}" is a directory, and directoryTreatment is PROHIBIT. ` +
          `Match files only (e.g. "${metadata.path}*"), or pass { directoryTreatment: "SKIP" } to drop directories.`,
        { retryable: false },
      );
    }
    ctx.output(new ReadableFileHandle(metadata, resolveCompression(this.compression, metadata.path)));
  }
}

/**
 * Beam's FileIO.readMatches: each matched file's metadata becomes a ReadableFileHandle
 * (metadata + compression) whose `open()`, `readFully()` and `readFullyAsUTF8String()` read
 * the file, decompressed, through its scheme's file system. With compression AUTO (default)
 * the extension decides: `.gz` GZIP, `.deflate`/`.zlib` DEFLATE, `.br` BROTLI, `.zst` ZSTD;
 * `.bz2`, `.zip`, `.lzo` are refused when opened. The output's coder is readableFileHandleCoder.
 *
 * @example
 * p.apply(matchFiles("in/*.json.gz")).apply(readMatches()).apply(map(async (f: ReadableFileHandle) => JSON.parse(await f.readFullyAsUTF8String())))
 */
export function readMatches(options: ReadMatchesOptions = {}): PTransform<PCollection<FileMetadata>, PCollection<ReadableFileHandle>> {
  const compression = options.compression ?? "AUTO";
  checkCompression(compression, "read", "readMatches");
  const directoryTreatment = options.directoryTreatment ?? "SKIP";
  if (directoryTreatment !== "SKIP" && directoryTreatment !== "PROHIBIT") {
    throw new ConstructionError(`readMatches: directoryTreatment must be "SKIP" or "PROHIBIT", got ${String(directoryTreatment)}.`);
  }
  return new ReadMatches(compression, directoryTreatment);
}

class ReadMatches extends PTransform<PCollection<FileMetadata>, PCollection<ReadableFileHandle>> {
  constructor(
    private readonly compression: Compression,
    private readonly directoryTreatment: DirectoryTreatment,
  ) {
    super("ReadMatches");
  }
  expand(input: PCollection<FileMetadata>): PCollection<ReadableFileHandle> {
    return input.apply("ToReadableFile", parDo(new ToReadableFileFn(this.compression, this.directoryTreatment))).withCoder(readableFileHandleCoder);
  }
}
