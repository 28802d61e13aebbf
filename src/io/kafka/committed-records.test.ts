import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { committedBatches, type BatchHeader } from "./committed-records.js";

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** A data batch of one record at `offset`. */
const data = (offset: number, producerId: number, transactional = true): BatchHeader & { tag: string } => ({
  firstOffset: BigInt(offset),
  lastOffsetDelta: 0,
  attributes: transactional ? TRANSACTIONAL : 0,
  producerId: BigInt(producerId),
  records: [{ key: null }],
  tag: `${producerId}@${offset}`,
});
/** A control batch: a COMMIT (type 1) or ABORT (type 0) marker of `producerId`. */
const marker = (offset: number, producerId: number, commit: boolean): BatchHeader & { tag: string } => ({
  firstOffset: BigInt(offset),
  lastOffsetDelta: 0,
  attributes: TRANSACTIONAL | CONTROL,
  producerId: BigInt(producerId),
  records: [{ key: new Uint8Array([0, 0, 0, commit ? 1 : 0]) }],
  tag: `marker`,
});

describe("committedBatches", () => {
  it("drops the batches of an aborted transaction and every marker, and keeps a later transaction of the same producer", () => {
    const log = [data(0, 7), data(1, 8), marker(2, 7, false), data(3, 8), marker(4, 8, true), data(5, 7), marker(6, 7, true)];
    const kept = committedBatches(log, [{ producerId: 7n, firstOffset: 0n }], true).map((b) => b.tag);
    expect(kept).toEqual(["8@1", "8@3", "7@5"]);
    // read_uncommitted keeps every data batch.
    expect(committedBatches(log, [{ producerId: 7n, firstOffset: 0n }], false).map((b) => b.tag)).toEqual(["7@0", "8@1", "8@3", "7@5"]);
  });

  it("keeps exactly the records of committed transactions in any interleaving of producers", () => {
    // Each producer runs transactions one after another; the log interleaves their batches.
    const txn = fc.record({ producer: fc.integer({ min: 1, max: 3 }), records: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() });
    fc.assert(
      fc.property(fc.array(txn, { maxLength: 12 }), fc.infiniteStream(fc.boolean()), (txns, coin) => {
        // Lay out each transaction's records then its marker, interleaving producers at random.
        const queues = new Map<number, { kind: "data" | "marker"; commit: boolean; id: number }[]>();
        txns.forEach((t, id) => {
          const q = queues.get(t.producer) ?? [];
          for (let i = 0; i < t.records; i++) q.push({ kind: "data", commit: t.commit, id });
          q.push({ kind: "marker", commit: t.commit, id });
          queues.set(t.producer, q);
        });
        const log: (BatchHeader & { tag: string })[] = [];
        const aborted: { producerId: bigint; firstOffset: bigint }[] = [];
        const started = new Set<number>();
        const expected: string[] = [];
        const it = coin[Symbol.iterator]();
        while ([...queues.values()].some((q) => q.length > 0)) {
          for (const [producer, q] of queues) {
            if (q.length === 0 || !it.next().value) continue;
            const e = q.shift()!;
            const offset = log.length;
            if (e.kind === "marker") {
              log.push(marker(offset, producer, e.commit));
              started.delete(e.id);
            } else {
              if (!started.has(e.id)) {
                started.add(e.id);
                if (!e.commit) aborted.push({ producerId: BigInt(producer), firstOffset: BigInt(offset) });
              }
              const b = data(offset, producer);
              log.push(b);
              if (e.commit) expected.push(b.tag);
            }
          }
        }
        expect(committedBatches(log, aborted, true).map((b) => b.tag)).toEqual(expected);
      }),
    );
  });
});
