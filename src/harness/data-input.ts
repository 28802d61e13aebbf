import type { WindowedValue } from "../model/index.js";
import type { Operation, Receiver } from "../runtime/index.js";
import type {
  BundleApplication,
  DelayedBundleApplication,
  ProcessBundleSplitRequest,
  ProcessBundleSplitRequest_DesiredSplit,
  ProcessBundleSplitResponse,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import type { ElementSplit } from "./sdf-process.js";

/** A consumer that can split the element it is processing (the SDF process step). */
export interface SplittableConsumer {
  /** How much of the element in process is done, in [0, 1]; undefined between elements. */
  currentProgress(): number | undefined;
  /** Splits the element in process, keeping this fraction of its remaining work. */
  splitCurrent(fractionOfRemainder: number): ElementSplit | undefined;
}

/** A split of a bundle's input, as a ProcessBundleSplitResponse reports it. */
export interface InputSplit {
  readonly lastPrimaryElement: number;
  readonly firstResidualElement: number;
  readonly primaryRoots: readonly BundleApplication[];
  readonly residualRoots: readonly DelayedBundleApplication[];
}

/**
 * The input side of a data source (Beam's DataInputOperation): hands the decoded elements
 * of a bundle to their consumer one by one, counting them, and answers the runner's
 * splits. `index` is the element being processed (-1 before the first); after a split
 * every element from `stop` on belongs to the runner again and is dropped here. When the
 * consumer is the SDF process step, the element in process can itself be split.
 */
export class DataInput {
  private index = -1;
  private stop = Infinity;
  private readonly operation: Operation | undefined;

  constructor(
    readonly transformId: string,
    private readonly receiver: Receiver,
    private readonly splittable: SplittableConsumer | undefined,
  ) {
    this.operation = typeof (receiver as Operation).whenReady === "function" ? (receiver as Operation) : undefined;
  }

  /** Starts a new bundle. */
  reset(): void {
    this.index = -1;
    this.stop = Infinity;
  }

  /** The index of the element being processed, Beam's `data_channel:read_index`. */
  get readIndex(): number {
    return this.index;
  }

  /**
   * Hands elements on in order, waiting while the consumer is busy (an asynchronous SDF
   * call, or a full async DoFn), so that a split between them takes effect at once.
   */
  async process(elements: readonly WindowedValue<unknown>[]): Promise<void> {
    for (const wv of elements) {
      if (this.index + 1 >= this.stop) return;
      this.index++;
      this.receiver.receive(wv);
      for (let ready = this.operation?.whenReady?.(); ready !== undefined; ready = this.operation?.whenReady?.()) await ready;
    }
  }

  /**
   * Splits the rest of the bundle so that about `fractionOfRemainder` of it stays here
   * (Beam's split of a DataInputOperation). Positions count elements, the one in process
   * by the fraction of it already done; when the split point falls inside that element and
   * the consumer can split it, its tracker splits and the halves become the primary and
   * residual roots; otherwise the bundle is cut at the nearest element boundary (one of
   * `allowedSplitPoints` when given). Undefined when nothing is left to give back.
   */
  trySplit(desired: ProcessBundleSplitRequest_DesiredSplit): InputSplit | undefined {
    const allowed = desired.allowedSplitPoints.map(Number);
    const allowedPoint = (i: number) => allowed.length === 0 || allowed.includes(i);
    const index = this.index;
    // Before the first element the position is 0 (element -1 entirely done).
    const progress = index < 0 ? 1 : (this.splittable?.currentProgress() ?? 1);
    const total = Math.min(Math.max(Number(desired.estimatedInputElements), index + 1), this.stop);
    const keep = (total - index - progress) * desired.fractionOfRemainder;
    if (progress < 1 && this.splittable !== undefined && allowedPoint(index) && allowedPoint(index + 1)) {
      const ofElement = keep / (1 - progress);
      if (ofElement < 1) {
        const split = this.splittable.splitCurrent(ofElement);
        if (split !== undefined) {
          this.stop = index + 1;
          return { lastPrimaryElement: index - 1, firstResidualElement: index + 1, primaryRoots: [split.primary], residualRoots: [split.residual] };
        }
      }
    }
    let at = index + Math.max(1, Math.round(progress + keep));
    if (!allowedPoint(at)) {
      const candidates = allowed.filter((p) => p > index && p < this.stop);
      if (candidates.length === 0) return undefined;
      at = candidates.reduce((best, p) => (Math.abs(p - at) < Math.abs(best - at) ? p : best));
    }
    if (at >= total) return undefined;
    this.stop = at;
    return { lastPrimaryElement: at - 1, firstResidualElement: at, primaryRoots: [], residualRoots: [] };
  }
}

/**
 * The answer to a ProcessBundleSplitRequest: a channel split (and the roots of a split
 * element) for each data input the runner asked about; no channel split means "no split".
 */
export function splitResponse(inputs: ReadonlyMap<string, DataInput>, request: ProcessBundleSplitRequest): ProcessBundleSplitResponse {
  const response: ProcessBundleSplitResponse = { primaryRoots: [], residualRoots: [], channelSplits: [] };
  for (const [transformId, desired] of Object.entries(request.desiredSplits)) {
    const split = inputs.get(transformId)?.trySplit(desired);
    if (split === undefined) continue;
    response.primaryRoots.push(...split.primaryRoots);
    response.residualRoots.push(...split.residualRoots);
    response.channelSplits.push({
      transformId,
      lastPrimaryElement: BigInt(split.lastPrimaryElement),
      firstResidualElement: BigInt(split.firstResidualElement),
    });
  }
  return response;
}
