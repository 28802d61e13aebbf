import type { Instant } from "../../../model/index.js";
import { BeamError, MAX_TIMESTAMP, MIN_TIMESTAMP, formatInstant } from "../../../model/index.js";

/** A node of the progress graph: a stage, the PCollections it waits on and those it produces. */
export interface ProgressNode {
  readonly label: string;
  /** PCollections whose watermark is this stage's input watermark. */
  readonly reads: readonly string[];
  /** PCollections this stage's bundles produce (through its fused chain). */
  readonly produces: readonly string[];
  /** True for sources: a watermark that goes backwards is the source's bug, reported. */
  readonly isSource: boolean;
}

interface NodeProgress {
  readonly node: ProgressNode;
  output: Instant;
  idle: boolean;
}

/**
 * Tracks watermarks through the stage graph (see README.md in this folder). Every stage
 * has an input watermark, the minimum over the PCollections it reads, and an output
 * watermark, which it reports after each step: its input watermark held back by whatever
 * it still buffers (holds). A PCollection's watermark is the minimum output watermark of
 * the stages producing it, ignoring idle sources while any producer is active.
 * Watermarks never go backwards: a source that reports one is an error; a stage's holds
 * are clamped to its last output.
 */
export class ProgressTracker {
  private readonly nodes = new Map<ProgressNode, NodeProgress>();
  private readonly producers = new Map<string, NodeProgress[]>();

  /**
   * `remote` gives, in a parallel job, the other executors' watermark of a PCollection that
   * crosses threads (+infinity for one that does not).
   */
  constructor(
    nodes: readonly ProgressNode[],
    private readonly remote?: (pcollection: string) => Instant,
  ) {
    for (const node of nodes) {
      const p: NodeProgress = { node, output: MIN_TIMESTAMP, idle: false };
      this.nodes.set(node, p);
      for (const pc of node.produces) {
        let list = this.producers.get(pc);
        if (list === undefined) this.producers.set(pc, (list = []));
        list.push(p);
      }
    }
  }

  /** The watermark of a PCollection (+infinity when nothing produces it), over all executors. */
  watermarkOf(pcollection: string): Instant {
    const local = this.localWatermarkOf(pcollection);
    return this.remote === undefined ? local : Math.min(local, this.remote(pcollection));
  }

  /** The watermark of a PCollection as this executor's stages produce it. */
  localWatermarkOf(pcollection: string): Instant {
    const list = this.producers.get(pcollection);
    if (list === undefined) return MAX_TIMESTAMP;
    let active = Infinity;
    let idle = Infinity;
    for (const p of list) {
      if (p.idle) idle = Math.min(idle, p.output);
      else active = Math.min(active, p.output);
    }
    const wm = active < Infinity ? active : idle;
    return wm === Infinity ? MAX_TIMESTAMP : wm;
  }

  /** A stage's input watermark; a stage that reads nothing (a source) gets +infinity. */
  inputWatermark(node: ProgressNode): Instant {
    let wm = MAX_TIMESTAMP;
    for (const pc of node.reads) wm = Math.min(wm, this.watermarkOf(pc));
    return wm;
  }

  outputWatermark(node: ProgressNode): Instant {
    return this.nodes.get(node)!.output;
  }

  /**
   * Records a stage's output watermark after a step. Returns true when it advanced.
   * `idle` marks a source that should not hold back others.
   */
  update(node: ProgressNode, watermark: Instant, idle = false): boolean {
    const p = this.nodes.get(node)!;
    p.idle = idle;
    if (watermark < p.output) {
      if (node.isSource) {
        throw new BeamError(
          "USER_CODE",
          `Source "${node.label}" moved its watermark backwards, from ${formatInstant(p.output)} to ` +
            `${formatInstant(watermark)}. A watermark promises that no earlier element follows; ` +
            `make the source's watermark monotonic (e.g. the minimum of what it may still emit).`,
        );
      }
      return false;
    }
    if (watermark === p.output) return false;
    p.output = Math.min(watermark, MAX_TIMESTAMP);
    return true;
  }
}
