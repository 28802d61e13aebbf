import { BufferReader, BufferWriter } from "../../coders/index.js";
import { PubSubIOError } from "./pubsub-io-error.js";

/** The acknowledgement a bundle of readFromPubSub owes: the ack ids and message ids of the messages it emitted, and their subscription. */
export interface PubSubAcks {
  readonly subscription: string;
  readonly ackIds: readonly string[];
  /**
   * The service's ids of the same messages: a message given back or past its deadline comes
   * again under a new ack id, which the old one cannot acknowledge; a restored job recognises
   * it by this id instead.
   */
  readonly messageIds: readonly string[];
}

/*
 * Recovery bytes of a registered acknowledgement, stored by a checkpoint covering the
 * bundle and handed to recoverCommit after a restore. Ack ids are valid from any client
 * until their ack deadline passes. Versioned (docs/FAULT_TOLERANCE.md):
 *
 *   version       byte    PUBSUB_ACKS_VERSION (1)
 *   subscription  varint length, UTF-8   projects/<p>/subscriptions/<s>
 *   ackIds        varint n, then n × (varint length, UTF-8)
 *   messageIds    varint n, then n × (varint length, UTF-8)
 */
const PUBSUB_ACKS_VERSION = 1;

/** The recovery bytes of `acks`. */
export function encodePubSubAcks(acks: PubSubAcks): Uint8Array {
  const w = new BufferWriter();
  w.writeByte(PUBSUB_ACKS_VERSION);
  w.writeUtf8(acks.subscription, true);
  w.writeVarInt(acks.ackIds.length);
  for (const id of acks.ackIds) w.writeUtf8(id, true);
  w.writeVarInt(acks.messageIds.length);
  for (const id of acks.messageIds) w.writeUtf8(id, true);
  return w.finish();
}

/** The acks of bytes written by encodePubSubAcks; a PubSubIOError for another version. */
export function decodePubSubAcks(bytes: Uint8Array): PubSubAcks {
  const r = new BufferReader(bytes);
  const version = r.readByte();
  if (version !== PUBSUB_ACKS_VERSION) {
    throw new PubSubIOError(
      `readFromPubSub: the checkpoint holds acknowledgements in format version ${version}, and this version of beam-ts reads version ${PUBSUB_ACKS_VERSION}. Restore with the beam-ts version that wrote the checkpoint.`,
      { retryable: false },
    );
  }
  const subscription = r.readUtf8(r.readVarInt());
  const ackIds: string[] = [];
  for (let n = r.readVarInt(); n > 0; n--) ackIds.push(r.readUtf8(r.readVarInt()));
  const messageIds: string[] = [];
  for (let n = r.readVarInt(); n > 0; n--) messageIds.push(r.readUtf8(r.readVarInt()));
  return { subscription, ackIds, messageIds };
}
