import { windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import type { Coder, WindowedValue, WindowingStrategy } from "../../../model/index.js";
import { BeamError } from "../../../model/index.js";
import type { DoFnOperation, SideInputStore } from "../../../runtime/index.js";
import type { FinalizationGate } from "../finalization-gate.js";
import type { ExchangeSink } from "../parallel/exchange-sink.js";
import type { Stage } from "../stage.js";
import type { DeferredSection } from "./deferred-section.js";
import type { ProgressNode, ProgressTracker } from "../watermarks/progress-tracker.js";
import { decodeChannels, decodeCommits } from "./executor-checkpointing.js";
import { readSection, section } from "./executor-part.js";
import { readSplittableState } from "../splittable-snapshot.js";
import { checkBroadcastInputs, oldParts, rescaledChannelShare, restoreShare, type RestoredEdge } from "./rescale.js";
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
  /** Every materialized edge by channel number, at any parallelism (a rescaled restore re-routes channel elements through them). */
  readonly edges: readonly RestoredEdge[];
  /** This executor's index and the job's executor count. */
  readonly executor: { readonly index: number; readonly count: number };
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
 * stage's snapshot (deferred for stages that write it later, Stage.snapshotLater), each
 * stage's output watermark, the side inputs. A stage's
 * `checkpointed()` finalization is held with the bundles the checkpoint covers.
 */
export function snapshotExecutor(host: ExecutorStateHost): Map<string, Uint8Array | DeferredSection> {
  const coders = snapshotCoders(host);
  const sections = new Map<string, Uint8Array | DeferredSection>();
  for (const plan of host.plans) {
    const stage = plan.stage;
    if (stage.snapshot === undefined) throw new BeamError("INTERNAL", `Stage "${stage.label}" cannot be checkpointed.`);
    sections.set(`stage:${stage.label}`, stage.snapshotLater !== undefined ? stage.snapshotLater(coders) : section((out) => stage.snapshot!(out, coders)));
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
  const parts = oldParts(sections);
  if (parts !== undefined) return restoreRescaled(host, parts, { migrations, dropped });
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
  if (commits !== undefined) await recoverCommits(host, commits);
}

/** recoverCommit of every held commit in a `commits` section, on its step, before any bundle. */
async function recoverCommits(host: ExecutorStateHost, commits: Uint8Array): Promise<void> {
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

/**
 * Restores this executor from a checkpoint taken at another --parallelism: every old part
 * is read, and this executor keeps its share of each (rescale.ts says which share of what).
 */
async function restoreRescaled(
  host: ExecutorStateHost,
  parts: readonly ReadonlyMap<string, Uint8Array>[],
  plan: { readonly migrations: Record<string, string[]>; readonly dropped: Record<string, string[]> },
): Promise<void> {
  const coders = snapshotCoders(host);
  const { index, count } = host.executor;
  const shares = parts.map((_, p) => restoreShare(index, count, p, parts.length));
  const channels = parts.map((part) => (part.has("channels") ? decodeChannels(part.get("channels")!) : []));
  checkSplittableInputs(host, parts, channels, coders);
  for (const { stage } of host.plans) {
    const name = `stage:${stage.label}`;
    const slots = plan.migrations[stage.label] ?? [];
    const drop = plan.dropped[stage.label] ?? [];
    if (stage.isSource) {
      // Sources run in executor 0 alone (the others' stages are done from the start).
      const bytes = parts[0]?.get(name);
      if (index === 0 && bytes !== undefined) await readSection(name, bytes, (input) => stage.restore!(input, coders, slots, drop));
      continue;
    }
    let first = true;
    for (let p = 0; p < parts.length; p++) {
      const bytes = parts[p]!.get(name);
      if (bytes === undefined) continue;
      const share = { ...shares[p]!, first };
      first = false;
      await readSection(`${name} (part ${p} of ${parts.length})`, bytes, (input) => stage.restore!(input, coders, slots, drop, share));
    }
  }
  // Each stage's watermark: the minimum over the old parts.
  const byLabel = new Map(host.plans.map((p) => [p.stage.label, p]));
  const watermarks = new Map<string, number>();
  for (const part of parts) {
    const bytes = part.get("watermarks");
    if (bytes === undefined) continue;
    readSection("watermarks", bytes, (input) => {
      for (let n = input.readVarInt(); n > 0; n--) {
        const label = input.readUtf8(input.readVarInt());
        const wm = input.readDoubleBE();
        watermarks.set(label, Math.min(watermarks.get(label) ?? Infinity, wm));
      }
    });
  }
  for (const [label, wm] of watermarks) {
    const plan = byLabel.get(label);
    if (plan !== undefined) host.tracker.update(plan.node, wm);
  }
  // Side inputs are broadcast: part 0's store, with part 0's recorded broadcast elements below, is a whole view.
  const sideInputs = parts[0]?.get("sideInputs");
  if (sideInputs !== undefined) {
    const byName = new Map<string, string>();
    for (const pc of host.sideInputPcs) byName.set(host.pcollections(pc).name, pc);
    readSection("sideInputs", sideInputs, (input) => host.sideInputs.restore(input, (name) => byName.get(name), (pc) => sideInputCoders(host, pc)));
  }
  for (let p = 0; p < parts.length; p++) {
    for (const m of channels[p]!) {
      const edge = host.edges[m.channel];
      if (edge === undefined) throw new BeamError("CHECKPOINT_CORRUPT", `Part ${p} of the checkpoint records elements in flight on channel ${m.channel}; this pipeline has ${host.edges.length} materialized edges.`);
      edge.deliverDecoded(rescaledChannelShare(edge, m.bytes, m.count, shares[p]!));
    }
  }
  // Held commits must each be recovered exactly once: an old part's go to one executor.
  for (let p = 0; p < parts.length; p++) {
    const commits = parts[p]!.get("commits");
    if (commits !== undefined && shares[p]!.takesUnkeyed) await recoverCommits(host, commits);
  }
}

/**
 * Refuses a rescale where the old executors wait to split different input elements of a
 * splittable DoFn (rescale.ts checkBroadcastInputs): its buffer in each part, and the
 * elements recorded in flight to that part on its broadcast input edge.
 */
function checkSplittableInputs(
  host: ExecutorStateHost,
  parts: readonly ReadonlyMap<string, Uint8Array>[],
  channels: readonly (readonly { channel: number; count: number; bytes: Uint8Array }[])[],
  coders: SnapshotCoders,
): void {
  for (const { stage } of host.plans) {
    const channel = host.edges.findIndex((e) => e.partitioning.kind === "broadcast" && e.label === `${stage.label}/MainInput`);
    if (channel < 0) continue;
    const edge = host.edges[channel]!;
    const key = (wv: WindowedValue<unknown>) => Buffer.from(edge.encode(wv)).toString("base64");
    const pending = parts.map((part, p) => {
      const bytes = part.get(`stage:${stage.label}`);
      const buffered = bytes === undefined ? [] : readSection(`stage:${stage.label}`, bytes, (input) => readSplittableState(input, coders, stage.label, stage.reads[0]!)).buffer;
      const inFlight = channels[p]!.filter((m) => m.channel === channel).flatMap((m) => edge.decode(m.bytes, m.count));
      return [...buffered, ...inFlight].map(key);
    });
    checkBroadcastInputs(stage.label, pending);
  }
}
