import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter, globalWindowCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { GLOBAL_WINDOW, type BoundedWindow, type Coder } from "../../model/index.js";
import { StateSpecs, keyIdentifier, type BagState, type ValueState } from "../../transforms/index.js";
import { MinHeap } from "../min-heap.js";
import { stateAccessors } from "./state-accessors.js";
import { beginStateSnapshot, readStateSnapshot, writeStateSnapshot, type StateSnapshotContext } from "./state-snapshot.js";
import { StateTable, type StateEntry } from "./state-table.js";

const specs = { count: StateSpecs.value(varIntCoder), seen: StateSpecs.bag(stringUtf8Coder) };
const keys = keyIdentifier(stringUtf8Coder as Coder<unknown>);
const ctx: StateSnapshotContext = {
  specs,
  coders: { key: stringUtf8Coder as Coder<unknown>, window: globalWindowCoder as Coder<BoundedWindow>, keyId: keys.id },
};

interface Cells {
  readonly count: ValueState<number>;
  readonly seen: BagState<string>;
}

function cellsOf(table: StateTable, key: string): Cells {
  const e = table.entry(key, keys.id(key), GLOBAL_WINDOW);
  e.accessors ??= stateAccessors(specs, table, e);
  return e.accessors as unknown as Cells;
}

/** A table of `n` keys, each with a count and one seen word; its expiries heap holds every entry. */
function tableOf(n: number): { table: StateTable; expiries: MinHeap<StateEntry> } {
  const table = new StateTable();
  const expiries = new MinHeap<StateEntry>();
  table.begin();
  for (let i = 0; i < n; i++) {
    const c = cellsOf(table, `k${i}`);
    c.count.write(i);
    c.seen.add(`w${i}`);
  }
  table.commit();
  let t = 0;
  for (const e of table.all()) expiries.push(t++, e);
  return { table, expiries };
}

function bytesOf(write: (out: BufferWriter) => void): Uint8Array {
  const out = new BufferWriter();
  write(out);
  return out.finish();
}

describe("PendingStateSnapshot (copy-on-write state snapshots)", () => {
  it("writes the state as it was when taken, whatever changes while it is written", () => {
    const { table, expiries } = tableOf(2000);
    const expected = bytesOf((out) => writeStateSnapshot(out, table, expiries, ctx));
    const pending = beginStateSnapshot(table, expiries, ctx);
    expect(pending.advance(-Infinity)).toBe(false); // one slice: the first entries
    table.begin();
    cellsOf(table, "k5").count.write(-1); // already written
    cellsOf(table, "k1500").count.write(-1); // not yet: written first, as it was
    cellsOf(table, "k1501").seen.add("late");
    cellsOf(table, "k1502").seen.clear();
    table.clearWindow(table.entry("k1600", keys.id("k1600"), GLOBAL_WINDOW));
    cellsOf(table, "new").count.write(7); // created after the snapshot: not in it
    table.commit();
    table.begin();
    cellsOf(table, "k1500").count.write(-2); // a second change of an entry written early
    table.abort();
    expect(pending.finish()).toEqual(expected);
    // Restored, the snapshot holds the old values.
    const restored = new StateTable();
    readStateSnapshot(new BufferReader(expected), restored, new MinHeap<StateEntry>(), ctx, (e) => void (e.accessors = stateAccessors(specs, restored, e)));
    expect(cellsOf(restored, "k1500").count.read()).toBe(1500);
    expect([...cellsOf(restored, "k1502").seen.read()]).toEqual(["w1502"]);
    expect(cellsOf(restored, "new").count.read()).toBeUndefined();
  });

  it("stops watching the table once written, so the next snapshot can start", () => {
    const { table, expiries } = tableOf(10);
    const first = beginStateSnapshot(table, expiries, ctx);
    expect(() => beginStateSnapshot(table, expiries, ctx)).toThrow(/two snapshots/);
    expect(first.advance(Infinity)).toBe(true);
    expect(table.touchHook).toBeUndefined();
    table.begin();
    cellsOf(table, "k3").count.write(30);
    table.commit();
    const second = beginStateSnapshot(table, expiries, ctx).finish();
    const restored = new StateTable();
    readStateSnapshot(new BufferReader(second), restored, new MinHeap<StateEntry>(), ctx, (e) => void (e.accessors = stateAccessors(specs, restored, e)));
    expect(cellsOf(restored, "k3").count.read()).toBe(30);
  });
});
