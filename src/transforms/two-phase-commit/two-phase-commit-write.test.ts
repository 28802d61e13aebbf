import { describe, expect, it } from "vitest";
import { decodeFromBytes, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { ConstructionError, GLOBAL_WINDOW, NO_FIRING, type Instant } from "../../model/index.js";
import type { BundleFinalizationCallback, BundleFinalizer, DoFnMetrics, FinishBundleContext, ProcessContext } from "../do-fn.js";
import type { TwoPhaseCommitSink } from "./two-phase-commit-sink.js";
import { TwoPhaseCommitDoFn, twoPhaseCommitWrite } from "./two-phase-commit-write.js";

/**
 * A transactional table in memory: a transaction's rows are staged under its id by
 * preCommit and become visible on commit, at most once per id (commit is idempotent).
 */
type FakeTxn = { id: string; rows: number[] };

class FakeTable implements TwoPhaseCommitSink<number, FakeTxn, string> {
  readonly handleCoder = stringUtf8Coder;
  readonly staged = new Map<string, number[]>();
  readonly visible = new Map<string, number[]>();
  readonly aborted: number[][] = [];
  readonly begun: string[] = [];
  commits = 0;
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
    this.commits++;
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

const noMetrics: DoFnMetrics = {
  counter: () => ({ inc: () => undefined, dec: () => undefined }),
  distribution: () => ({ update: () => undefined }),
  gauge: () => ({ set: () => undefined }),
  stringSet: () => ({ add: () => undefined }),
};

/** A finalizer that keeps what is registered, as a runner would until its bundle commits. */
function recordingFinalizer(finalizesReliably: boolean) {
  const registered: { expiry: Instant; callback: BundleFinalizationCallback; recovery?: Uint8Array }[] = [];
  const finalizer: BundleFinalizer = {
    finalizesReliably,
    afterBundleCommit: (expiry, callback, recovery) => void registered.push({ expiry, callback, ...(recovery ? { recovery } : {}) }),
  };
  return { finalizer, registered };
}

function processContext(finalizer: BundleFinalizer): ProcessContext<never> {
  return {
    timestamp: 0,
    window: GLOBAL_WINDOW,
    pane: NO_FIRING,
    output: () => undefined,
    outputWithTimestamp: () => undefined,
    outputTo: () => undefined,
    sideInput: () => {
      throw new Error("no side inputs");
    },
    metrics: noMetrics,
    bundleFinalizer: finalizer,
  };
}

function finishContext(finalizer: BundleFinalizer): FinishBundleContext<never> {
  return { output: () => undefined, outputTo: () => undefined, metrics: noMetrics, bundleFinalizer: finalizer };
}

/** The DoFn twoPhaseCommitWrite runs, for a sink that outputs nothing. */
function doFnOf(sink: TwoPhaseCommitSink<number, FakeTxn, string>): TwoPhaseCommitDoFn<number, FakeTxn, string, never> {
  return new TwoPhaseCommitDoFn<number, FakeTxn, string, never>(sink);
}

/** One bundle of `rows` through `fn`, as a runner drives it. */
async function runBundle(fn: TwoPhaseCommitDoFn<number, FakeTxn, string, never>, rows: number[], finalizer: BundleFinalizer) {
  await fn.startBundle({ metrics: noMetrics, bundleFinalizer: finalizer });
  for (const r of rows) await fn.process(r, processContext(finalizer));
  await fn.finishBundle(finishContext(finalizer));
}

describe("twoPhaseCommitWrite's DoFn", () => {
  it("on a runner that finalizes reliably, makes a bundle visible only when its commit callback runs", async () => {
    const table = new FakeTable();
    const fn = doFnOf(table);
    const { finalizer, registered } = recordingFinalizer(true);
    await runBundle(fn, [1, 2, 3], finalizer);
    expect(table.rows()).toEqual([]);
    expect(registered).toHaveLength(1);
    expect(registered[0]!.expiry).toBeGreaterThan(Date.now() + 100 * 365 * 86_400_000);
    await registered[0]!.callback();
    expect(table.rows()).toEqual([1, 2, 3]);
  });

  it("stores the pre-committed handle as recovery bytes that a restored job commits, once however often", async () => {
    const table = new FakeTable();
    const { finalizer, registered } = recordingFinalizer(true);
    await runBundle(doFnOf(table), [4, 5], finalizer);
    const recovery = registered[0]!.recovery!;
    expect(decodeFromBytes(stringUtf8Coder, recovery)).toBe("txn-0");
    // The process died before the callback ran; the restored job has a new DoFn instance.
    const restored = doFnOf(table);
    await restored.recoverCommit(recovery);
    expect(table.rows()).toEqual([4, 5]);
    // Or it died after: the callback and the recovery both commit, and the rows are there once.
    await registered[0]!.callback();
    await restored.recoverCommit(recovery);
    expect(table.rows()).toEqual([4, 5]);
  });

  it("commits at the end of the bundle when the runner may skip finalization (at-least-once)", async () => {
    const table = new FakeTable();
    const { finalizer, registered } = recordingFinalizer(false);
    await runBundle(doFnOf(table), [7], finalizer);
    expect(registered).toEqual([]);
    expect(table.rows()).toEqual([7]);
  });

  it("aborts at the next startBundle a transaction that a failed attempt left open", async () => {
    const table = new FakeTable();
    const fn = doFnOf(table);
    const { finalizer } = recordingFinalizer(true);
    await fn.startBundle({ metrics: noMetrics, bundleFinalizer: finalizer });
    await fn.process(1, processContext(finalizer));
    // The attempt failed here (no finishBundle); the runner reuses the instance.
    await fn.startBundle({ metrics: noMetrics, bundleFinalizer: finalizer });
    expect(table.aborted).toEqual([[1]]);
    expect(table.begun).toEqual(["txn-0", "txn-1"]);
  });

  it("aborts at teardown a transaction whose preCommit failed, and nothing after a clean bundle", async () => {
    const table = new FakeTable();
    let failPreCommit = true;
    const flaky: TwoPhaseCommitSink<number, FakeTxn, string> = {
      handleCoder: table.handleCoder,
      begin: () => table.begin(),
      write: (txn, row) => table.write(txn, row),
      preCommit: (txn) => {
        if (failPreCommit) throw new Error("disk full");
        return table.preCommit(txn);
      },
      commit: (id) => table.commit(id),
      abort: (txn) => table.abort(txn),
    };
    const { finalizer } = recordingFinalizer(true);
    const fn = doFnOf(flaky);
    await expect(runBundle(fn, [1, 2], finalizer)).rejects.toThrow("disk full");
    await fn.teardown();
    expect(table.aborted).toEqual([[1, 2]]);
    failPreCommit = false;
    const next = doFnOf(flaky);
    await runBundle(next, [3], finalizer);
    await next.teardown();
    expect(table.aborted).toEqual([[1, 2]]);
  });

  it("refuses a sink without a handle coder or a method, naming what is missing", () => {
    const table = new FakeTable();
    const noCoder = { ...table, begin: table.begin, write: table.write, preCommit: table.preCommit, commit: table.commit, abort: table.abort, handleCoder: undefined };
    expect(() => twoPhaseCommitWrite(noCoder as unknown as FakeTable)).toThrow(/no handleCoder/);
    const noAbort = { handleCoder: varIntCoder, begin: () => 0, write: () => undefined, preCommit: () => 0, commit: () => undefined };
    expect(() => twoPhaseCommitWrite(noAbort as unknown as TwoPhaseCommitSink<number, number, number>)).toThrow(ConstructionError);
    expect(() => twoPhaseCommitWrite(noAbort as unknown as TwoPhaseCommitSink<number, number, number>)).toThrow(/no abort\(\) method/);
  });
});
