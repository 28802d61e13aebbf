import { BufferReader, BufferWriter } from "../../coders/index.js";
import { NatsIOError } from "./nats-io-error.js";

/**
 * What JetStream writes in the reply subject of a message a consumer delivers: the stream,
 * the consumer, how often it was delivered, the stream and consumer sequences, and the
 * time the stream stored it. Acknowledging is publishing `+ACK` to that subject, from any
 * connection of the account: that is what lets a restored job acknowledge what the job it
 * replaces read.
 */
export interface AckSubject {
  readonly stream: string;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly streamSequence: number;
  readonly consumerSequence: number;
  /** Nanoseconds since the epoch, the stream's clock. */
  readonly timestampNanos: bigint;
}

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` or the newer
 * form with a domain and account hash in front (`$JS.ACK.<domain>.<hash>.<stream>.…` with a
 * token after `pending`); undefined for any other subject.
 */
export function parseAckSubject(subject: string): AckSubject | undefined {
  const t = subject.split(".");
  if (t[0] !== "$JS" || t[1] !== "ACK") return undefined;
  const at = t.length === 9 ? 2 : t.length >= 11 ? 4 : -1;
  if (at < 0) return undefined;
  const numbers = t.slice(at + 2, at + 6);
  if (numbers.some((n) => !/^\d+$/.test(n ?? ""))) return undefined;
  const [dc, sseq, dseq, ts] = numbers as [string, string, string, string];
  return {
    stream: t[at]!,
    consumer: t[at + 1]!,
    deliveryCount: Number(dc),
    streamSequence: Number(sseq),
    consumerSequence: Number(dseq),
    timestampNanos: BigInt(ts),
  };
}

/** The acknowledgements a bundle of readFromNats owes: the reply subjects of the messages it emitted. */
export interface NatsAcks {
  readonly stream: string;
  readonly consumer: string;
  readonly replies: readonly string[];
}

/*
 * The recovery bytes of a registered acknowledgement (BundleFinalizer.afterBundleCommit),
 * which a checkpoint covering the bundle stores and a job restored from it hands to
 * recoverCommit. Versioned, as every byte a checkpoint holds (docs/FAULT_TOLERANCE.md):
 *
 *   version   byte                     NATS_ACKS_VERSION (1)
 *   stream    varint length, UTF-8
 *   consumer  varint length, UTF-8
 *   replies   varint n, then n × (varint length, UTF-8)   reply subjects `$JS.ACK.…`
 */
const NATS_ACKS_VERSION = 1;

/** The recovery bytes of `acks`. */
export function encodeNatsAcks(acks: NatsAcks): Uint8Array {
  const w = new BufferWriter();
  w.writeByte(NATS_ACKS_VERSION);
  w.writeUtf8(acks.stream, true);
  w.writeUtf8(acks.consumer, true);
  w.writeVarInt(acks.replies.length);
  for (const r of acks.replies) w.writeUtf8(r, true);
  return w.finish();
}

/** The acks of bytes written by encodeNatsAcks; a NatsIOError for any other version. */
export function decodeNatsAcks(bytes: Uint8Array): NatsAcks {
  const r = new BufferReader(bytes);
  const version = r.readByte();
  if (version !== NATS_ACKS_VERSION) {
    throw new NatsIOError(
      `readFromNats: the checkpoint holds acknowledgements in format version ${version}, and this version of beam-ts reads version ${NATS_ACKS_VERSION}. ` +
        `Restore with the beam-ts version that wrote the checkpoint.`,
      { retryable: false },
    );
  }
  const stream = r.readUtf8(r.readVarInt());
  const consumer = r.readUtf8(r.readVarInt());
  const replies: string[] = [];
  for (let n = r.readVarInt(); n > 0; n--) replies.push(r.readUtf8(r.readVarInt()));
  return { stream, consumer, replies };
}
