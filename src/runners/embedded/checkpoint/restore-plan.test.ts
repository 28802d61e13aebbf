import { describe, expect, it } from "vitest";
import { encodeCheckpoint, type StageShape } from "./checkpoint-file.js";
import type { CheckpointSettings } from "./checkpoint-settings.js";
import type { CheckpointStorage, StoredCheckpoint } from "./checkpoint-storage.js";
import { encodePart } from "./executor-part.js";
import { oldParts, rescaledFrom } from "./rescale.js";
import { DROPPED_STATE_SECTION, MIGRATIONS_SECTION, planRestore, type DeclaredMigrations } from "./restore-plan.js";

const STAGES: StageShape[] = [
  { label: "Read", shape: "splittableParDo", stateful: true },
  { label: "Count", shape: "statefulParDo(key string_utf8, GlobalWindows, state [n:value<varint>], timers [])", stateful: true },
];

/** Storage holding one checkpoint with `parts` executors, each part with a section per stage. */
function storageWith(parts: number, stages = STAGES): CheckpointStorage {
  const part = encodePart(new Map(stages.map((s) => [`stage:${s.label}`, new Uint8Array([1, 2, 3])])));
  const bytes = encodeCheckpoint({ id: 7, kind: "checkpoint", createdAt: "2026-12-07T00:00:00Z", job: "test", finished: false, stages }, Array.from({ length: parts }, () => part));
  const stored: StoredCheckpoint = { id: 7, kind: "checkpoint", location: "/cp/chk-000007.beamckpt" };
  return { write: () => Promise.resolve(stored), list: () => [stored], read: () => bytes, remove: () => {} };
}

const settings = (over: Partial<CheckpointSettings> = {}): CheckpointSettings => ({
  dir: "/cp",
  intervalMillis: 1000,
  retained: 3,
  restoreFrom: "latest",
  allowDroppingState: false,
  renames: new Map(),
  stopAfterCheckpoint: undefined,
  ...over,
});

