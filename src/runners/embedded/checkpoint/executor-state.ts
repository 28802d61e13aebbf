import { windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import type { Coder, WindowingStrategy } from "../../../model/index.js";
import { BeamError } from "../../../model/index.js";
import type { DoFnOperation, SideInputStore } from "../../../runtime/index.js";
import type { FinalizationGate } from "../finalization-gate.js";
import type { ExchangeSink } from "../parallel/exchange-sink.js";
import type { Stage } from "../stage.js";
import type { ProgressNode, ProgressTracker } from "../watermarks/progress-tracker.js";
import { decodeChannels, decodeCommits } from "./executor-checkpointing.js";
import { readSection, section } from "./executor-part.js";
import { DROPPED_STATE_SECTION, MIGRATIONS_SECTION } from "./restore-plan.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

/** The parts of an executor its checkpoint is made of. */
export interface ExecutorStateHost {
  readonly plans: readonly { readonly stage: Stage; readonly node: ProgressNode; readonly doFnOps: readonly DoFnOperation[] }[];
  readonly tracker: ProgressTracker;
  readonly sideInputs: SideInputStore;
  /** The PCollections read as side inputs. */
  readonly sideInputPcs: ReadonlySet<string>;
  /** In a parallel job: the exchanges in front of materialized edges, by channel number. */
  readonly channels: readonly ExchangeSink[];
  /** Every PCollection's coder, windowing and stable name. */
  readonly pcollections: (id: string) => { readonly coder: Coder<unknown>; readonly windowing: WindowingStrategy; readonly name: string };
  /** Where a stage's checkpoint finalization (a source mark's finalizeCheckpoint) is held. */
  readonly finalization: FinalizationGate;
}

function snapshotCoders(host: ExecutorStateHost): SnapshotCoders {
  return {
    windowedValue: (pc) => {
      const { coder, windowing } = host.pcollections(pc);
      return windowedValueCoder(coder, windowCoderOf(windowing));
    },
  };
}

function sideInputCoders(host: ExecutorStateHost, pc: string) {
  const { coder, windowing } = host.pcollections(pc);
  return { elementCoder: coder, windowCoder: windowCoderOf(windowing) };
}

/**
 * An executor's state, taken between passes (executor-part.ts lists the sections): each
 * stage's snapshot, each stage's output watermark, the side inputs. A stage's
 * `checkpointed()` finalization is held with the bundles the checkpoint covers.
 */
export function snapshotExecutor(host: ExecutorStateHost): Map<string, Uint8Array> {
  const coders = snapshotCoders(host);
  const sections = new Map<string, Uint8Array>();
  for (const plan of host.plans) {
    const stage = plan.stage;
    if (stage.snapshot === undefined) throw new BeamError("INTERNAL", `Stage "${stage.label}" cannot be checkpointed.`);
    sections.set(`stage:${stage.label}`, section((out) => stage.snapshot!(out, coders)));
    const finalize = stage.checkpointed?.();
    if (finalize !== undefined) void host.finalization.bundleCommitted([finalize]);
  }
  sections.set(
    "watermarks",
    section((out) => {
      out.writeVarInt(host.plans.length);
      for (const plan of host.plans) {
        out.writeUtf8(plan.stage.label, true);
        out.writeDoubleBE(host.tracker.outputWatermark(plan.node));
      }
    }),
  );
  sections.set(
    "sideInputs",
    section((out) => host.sideInputs.snapshot(out, (pc) => sideInputCoders(host, pc), (pc) => host.pcollections(pc).name)),
  );
  return sections;
}

/**
 * Restores an executor from its part of a checkpoint, before the first pass: stages by
 * their names (a stage the checkpoint lacks starts empty; so does a state cell; cells and
 * timer families the plan drops are skipped), watermarks, side inputs, the
 * elements that were in flight from other executors, and the two-phase commits the
 * checkpoint covers (recoverCommit on their steps, before any bundle).
 */
export async function restoreExecutor(host: ExecutorStateHost, sections: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const coders = snapshotCoders(host);
  const migrationBytes = sections.get(MIGRATIONS_SECTION);
  const migrations = migrationBytes === undefined ? {} : (JSON.parse(Buffer.from(migrationBytes).toString("utf8")) as Record<string, string[]>);
  const droppedBytes = sections.get(DROPPED_STATE_SECTION);
  const dropped = droppedBytes === undefined ? {} : (JSON.parse(Buffer.from(droppedBytes).toString("utf8")) as Record<string, string[]>);
  for (const plan of host.plans) {
    const name = `stage:${plan.stage.label}`;
    const bytes = sections.get(name);
    if (bytes === undefined) continue;
    const stage = plan.stage;
    const slots = migrations[plan.stage.label] ?? [];
    const drop = dropped[plan.stage.label] ?? [];
    // Not an async callback: a synchronous restore's error must reach readSection's handler.
    await readSection(name, bytes, (input) => stage.restore!(input, coders, slots, drop));
  }
  const watermarks = sections.get("watermarks");
  if (watermarks !== undefined) {
    const byLabel = new Map(host.plans.map((p) => [p.stage.label, p]));
    readSection("watermarks", watermarks, (input) => {
      for (let n = input.readVarInt(); n > 0; n--) {
        const plan = byLabel.get(input.readUtf8(input.readVarInt()));
        const wm = input.readDoubleBE();
        if (plan !== undefined) host.tracker.update(plan.node, wm);
      }
    });
  }
  const sideInputs = sections.get("sideInputs");
  if (sideInputs !== undefined) {
    const byName = new Map<string, string>();
    for (const pc of host.sideInputPcs) byName.set(host.pcollections(pc).name, pc);
    readSection("sideInputs", sideInputs, (input) => host.sideInputs.restore(input, (name) => byName.get(name), (pc) => sideInputCoders(host, pc)));
  }
  const channels = sections.get("channels");
  if (channels !== undefined) for (const m of decodeChannels(channels)) host.channels[m.channel]!.deliver(m.bytes, m.count);
  const commits = sections.get("commits");
  if (commits === undefined) return;
  const ops = new Map<string, DoFnOperation>();
  for (const plan of host.plans) for (const op of plan.doFnOps) ops.set(op.label, op);
  for (const c of decodeCommits(commits)) {
    const op = ops.get(c.step);
    if (op === undefined) {
      throw new BeamError(
        "CHECKPOINT_INCOMPATIBLE",
        `The checkpoint holds a commit of step "${c.step}" to recover, and the pipeline has no such step. Restore with the pipeline that wrote it (or map its new name with --renameSteps).`,
      );
    }
    await op.recoverCommit(c.recovery);
  }
}
