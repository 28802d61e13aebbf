import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RedisIOError } from "./redis-io-error.js";
import { decodeStreamAcks, encodeStreamAcks } from "./stream-acks.js";

describe("the recovery bytes of readFromRedisStream's acknowledgements", () => {
  it("give back the stream, group and ids they were written from, whatever their characters", () => {
    const id = fc.tuple(fc.nat(), fc.nat()).map(([ms, seq]) => `${ms}-${seq}`);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), fc.array(id, { maxLength: 200 }), (stream, group, ids) => {
        expect(decodeStreamAcks(encodeStreamAcks({ stream, group, ids }))).toEqual({ stream, group, ids });
      }),
    );
  });

  it("refuse bytes of another format version, naming the fix", () => {
    const bytes = encodeStreamAcks({ stream: "orders", group: "billing", ids: ["1-0"] });
    bytes[0] = 9;
    expect(() => decodeStreamAcks(bytes)).toThrow(RedisIOError);
    expect(() => decodeStreamAcks(bytes)).toThrow(/version 9.*Restore with the beam-ts version that wrote the checkpoint/);
  });
});
