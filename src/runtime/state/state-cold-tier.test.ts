import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BufferReader, BufferWriter, globalWindowCoder, stringUtf8Coder, varIntCoder } from "../../coders/index.js";
import { GLOBAL_WINDOW, type BoundedWindow, type Coder } from "../../model/index.js";
import { StateSpecs, keyIdentifier, type BagState, type ValueState } from "../../transforms/index.js";
import { MinHeap } from "../min-heap.js";
import type { ColdTier } from "../cold-tier.js";
import { stateColdTier } from "./state-cold-tier.js";
import { stateAccessors } from "./state-accessors.js";
import { beginStateSnapshot, readStateSnapshot, writeStateSnapshot, type StateSnapshotContext } from "./state-snapshot.js";
import { StateTable, type StateEntry } from "./state-table.js";

const specs = { count: StateSpecs.value(varIntCoder), seen: StateSpecs.bag(stringUtf8Coder) };
const keys = keyIdentifier(stringUtf8Coder as Coder<unknown>);
const ctx: StateSnapshotContext = {
  specs,
  coders: { key: stringUtf8Coder as Coder<unknown>, window: globalWindowCoder as Coder<BoundedWindow>, keyId: keys.id },
};
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Cells {
  readonly count: ValueState<number>;
  readonly seen: BagState<string>;
}

/** A table whose warm entries may take `share` bytes; the rest goes to a file in a fresh directory. */
function tieredTable(share: number): { table: StateTable; tier: ColdTier<StateEntry>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "beam-ts-cold-test-"));
  dirs.push(dir);
  const table = new StateTable();
  const tier = stateColdTier({ share, dir, specs, timers: 0, evicted: (e) => void (e.accessors = undefined) });
  table.keepColdEntries(tier);
  return { table, tier, dir };
}

/** The accessors of a key's entry, used as a stateful stage uses them (warmed first). */
function cellsOf(table: StateTable, key: string): Cells {
  const e = table.entry(key, keys.id(key), GLOBAL_WINDOW);
  table.use(e);
  e.accessors ??= stateAccessors(specs, table, e);
  return e.accessors as unknown as Cells;
}

function snapshotOf(table: StateTable): Uint8Array {
  const out = new BufferWriter();
  writeStateSnapshot(out, table, new MinHeap<StateEntry>(), ctx);
  return out.finish();
}

type Op = { readonly key: number } & ({ readonly kind: "write"; readonly n: number } | { readonly kind: "add"; readonly word: string } | { readonly kind: "clearBag" } | { readonly kind: "expire" });

function apply(table: StateTable, op: Op): unknown {
  const key = `k${op.key}`;
  const c = cellsOf(table, key);
  switch (op.kind) {
    case "write":
      c.count.write(op.n);
      break;
    case "add":
      c.seen.add(op.word);
      break;
    case "clearBag":
      c.seen.clear();
      break;
    case "expire": {
      const e = table.entry(key, keys.id(key), GLOBAL_WINDOW);
      table.clearWindow(e);
      e.accessors = undefined;
      return "expired";
    }
  }
  return [c.count.read(), c.seen.read()];
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ key: fc.nat(40), kind: fc.constant("write" as const), n: fc.integer({ min: -1000, max: 1000 }) }),
  fc.record({ key: fc.nat(40), kind: fc.constant("add" as const), word: fc.string({ maxLength: 30 }) }),
  fc.record({ key: fc.nat(40), kind: fc.constant("clearBag" as const) }),
  fc.record({ key: fc.nat(40), kind: fc.constant("expire" as const) }),
);

describe("ColdTier (state larger than memory)", () => {
  it("a table whose entries go to disk reads, changes, undoes and snapshots exactly as one in memory", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ ops: fc.array(opArb, { maxLength: 30 }), fails: fc.boolean() }), { minLength: 1, maxLength: 25 }), (bundles) => {
        const plain = new StateTable();
        // A share of a few entries: nearly every bundle evicts.
        const { table: tiered, tier } = tieredTable(3_000);
        for (const { ops, fails } of bundles) {
          for (const t of [plain, tiered]) t.begin();
          for (const op of ops) expect(apply(tiered, op)).toEqual(apply(plain, op));
          for (const t of [plain, tiered]) {
            if (fails) t.abort();
            else t.commit();
          }
          expect(snapshotOf(tiered)).toEqual(snapshotOf(plain));
        }
        tier.close();
      }),
      { numRuns: 60 },
    );
  });

  it("evicts past its share, warms entries on use, and frees its file", () => {
    const { table, tier, dir } = tieredTable(20_000);
    for (let b = 0; b < 10; b++) {
      table.begin();
      for (let i = 0; i < 100; i++) cellsOf(table, `k${b * 100 + i}`).seen.add("x".repeat(200));
      table.commit();
    }
    expect(tier.evictions).toBeGreaterThan(500);
    expect(tier.warmBytes).toBeLessThanOrEqual(20_000);
    table.begin();
    expect(cellsOf(table, "k0").seen.read()).toEqual(["x".repeat(200)]);
    table.commit();
    expect(tier.warmings).toBe(1);
    expect(readdirSync(dir)).toHaveLength(1);
    table.close();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it("a copy-on-write snapshot copies cold entries' records and restores into a tiered table", () => {
    const { table } = tieredTable(10_000);
    table.begin();
    for (let i = 0; i < 500; i++) {
      const c = cellsOf(table, `k${i}`);
      c.count.write(i);
      c.seen.add(`w${i}`);
    }
    table.commit();
    const expected = snapshotOf(table);
    const pending = beginStateSnapshot(table, new MinHeap<StateEntry>(), ctx);
    // Cold entries warmed and changed, warm ones evicted, while the snapshot is written.
    table.begin();
    for (let i = 0; i < 500; i += 7) cellsOf(table, `k${i}`).count.write(-i);
    table.commit();
    expect(pending.finish()).toEqual(expected);

    const { table: restored, tier } = tieredTable(10_000);
    readStateSnapshot(new BufferReader(expected), restored, new MinHeap<StateEntry>(), ctx, (e) => void (e.accessors = undefined));
    expect(tier.evictions).toBeGreaterThan(0);
    expect(snapshotOf(restored)).toEqual(expected);
  });
});
