import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pipeline, TransientError, create, map, stringUtf8Coder, twoPhaseCommitWrite, type TwoPhaseCommitSink } from "../../src/index.js";

type FakeTxn = { id: string; rows: number[] };

/**
 * A transactional table in memory: a transaction's rows are staged under its id by
 * preCommit and become visible on commit, at most once per id (commit is idempotent).
 */
class FakeTable implements TwoPhaseCommitSink<number, FakeTxn, string> {
  readonly handleCoder = stringUtf8Coder;
  readonly staged = new Map<string, number[]>();
  readonly visible = new Map<string, number[]>();
  readonly aborted: number[][] = [];
  readonly begun: string[] = [];
  private next = 0;

  begin(): FakeTxn {
    const id = `txn-${this.next++}`;
    this.begun.push(id);
    return { id, rows: [] };
  }
  write(txn: FakeTxn, row: number): void {
    txn.rows.push(row);
  }
  preCommit(txn: FakeTxn): string {
    this.staged.set(txn.id, txn.rows);
    return txn.id;
  }
  commit(id: string): void {
    const rows = this.staged.get(id);
    if (rows === undefined) throw new Error(`no staged transaction ${id}`);
    this.visible.set(id, rows);
  }
  abort(txn: FakeTxn): void {
    this.aborted.push([...txn.rows]);
  }
  rows(): number[] {
    return [...this.visible.values()].flat().sort((a, b) => a - b);
  }
}

describe("twoPhaseCommitWrite on the embedded runner", () => {
  it("makes every element visible exactly once, whatever the bundles", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (rows, bundleSize) => {
        const table = new FakeTable();
        const p = new Pipeline({ runner: "embedded", bundleSize });
        p.apply(create(rows)).apply(twoPhaseCommitWrite(table));
        await p.run().waitUntilFinish();
        expect(table.rows()).toEqual([...rows].sort((a, b) => a - b));
        expect(table.aborted).toEqual([]);
        // One transaction per bundle, every one committed.
        expect(table.visible.size).toBe(table.begun.length);
      }),
      { numRuns: 15 },
    );
  });

  it("aborts the transaction of an attempt that failed upstream in its bundle and shows only the retry's rows", async () => {
    const table = new FakeTable();
    let failed = false;
    const p = new Pipeline({ runner: "embedded" });
    p.apply(create([1, 2, 3, 4]))
      .apply(
        "FailsOnce",
        map((n: number) => {
          if (n === 3 && !failed) {
            failed = true;
            throw new TransientError("connection reset");
          }
          return n;
        }),
      )
      .apply(twoPhaseCommitWrite(table));
    await p.run().waitUntilFinish();
    expect(table.aborted).toEqual([[1, 2]]);
    expect(table.rows()).toEqual([1, 2, 3, 4]);
  });
});
