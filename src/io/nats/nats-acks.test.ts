import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeNatsAcks, encodeNatsAcks, parseAckSubject } from "./nats-acks.js";

const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);

describe("NATS acknowledgements", () => {
  it("decodes the recovery bytes it encoded", () => {
    fc.assert(
      fc.property(token, token, fc.array(fc.string(), { maxLength: 20 }), (stream, consumer, replies) => {
        expect(decodeNatsAcks(encodeNatsAcks({ stream, consumer, replies }))).toEqual({ stream, consumer, replies });
      }),
    );
  });

  it("refuses recovery bytes of another format version", () => {
    const bytes = encodeNatsAcks({ stream: "s", consumer: "c", replies: [] });
    bytes[0] = 9;
    expect(() => decodeNatsAcks(bytes)).toThrow(/format version 9/);
  });

  it("reads stream, consumer, sequences and time from both forms of JetStream's reply subject", () => {
    fc.assert(
      fc.property(token, token, fc.nat(), fc.nat(), fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 63n }), (stream, consumer, dc, sseq, dseq, ts) => {
        const expected = { stream, consumer, deliveryCount: dc, streamSequence: sseq, consumerSequence: dseq, timestampNanos: ts };
        expect(parseAckSubject(`$JS.ACK.${stream}.${consumer}.${dc}.${sseq}.${dseq}.${ts}.7`)).toEqual(expected);
        expect(parseAckSubject(`$JS.ACK.hub.ACCHASH.${stream}.${consumer}.${dc}.${sseq}.${dseq}.${ts}.7.tok`)).toEqual(expected);
      }),
    );
  });

  it("rejects subjects that are not JetStream acknowledgements", () => {
    expect(parseAckSubject("_INBOX.abc")).toBeUndefined();
    expect(parseAckSubject("$JS.ACK.s.c.1.x.3.4.5")).toBeUndefined();
    expect(parseAckSubject("$JS.ACK.s.c.1.2")).toBeUndefined();
  });
});
