import { describe, expect, it } from "vitest";
import { GLOBAL_WINDOW } from "../model/index.js";
import { encodeToBytes, jsValueCoder, lengthPrefixCoder, stringUtf8Coder } from "../coders/index.js";
import { StateSpecs, sum, type BagState, type MapState, type OrderedListState, type ValueState } from "../transforms/index.js";
import type { StateKey } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { BundleUserState, type UserStateCell, type UserStateClient } from "./user-state.js";

/** A runner's user state in memory, as Prism keeps it (a cleared map key stays listed, empty). */
class FakeRunnerState implements UserStateClient {
  readonly log: string[] = [];
  private readonly cells = new Map<string, Buffer[]>();

  private static id(key: StateKey): string {
    const t = key.type!;
    const body = Object.values(t)[1] as { userStateId: string; mapKey?: Buffer };
    return `${body.userStateId}${body.mapKey === undefined ? "" : `/${body.mapKey.toString("hex")}`}`;
  }

  get(key: StateKey): Promise<Uint8Array> {
    const t = key.type!;
    if (t.$case === "multimapKeysUserState") {
      const prefix = `${t.multimapKeysUserState.userStateId}/`;
      const keys = [...this.cells.keys()].filter((k) => k.startsWith(prefix)).map((k) => Buffer.from(k.slice(prefix.length), "hex"));
      return Promise.resolve(Buffer.concat(keys));
    }
    return Promise.resolve(Buffer.concat(this.cells.get(FakeRunnerState.id(key)) ?? []));
  }

  append(key: StateKey, data: Uint8Array): Promise<void> {
    const id = FakeRunnerState.id(key);
    this.log.push(`append ${id}`);
    this.cells.set(id, [...(this.cells.get(id) ?? []), Buffer.from(data)]);
    return Promise.resolve();
  }

  clear(key: StateKey): Promise<void> {
    const id = FakeRunnerState.id(key);
    this.log.push(`clear ${id}`);
    this.cells.set(id, []);
    return Promise.resolve();
  }
}

const js = lengthPrefixCoder(jsValueCoder);
const cells: UserStateCell[] = [
  { id: "v", spec: StateSpecs.value(), protocol: "bag", valueCoder: js, keyCoder: undefined },
  { id: "bag", spec: StateSpecs.bag(), protocol: "bag", valueCoder: js, keyCoder: undefined },
  { id: "total", spec: StateSpecs.combining(sum()), protocol: "bag", valueCoder: js, keyCoder: undefined },
  { id: "m", spec: StateSpecs.map(), protocol: "multimap", valueCoder: js, keyCoder: js },
  { id: "list", spec: StateSpecs.orderedList(), protocol: "orderedList", valueCoder: js, keyCoder: undefined },
];
const key = encodeToBytes(stringUtf8Coder, "k", true);

/** One bundle: reads (key "k", global window), runs `body` on the accessors, writes back. */
async function bundle(runner: FakeRunnerState, body: (s: Record<string, unknown>) => void): Promise<void> {
  const state = new BundleUserState("t1", cells, runner);
  const entry = await state.load("k", key, GLOBAL_WINDOW, new Uint8Array(0));
  body(state.accessors(entry));
  await state.flush();
}

describe("BundleUserState", () => {
  it("reads what earlier bundles wrote and writes back only the cells a bundle changed", async () => {
    const runner = new FakeRunnerState();
    await bundle(runner, (s) => {
      (s["v"] as ValueState<string>).write("x");
      (s["total"] as { add(n: number): void }).add(5);
    });
    // Cells are written concurrently, each as a clear and then an append.
    expect(runner.log.filter((l) => l.endsWith(" v"))).toEqual(["clear v", "append v"]);
    expect(runner.log.filter((l) => l.endsWith(" total"))).toEqual(["clear total", "append total"]);
    expect(runner.log).toHaveLength(4);
    runner.log.length = 0;
    await bundle(runner, (s) => {
      expect((s["v"] as ValueState<string>).read()).toBe("x");
      expect((s["total"] as { read(): number }).read()).toBe(5);
    });
    expect(runner.log).toEqual([]);
  });

  it("appends to a bag that only grew, and rewrites one that was cleared", async () => {
    const runner = new FakeRunnerState();
    await bundle(runner, (s) => (s["bag"] as BagState<number>).add(1));
    await bundle(runner, (s) => (s["bag"] as BagState<number>).add(2));
    expect(runner.log).toEqual(["append bag", "append bag"]);
    runner.log.length = 0;
    await bundle(runner, (s) => {
      const bag = s["bag"] as BagState<number>;
      expect(bag.read()).toEqual([1, 2]);
      bag.clear();
      bag.add(3);
    });
    expect(runner.log).toEqual(["clear bag", "append bag"]);
    await bundle(runner, (s) => expect((s["bag"] as BagState<number>).read()).toEqual([3]));
  });

  it("writes a map key by key: removed keys are cleared, and a cleared key the runner still lists reads as absent", async () => {
    const runner = new FakeRunnerState();
    await bundle(runner, (s) => {
      const m = s["m"] as MapState<string, number>;
      m.put("a", 1);
      m.put("b", 2);
    });
    await bundle(runner, (s) => {
      const m = s["m"] as MapState<string, number>;
      m.remove("a");
      m.put("b", 2);
    });
    expect(runner.log.filter((l) => l.startsWith("clear"))).toEqual([`clear m/${Buffer.from(encodeToBytes(js, "a", true)).toString("hex")}`]);
    await bundle(runner, (s) => expect([...(s["m"] as MapState<string, number>).entries()]).toEqual([["b", 2]]));
  });

  it("keeps an ordered list sorted by sort key and never clears one the runner has not stored", async () => {
    const runner = new FakeRunnerState();
    await bundle(runner, (s) => {
      const list = s["list"] as OrderedListState<string>;
      list.add("late", 20);
      list.add("early", 10);
    });
    expect(runner.log.filter((l) => l.startsWith("clear"))).toEqual([]);
    await bundle(runner, (s) => {
      const list = s["list"] as OrderedListState<string>;
      expect(list.read().map((v) => v.value)).toEqual(["early", "late"]);
      list.clearRange(0, 15);
    });
    expect(runner.log.filter((l) => l.startsWith("clear"))).toEqual(["clear list"]);
    await bundle(runner, (s) => expect((s["list"] as OrderedListState<string>).read()).toEqual([{ value: "late", timestamp: 20 }]));
  });
});
