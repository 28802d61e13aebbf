import { describe, expect, it } from "vitest";
import { decodeFromBytes, encodeToBytes } from "../../src/index.js";
import { eventCoder } from "./coders.js";
import { nexmarkConfiguration } from "./config.js";
import { standardEvents } from "./generator.js";
import type { Event } from "./model.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("the Nexmark event coder", () => {
  it("writes a bid as Beam's Event.CODER does: tag 2, varint longs, InstantCoder time, length-prefixed extra", () => {
    const bid: Event = { kind: "bid", bid: { auction: 1000, bidder: 1001, price: 300, dateTime: 1_436_918_400_000, extra: "ab" } };
    // 02 | e807 (1000) | e907 (1001) | ac02 (300) | 8000014e8f02c400 (ms + 2^63, big-endian) | 02 6162
    expect(hex(encodeToBytes(eventCoder, bid))).toBe("02" + "e807" + "e907" + "ac02" + "8000014e8f02c400" + "026162");
  });

  it("writes a person as Beam's Person.CODER does, strings as UTF-8", () => {
    const p: Event = {
      kind: "person",
      newPerson: { id: 1, name: "Zoë", emailAddress: "", creditCard: "1", city: "", state: "OR", dateTime: 0, extra: "" },
    };
    expect(hex(encodeToBytes(eventCoder, p))).toBe("00" + "01" + "045a6fc3ab" + "00" + "0131" + "00" + "024f52" + "8000000000000000" + "00");
  });

  it("round-trips generated people, auctions and bids", () => {
    for (const { event } of standardEvents(nexmarkConfiguration({ numEvents: 500, numEventGenerators: 1 }))) {
      expect(decodeFromBytes(eventCoder, encodeToBytes(eventCoder, event))).toEqual(event);
    }
  });

  it("rejects an unknown tag", () => {
    expect(() => decodeFromBytes(eventCoder, Uint8Array.of(7))).toThrow(/invalid event tag 7/);
  });
});
