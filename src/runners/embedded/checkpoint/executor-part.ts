import { BufferReader, BufferWriter } from "../../../coders/index.js";
import { BeamError, UserCodeError } from "../../../model/index.js";

/**
 * One executor's part of a checkpoint: named sections, each the bytes one owner wrote.
 *
 *   varint  section count
 *   per section: varint name length, UTF-8 name, varint byte length, bytes
 *
 * Section names: `stage:<full label>` (a stage's snapshot), `watermarks` (each stage's
 * output watermark), `sideInputs` (the materialized side inputs), `commits` (finalization
 * callbacks with recovery bytes that the checkpoint covers), `channels` (in a parallel job,
 * elements in flight from other executors when this one took its snapshot).
 */
export function encodePart(sections: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const w = new BufferWriter(1 << 12);
  w.writeVarInt(sections.size);
  for (const [name, bytes] of sections) {
    w.writeUtf8(name, true);
    w.writeVarInt(bytes.length);
    w.writeBytes(bytes);
  }
  return w.finish();
}

export function decodePart(bytes: Uint8Array): Map<string, Uint8Array> {
  const r = new BufferReader(bytes);
  const sections = new Map<string, Uint8Array>();
  const n = r.readVarInt();
  for (let i = 0; i < n; i++) {
    const name = r.readUtf8(r.readVarInt());
    sections.set(name, r.readBytes(r.readVarInt()));
  }
  if (r.remaining !== 0) throw new BeamError("CHECKPOINT_CORRUPT", `A checkpoint part has ${r.remaining} bytes after its last section.`);
  return sections;
}

/** Writes a section with `write` into a fresh writer and returns its bytes. */
export function section(write: (out: BufferWriter) => void): Uint8Array {
  const w = new BufferWriter(1 << 10);
  write(w);
  return w.finish();
}

/**
 * Reads a section with `read`, which must consume it exactly: a section left half-read
 * means the reader and the writer disagree on the layout, and the state would be wrong.
 */
export function readSection<T>(name: string, bytes: Uint8Array, read: (input: BufferReader) => T): T {
  const r = new BufferReader(bytes);
  let result: T;
  try {
    result = read(r);
  } catch (err) {
    // A declared state migration that throws is the user's code failing, not damage.
    if (err instanceof UserCodeError) throw err;
    throw new BeamError("CHECKPOINT_CORRUPT", `Checkpoint section "${name}" cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (r.remaining !== 0) {
    throw new BeamError("CHECKPOINT_CORRUPT", `Checkpoint section "${name}" has ${r.remaining} bytes its reader did not use: it was written by another layout.`);
  }
  return result;
}
