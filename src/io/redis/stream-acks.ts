import { BufferReader, BufferWriter } from "../../coders/index.js";
import { RedisIOError } from "./redis-io-error.js";

/**
 * The XACK a bundle of readFromRedisStream owes: the entries it emitted, in the stream and
 * consumer group it read them from.
 */
export interface StreamAcks {
  readonly stream: string;
  readonly group: string;
  readonly ids: readonly string[];
}

/*
 * The recovery bytes of a registered XACK (BundleFinalizer.afterBundleCommit), which a
 * checkpoint covering the bundle stores and a job restored from it hands to recoverCommit.
 * Versioned, as every byte a checkpoint holds (docs/FAULT_TOLERANCE.md). In order:
 *
 *   version   byte                     STREAM_ACKS_VERSION (1)
 *   stream    varint length, UTF-8     the stream's key
 *   group     varint length, UTF-8     the consumer group
 *   ids       varint n, then n × (varint length, UTF-8)   entry ids `<ms>-<seq>`
 *
 * Entry ids and names are the connector's metadata, not user values, so they are written
 * with the writer's primitives rather than a user coder.
 */
const STREAM_ACKS_VERSION = 1;

/** The recovery bytes of `acks`. */
export function encodeStreamAcks(acks: StreamAcks): Uint8Array {
  const w = new BufferWriter();
  w.writeByte(STREAM_ACKS_VERSION);
  w.writeUtf8(acks.stream, true);
  w.writeUtf8(acks.group, true);
  w.writeVarInt(acks.ids.length);
  for (const id of acks.ids) w.writeUtf8(id, true);
  return w.finish();
}

/** The acks of recovery bytes written by encodeStreamAcks; a RedisIOError for any other bytes. */
export function decodeStreamAcks(bytes: Uint8Array): StreamAcks {
  const r = new BufferReader(bytes);
  const version = r.readByte();
  if (version !== STREAM_ACKS_VERSION) {
    throw new RedisIOError(
      `readFromRedisStream: the checkpoint holds acknowledgements in format version ${version}, and this version of beam-ts reads version ${STREAM_ACKS_VERSION}. ` +
        `Restore with the beam-ts version that wrote the checkpoint.`,
      { retryable: false },
    );
  }
  const stream = r.readUtf8(r.readVarInt());
  const group = r.readUtf8(r.readVarInt());
  const ids: string[] = [];
  for (let n = r.readVarInt(); n > 0; n--) ids.push(r.readUtf8(r.readVarInt()));
  return { stream, group, ids };
}
