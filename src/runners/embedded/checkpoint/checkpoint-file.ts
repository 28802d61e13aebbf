import { crc32 } from "node:zlib";
import { BeamError } from "../../../model/index.js";

/**
 * The byte layout of a checkpoint file (docs/FAULT_TOLERANCE.md, "Checkpoint format"):
 *
 *   8 bytes   magic "BEAMTSCK"
 *   4 bytes   format version, big-endian (CHECKPOINT_FORMAT_VERSION)
 *   4 bytes   header length H, big-endian
 *   H bytes   header, UTF-8 JSON (CheckpointHeader)
 *   ...       the executors' parts, one after another (lengths in the header)
 *   4 bytes   CRC-32 of every byte before it, big-endian
 *
 * A part is a list of named sections (executor-part.ts). A reader refuses a file with
 * another magic, a newer version or a wrong checksum: a checkpoint is used whole or not at all.
 */
export const CHECKPOINT_MAGIC = "BEAMTSCK";
export const CHECKPOINT_FORMAT_VERSION = 1;

/** What a checkpoint says about itself, readable without decoding the state. */
export interface CheckpointHeader {
  /** Increasing number within a checkpoint directory. */
  readonly id: number;
  /** "checkpoint": periodic, retained last N; "savepoint": taken on request, never removed automatically. */
  readonly kind: "checkpoint" | "savepoint";
  /** When it was taken (ISO 8601). */
  readonly createdAt: string;
  /** The job's --jobName, or its program's file name. */
  readonly job: string;
  /** True for the checkpoint taken when every executor had finished: a restore from it ends at once. */
  readonly finished: boolean;
  /** The stages of the pipeline it was taken from, by stable name, with what decides compatibility. */
  readonly stages: readonly StageShape[];
  /** Bytes of each executor's part, in executor order (one per executor of --parallelism). */
  readonly parts: readonly number[];
}

/** A stage as a checkpoint records it: a restored pipeline must have a compatible one of that name. */
export interface StageShape {
  /** The step's full label: the stable name its state is restored by. */
  readonly label: string;
  /** What the state's meaning depends on (kind, key coder, windowing, state cells); compared on restore. */
  readonly shape: string;
  /** True when the stage holds state that a restore would lose if the stage were removed. */
  readonly stateful: boolean;
  /**
   * A keyed stage's state coders by slot (`key`, `data`, `state:<name>`; stage-shape.ts
   * stateCoderTable), so a restore can name the coder that changed and check a declared
   * migration against it. Absent in checkpoints written before it was recorded.
   */
  readonly coders?: Readonly<Record<string, string>>;
}

/** A checkpoint file: its header and its executors' parts. */
export interface CheckpointContents {
  readonly header: CheckpointHeader;
  readonly parts: readonly Uint8Array[];
}

export function encodeCheckpoint(header: Omit<CheckpointHeader, "parts">, parts: readonly Uint8Array[]): Uint8Array {
  const json = Buffer.from(JSON.stringify({ ...header, parts: parts.map((p) => p.length) }), "utf8");
  const body = 16 + json.length + parts.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(body + 4);
  out.write(CHECKPOINT_MAGIC, 0, "latin1");
  out.writeUInt32BE(CHECKPOINT_FORMAT_VERSION, 8);
  out.writeUInt32BE(json.length, 12);
  json.copy(out, 16);
  let at = 16 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  out.writeUInt32BE(crc32(out.subarray(0, body)), body);
  return out;
}

/** Decodes a checkpoint file; `name` is how errors name it. */
export function decodeCheckpoint(bytes: Uint8Array, name: string): CheckpointContents {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (why: string) =>
    new BeamError("CHECKPOINT_CORRUPT", `Checkpoint ${name} cannot be used: ${why}. Restore from an earlier one (--restoreFrom=<path>), or start the job without --restoreFrom.`);
  if (buf.length < 20 || buf.toString("latin1", 0, 8) !== CHECKPOINT_MAGIC) throw corrupt("it is not a beam-ts checkpoint (wrong magic bytes)");
  const version = buf.readUInt32BE(8);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw corrupt(`it has format version ${version}, newer than this beam-ts reads (${CHECKPOINT_FORMAT_VERSION}); run a beam-ts at least as new as the one that wrote it`);
  }
  const body = buf.length - 4;
  if (crc32(buf.subarray(0, body)) !== buf.readUInt32BE(body)) throw corrupt("its checksum does not match (the file is truncated or damaged)");
  const headerLength = buf.readUInt32BE(12);
  if (16 + headerLength > body) throw corrupt("its header runs past its end");
  const header = JSON.parse(buf.toString("utf8", 16, 16 + headerLength)) as CheckpointHeader;
  const parts: Uint8Array[] = [];
  let at = 16 + headerLength;
  for (const length of header.parts) {
    if (at + length > body) throw corrupt("a part runs past its end");
    parts.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== body) throw corrupt("bytes follow its last part");
  return { header, parts };
}
