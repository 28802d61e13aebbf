import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError, describeValue } from "../model/index.js";
import { CoderUrns } from "./urns.js";

/**
 * A user key with a shard id (Beam's ShardedKey): runners and GroupIntoBatches spread one
 * hot key over several shards, each grouped on its own. The shard id is opaque bytes.
 *
 * @example
 * const k: ShardedKey<string> = { shardId: new Uint8Array([1]), key: "user-1" };
 */
export interface ShardedKey<K> {
  readonly shardId: Uint8Array;
  readonly key: K;
}

/**
 * Beam's ShardedKey coder: the shard id as nested bytes (varint length, bytes), then the
 * key, nested, in its own coder. Both parts are nested in either context (Java's
 * ShardedKey.Coder and Python's ShardedKeyCoderImpl), so the encoding is the same in both.
 */
class ShardedKeyCoder<K> implements Coder<ShardedKey<K>> {
  readonly urn = CoderUrns.shardedKey;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(readonly keyCoder: Coder<K>) {
    this.components = [keyCoder];
    this.deterministic = keyCoder.deterministic;
  }
  encode(value: ShardedKey<K>, writer: ByteWriter): void {
    if (value === null || typeof value !== "object" || !(value.shardId instanceof Uint8Array)) {
      throw new CoderError(`sharded_key coder expected { shardId: Uint8Array, key } but got ${describeValue(value)}.`);
    }
    writer.writeVarInt(value.shardId.length);
    writer.writeBytes(value.shardId);
    this.keyCoder.encode(value.key, writer, true);
  }
  decode(reader: ByteReader): ShardedKey<K> {
    const shardId = reader.readBytes(reader.readVarInt());
    return { shardId, key: this.keyCoder.decode(reader, true) };
  }
  toString(): string {
    return `sharded_key<${this.keyCoder.toString()}>`;
  }
}

/**
 * The coder of `ShardedKey`s whose keys `keyCoder` encodes; deterministic when it is.
 *
 * @example
 * const coder = shardedKeyCoder(stringUtf8Coder);
 * encodeToBytes(coder, { shardId: new Uint8Array(), key: "key" }); // 00 03 6b 65 79
 */
export function shardedKeyCoder<K>(keyCoder: Coder<K>): Coder<ShardedKey<K>> {
  return new ShardedKeyCoder(keyCoder);
}
