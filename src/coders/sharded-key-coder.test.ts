import { describe, expect, it } from "vitest";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
import { asDeterministic } from "./deterministic.js";
import { jsValueCoder } from "./js-value-coder.js";
import { stringUtf8Coder } from "./primitives.js";
import { shardedKeyCoder } from "./sharded-key-coder.js";

describe("shardedKeyCoder", () => {
  it("writes the shard id as nested bytes, then the key nested, in both contexts", () => {
    const coder = shardedKeyCoder(stringUtf8Coder);
    const value = { shardId: new Uint8Array([7, 8]), key: "key" };
    for (const nested of [false, true]) {
      const bytes = encodeToBytes(coder, value, nested);
      expect(Buffer.from(bytes).toString("hex")).toBe("020708036b6579");
      expect(decodeFromBytes(coder, bytes, nested)).toEqual(value);
    }
  });

  it("has a deterministic form when its key coder has one", () => {
    const coder = shardedKeyCoder(jsValueCoder);
    expect(coder.deterministic).toBe(false);
    const keyed = asDeterministic(coder);
    expect(keyed.deterministic).toBe(true);
    expect(keyed.urn).toBe(coder.urn);
  });

  it("rejects values without a byte shard id", () => {
    expect(() => encodeToBytes(shardedKeyCoder(stringUtf8Coder), { shardId: "s", key: "k" } as never)).toThrow(/shardId: Uint8Array/);
  });
});
