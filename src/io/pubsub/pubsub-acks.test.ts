import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePubSubAcks, encodePubSubAcks } from "./pubsub-acks.js";

describe("Pub/Sub acknowledgement recovery bytes", () => {
  it("decodes what it encoded", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 30 }), fc.array(fc.string(), { maxLength: 30 }), (subscription, ackIds, messageIds) => {
        expect(decodePubSubAcks(encodePubSubAcks({ subscription, ackIds, messageIds }))).toEqual({ subscription, ackIds, messageIds });
      }),
    );
  });

  it("refuses another format version", () => {
    const bytes = encodePubSubAcks({ subscription: "s", ackIds: [], messageIds: [] });
    bytes[0] = 3;
    expect(() => decodePubSubAcks(bytes)).toThrow(/format version 3/);
  });
});