describe("planRestore", () => {
  it("hands each executor its part, stage sections under the pipeline's names", () => {
    const plan = planRestore(storageWith(2), settings(), STAGES, 2)!;
    expect(plan.parts).toHaveLength(2);
    expect([...plan.parts[1]!.keys()]).toEqual(["stage:Read", "stage:Count"]);
  });

  it("rescales a checkpoint taken at another --parallelism: every executor gets every old part, marked as such", () => {
    for (const to of [1, 3]) {
      const plan = planRestore(storageWith(2), settings(), STAGES, to)!;
      expect(plan.rescaledFrom).toBe(2);
      expect(plan.parts).toHaveLength(to);
      for (const part of plan.parts) {
        expect(rescaledFrom(part)).toBe(2);
        const old = oldParts(part)!;
        expect(old).toHaveLength(2);
        for (const sections of old) expect([...sections.keys()]).toEqual(["stage:Read", "stage:Count"]);
      }
    }
    expect(planRestore(storageWith(2), settings(), STAGES, 2)!.rescaledFrom).toBeUndefined();
  });

  it("moves a renamed step's state under its new name, and refuses a rename of a step the checkpoint lacks", () => {
    const renamed = [STAGES[0]!, { ...STAGES[1]!, label: "Counter" }];
    const plan = planRestore(storageWith(1), settings({ renames: new Map([["Count", "Counter"]]) }), renamed, 1)!;
    expect([...plan.parts[0]!.keys()]).toEqual(["stage:Read", "stage:Counter"]);
    expect(() => planRestore(storageWith(1), settings({ renames: new Map([["Nope", "Counter"]]) }), renamed, 1)).toThrow(/--renameSteps names "Nope", which the checkpoint does not have/);
  });

  it("lists every problem at once", () => {
    const changed = [{ ...STAGES[0]!, shape: "read(X)" }];
    expect(() => planRestore(storageWith(1), settings(), changed, 1)).toThrow(/step "Read" changed incompatibly[\s\S]*step "Count" holds state/);
  });

  it("starts fresh when latest finds nothing, with a warning", () => {
    const empty: CheckpointStorage = { write: () => Promise.reject(new Error("no")), list: () => [], read: () => new Uint8Array(), remove: () => {} };
    expect(planRestore(empty, settings(), STAGES, 1)).toBeUndefined();
  });

  describe("state cells and timers added or removed", () => {
    const count = (state: string, timers = ""): StageShape => ({ label: "Count", shape: `statefulParDo(key string_utf8, GlobalWindows, state [${state}], timers [${timers}])`, stateful: true });
    const old = [STAGES[0]!, count("n:value<varint>, pairs:map<kv<string_utf8, varint>>", "flush")];

    it("restores a step that added a state cell and a timer: nothing is dropped", () => {
      const plan = planRestore(storageWith(1, old), settings(), [STAGES[0]!, count("n:value<varint>, pairs:map<kv<string_utf8, varint>>, seen:bag<varint>", "flush, tick")], 1)!;
      expect(plan.dropped.size).toBe(0);
      expect(plan.parts[0]!.has(DROPPED_STATE_SECTION)).toBe(false);
    });

    it("refuses a removed cell or timer, naming the step, the cell and the flag, and drops them with --allowDroppingState", () => {
      const now = [STAGES[0]!, count("n:value<varint>, seen:bag<varint>")];
      expect(() => planRestore(storageWith(1, old), settings(), now, 1)).toThrow(
        /step "Count" no longer declares state cell "pairs" \(map<kv<string_utf8, varint>>\), timer "flush" \(with any timers set for it\), which the checkpoint holds.*--allowDroppingState/,
      );
      const plan = planRestore(storageWith(2, old), settings({ allowDroppingState: true }), now, 2)!;
      expect(plan.dropped).toEqual(new Map([["Count", ["state:pairs", "timer:flush"]]]));
      for (const part of plan.parts) expect(JSON.parse(Buffer.from(part.get(DROPPED_STATE_SECTION)!).toString("utf8"))).toEqual({ Count: ["state:pairs", "timer:flush"] });
    });

    it("refuses a cell that changed kind, and a changed key coder or windowing, even with added cells", () => {
      const kindChanged = [STAGES[0]!, count("n:bag<varint>, pairs:map<kv<string_utf8, varint>>", "flush")];
      expect(() => planRestore(storageWith(1, old), settings({ allowDroppingState: true }), kindChanged, 1)).toThrow(/step "Count" changed incompatibly: its state cell "n" changed from value<varint> to bag<varint>/);
      const rewindowed = [STAGES[0]!, { ...count("n:value<varint>, pairs:map<kv<string_utf8, varint>>, seen:bag<varint>", "flush"), shape: old[1]!.shape.replace("GlobalWindows", "FixedWindows(1000)") }];
      expect(() => planRestore(storageWith(1, old), settings({ allowDroppingState: true }), rewindowed, 1)).toThrow(/step "Count" changed incompatibly/);
    });
  });

  describe("declared state migrations", () => {
    const count = (coder: string, withCoders = true): StageShape => ({
      label: "Count",
      shape: `statefulParDo(key string_utf8, GlobalWindows, state [n:value<${coder}>], timers [])`,
      stateful: true,
      ...(withCoders ? { coders: { key: "string_utf8", "state:n": coder } } : {}),
    });
    const declared = (from: string): DeclaredMigrations => ({
      byStage: new Map([["Count", { from: new Map([["state:n", from]]), shapeWith: (slots) => count(slots.has("state:n") ? from : "row", false).shape }]]),
      problems: [],
    });

    it("migrates a cell whose checkpoint coder is the declared old one, and tells every executor", () => {
      const plan = planRestore(storageWith(2, [STAGES[0]!, count("varint")]), settings(), [STAGES[0]!, count("row")], 2, declared("varint"))!;
      expect(plan.migrations).toEqual(new Map([["Count", ["state:n"]]]));
      for (const part of plan.parts) expect(JSON.parse(Buffer.from(part.get(MIGRATIONS_SECTION)!).toString("utf8"))).toEqual({ Count: ["state:n"] });
    });

    it("leaves a checkpoint already written with the new coder alone, so a migration can stay declared", () => {
      const plan = planRestore(storageWith(1, [STAGES[0]!, count("row")]), settings(), [STAGES[0]!, count("row")], 1, declared("varint"))!;
      expect(plan.migrations.size).toBe(0);
      expect(plan.parts[0]!.has(MIGRATIONS_SECTION)).toBe(false);
    });

    it("migrates a checkpoint written before coder tables were recorded when the old coders make the shapes agree", () => {
      const plan = planRestore(storageWith(1, [STAGES[0]!, count("varint", false)]), settings(), [STAGES[0]!, count("row")], 1, declared("varint"))!;
      expect(plan.migrations.get("Count")).toEqual(["state:n"]);
      expect(() => planRestore(storageWith(1, [STAGES[0]!, count("varint", false)]), settings(), [STAGES[0]!, count("row")], 1)).toThrow(/step "Count" changed incompatibly/);
    });

    it("refuses a changed key coder even with migrations, explaining that state is found by the key's bytes", () => {
      const old = { ...count("varint"), coders: { key: "varint", "state:n": "varint" } };
      expect(() => planRestore(storageWith(1, [STAGES[0]!, old]), settings(), [STAGES[0]!, count("varint")], 1, declared("varint"))).toThrow(
        /key coder changed from varint to string_utf8, which cannot be migrated: state is found, and split between executors, by the key's encoded bytes/,
      );
    });

    it("refuses declarations that match no keyed step", () => {
      expect(() => planRestore(storageWith(1), settings(), STAGES, 1, { byStage: new Map(), problems: ['migrateState("Nope") names no step'] })).toThrow(/migrateState\("Nope"\) names no step/);
    });
  });
});
