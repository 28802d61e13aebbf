import type { ByteReader, ByteWriter, Coder } from "../../model/index.js";
import type { FileMetadata } from "../filesystems/file-system.js";

/**
 * Coder of a file's metadata (Beam's MetadataCoderV2, in our layout): the path (varint
 * length + UTF-8), the size (varint), the last modification time (8-byte double: local
 * times have sub-millisecond fractions), then the checksum (0, or 1 + varint length +
 * UTF-8). Self-delimiting, so the nested and outer contexts encode alike; deterministic.
 *
 * @example matches.withCoder(fileMetadataCoder)
 */
class FileMetadataCoder implements Coder<FileMetadata> {
  readonly urn = "beam-ts:coder:file_metadata:v1";
  readonly components = [];
  readonly deterministic = true;

  encode(m: FileMetadata, out: ByteWriter): void {
    writeFileMetadata(m, out);
  }

  decode(input: ByteReader): FileMetadata {
    return readFileMetadata(input);
  }

  toString(): string {
    return "file_metadata";
  }
}

/**
 * The coder of FileMetadata elements (what matchFiles and matchAll output).
 *
 * @example p.apply(create([metadata], { coder: fileMetadataCoder })).apply(readMatches())
 */
export const fileMetadataCoder: Coder<FileMetadata> = new FileMetadataCoder();

/** @internal Writes metadata in fileMetadataCoder's layout (shared with the readable file coder). */
export function writeFileMetadata(m: FileMetadata, out: ByteWriter): void {
  out.writeUtf8(m.path, true);
  out.writeVarInt(m.sizeBytes);
  out.writeDoubleBE(m.lastModifiedMillis);
  if (m.checksum === undefined) out.writeByte(0);
  else {
    out.writeByte(1);
    out.writeUtf8(m.checksum, true);
  }
}

/** @internal Reads metadata written by writeFileMetadata. */
export function readFileMetadata(input: ByteReader): FileMetadata {
  const path = input.readUtf8(input.readVarInt());
  const sizeBytes = input.readVarInt();
  const lastModifiedMillis = input.readDoubleBE();
  if (input.readByte() === 0) return { path, sizeBytes, lastModifiedMillis };
  return { path, sizeBytes, lastModifiedMillis, checksum: input.readUtf8(input.readVarInt()) };
}
