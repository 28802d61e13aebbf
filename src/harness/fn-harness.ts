import { Metadata, credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import type { PipelineGraph } from "../pipeline/index.js";
import {
  BeamFnControlClient,
  BeamFnDataClient,
  RemoteGrpcPort,
  type DelayedBundleApplication,
  type Elements,
  type InstructionRequest,
  type InstructionResponse,
  type ProcessBundleDescriptor,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import type { MetricsContainer } from "../metrics/index.js";
import { runFinalizations, warnFinalizationFailed, type FinalizationCallback } from "../runtime/index.js";
import { BundleProcessor, type OutputChannel } from "./bundle-processor.js";
import { monitoringMetadata, progressResponse } from "./progress.js";
import { bundleMonitoring, transformIdsOf, userMetricOfShortId } from "./monitoring-infos.js";
import { withInstruction, workerLog } from "./logging.js";
import type { SideInputFetcher } from "./side-inputs.js";
import { StateChannel } from "./state-channel.js";
import type { UserStateClient } from "./user-state.js";

/** Data frames of one instruction and source that arrived before or during its bundle. */
interface Inbox {
  frames: Uint8Array[];
  done: boolean;
  wake: (() => void) | undefined;
}

/**
 * Beam's SDK harness (Fn API) for beam-ts: connects to a runner's control service as
 * `workerId`, registers process-bundle descriptors, and runs each ProcessBundle request
 * through a BundleProcessor, with element data over the data service. The pipeline graph
 * is this process's own (the worker imported the pipeline module), so DoFns are found by
 * their transform's unique name.
 */
export class FnHarness {
  private readonly control: BeamFnControlClient;
  private stream: ClientDuplexStream<InstructionResponse, InstructionRequest> | undefined;
  private readonly descriptors = new Map<string, ProcessBundleDescriptor>();
  private readonly processors = new Map<string, BundleProcessor[]>();
  private readonly data = new Map<string, DataChannel>();
  private readonly states = new Map<string, StateChannel>();
  /** The processor running each bundle in progress (for splits and progress). */
  private readonly active = new Map<string, BundleProcessor>();
  /** How each bundle in progress names its metrics' transforms (see transformIdsOf). */
  private readonly activeTransformIds = new Map<string, (step: string) => string>();
  /**
   * `afterBundleCommit` callbacks of finished bundles by instruction id, until the runner
   * finalizes them (FinalizeBundleRequest); a bundle's entry goes once all have expired.
   */
  private readonly finalizations = new Map<string, FinalizationCallback[]>();
  private readonly metadata = new Metadata();

  constructor(
    private readonly controlEndpoint: string,
    private readonly workerId: string,
    private readonly graph: PipelineGraph,
    /** Told of every failed instruction (the runner only gets its text). */
    private readonly onError: (err: unknown) => void = () => {},
    /** Told of each bundle's metrics: committed when the bundle succeeded. */
    private readonly onMetrics: (containers: readonly MetricsContainer[], committed: boolean) => void = () => {},
  ) {
    this.control = new BeamFnControlClient(controlEndpoint, credentials.createInsecure());
    this.metadata.set("worker_id", workerId);
  }

  /** Connects and serves instructions until the runner closes the control stream. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      const stream = this.control.control(this.metadata);
      this.stream = stream;
      stream.on("data", (req: InstructionRequest) => void this.handle(req));
      stream.on("end", () => resolve());
      stream.on("error", () => resolve());
    });
  }

  /** Ends the connection and tears down every DoFn instance (Beam's teardown). */
  async close(): Promise<void> {
    const processors = [...this.processors.values()].flat();
    this.processors.clear();
    await Promise.all(processors.map((p) => p.teardown()));
    this.stream?.end();
    for (const d of this.data.values()) d.close();
    for (const s of this.states.values()) s.close();
    this.control.close();
  }

  private respond(res: InstructionResponse): void {
    this.stream?.write(res);
  }

  private async handle(req: InstructionRequest): Promise<void> {
    const id = req.instructionId;
    try {
      const r = req.request;
      switch (r?.$case) {
        case "register":
          for (const d of r.register.processBundleDescriptor) this.descriptors.set(d.id, d);
          this.respond({ instructionId: id, error: "", response: { $case: "register", register: {} } });
          return;
        case "processBundle": {
          // Records logged while the bundle runs carry its instruction id and the transform's id.
          const transformIdOf = (step: string) => this.activeTransformIds.get(id)?.(step) ?? "";
          const { residualRoots, monitoring } = await withInstruction(id, transformIdOf, () =>
            this.processBundle(id, r.processBundle.processBundleDescriptorId),
          );
          this.respond({
            instructionId: id,
            error: "",
            response: {
              $case: "processBundle",
              processBundle: { residualRoots, ...monitoring, requiresFinalization: this.finalizations.has(id), elements: undefined },
            },
          });
          return;
        }
        case "finalizeBundle": {
          // The runner committed the bundle's output. Callbacks run in order; expired ones are
          // dropped, and one that throws is reported without failing the instruction (Prism
          // fails the whole job on a FinalizeBundle error, and Beam treats finalization as
          // best effort). Prism also finalizes bundles that registered nothing: no entry.
          const ref = r.finalizeBundle.instructionId;
          const callbacks = this.finalizations.get(ref) ?? [];
          this.finalizations.delete(ref);
          await withInstruction(ref, () => "", () =>
            runFinalizations(callbacks, Date.now, {
              expired: (step, n) => workerLog.info(`dropped ${n} expired bundle finalization callback(s) of "${step}".`),
              failed: (step, err) => {
                workerLog.warn(`a bundle finalization callback of "${step}" threw; the job goes on.`, err);
                warnFinalizationFailed(step, err);
              },
            }),
          );
          this.respond({ instructionId: id, error: "", response: { $case: "finalizeBundle", finalizeBundle: {} } });
          return;
        }
        case "processBundleProgress": {
          const processor = this.active.get(r.processBundleProgress.instructionId);
          const progress = progressResponse(processor?.readIndexes() ?? new Map());
          // The running bundle's user metrics so far (runners show them as attempted).
          const transformIds = this.activeTransformIds.get(r.processBundleProgress.instructionId);
          if (processor !== undefined && transformIds !== undefined) {
            const monitoring = bundleMonitoring(processor.metrics(), transformIds);
            progress.monitoringInfos.push(...monitoring.monitoringInfos);
            Object.assign(progress.monitoringData, monitoring.monitoringData);
          }
          this.respond({ instructionId: id, error: "", response: { $case: "processBundleProgress", processBundleProgress: progress } });
          return;
        }
        case "processBundleSplit": {
          // A bundle that is not (or no longer) running has nothing to split.
          const processor = this.active.get(r.processBundleSplit.instructionId);
          const split = processor?.split(r.processBundleSplit) ?? { primaryRoots: [], residualRoots: [], channelSplits: [] };
          this.respond({ instructionId: id, error: "", response: { $case: "processBundleSplit", processBundleSplit: split } });
          return;
        }
        case "monitoringInfos": {
          const monitoringInfo = monitoringMetadata(r.monitoringInfos.monitoringInfoId);
          for (const shortId of r.monitoringInfos.monitoringInfoId) {
            const info = userMetricOfShortId(shortId);
            if (info !== undefined) monitoringInfo[shortId] = info;
          }
          this.respond({ instructionId: id, error: "", response: { $case: "monitoringInfos", monitoringInfos: { monitoringInfo } } });
          return;
        }
        default:
          this.respond({ instructionId: id, error: `beam-ts harness: ${r?.$case ?? "empty"} requests are not supported yet.`, response: undefined });
      }
    } catch (err) {
      this.onError(err);
      const message = `beam-ts harness ${this.workerId}: instruction ${id} failed: ${err instanceof Error ? err.message : String(err)}`;
      withInstruction(id, () => "", () => workerLog.error(message, err));
      this.respond({ instructionId: id, error: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err), response: undefined });
    }
  }

  private async descriptor(id: string): Promise<ProcessBundleDescriptor> {
    const known = this.descriptors.get(id);
    if (known !== undefined) return known;
    const d = await new Promise<ProcessBundleDescriptor>((resolve, reject) =>
      this.control.getProcessBundleDescriptor({ processBundleDescriptorId: id }, this.metadata, (err, res) => (err ? reject(err) : resolve(res))),
    );
    this.descriptors.set(id, d);
    return d;
  }

  /**
   * Runs one bundle; returns what its splittable DoFns left to do (residual roots) and its
   * user metrics as MonitoringInfos (full infos for Java runners, short ids for Prism).
   */
  private async processBundle(
    instructionId: string,
    descriptorId: string,
  ): Promise<{ residualRoots: DelayedBundleApplication[]; monitoring: ReturnType<typeof bundleMonitoring> }> {
    const descriptor = await this.descriptor(descriptorId);
    const pool = this.processors.get(descriptorId) ?? [];
    this.processors.set(descriptorId, pool);
    const processor = pool.pop() ?? new BundleProcessor(descriptor, this.graph);
    const channel = this.dataChannel(descriptor);
    const out: OutputChannel = {
      send: (transformId, data, isLast) => channel.send(instructionId, transformId, data, isLast),
      sendTimers: (transformId, family, data, isLast) => channel.sendTimers(instructionId, transformId, family, data, isLast),
    };
    const states = this.stateChannel(descriptor);
    const userState: UserStateClient = {
      get: (key) => states.getAll(instructionId, key),
      append: (key, data) => states.append(instructionId, key, data),
      clear: (key) => states.clear(instructionId, key),
    };
    const timerStreams = new Set(processor.timerStreams.map((s) => `${s.transformId}\u0000${s.timerFamilyId}`));
    const fetch: SideInputFetcher = (transformId, sideInputId, window) =>
      this.stateChannel(descriptor).getAll(instructionId, {
        type: { $case: "iterableSideInput", iterableSideInput: { transformId, sideInputId, window: Buffer.from(window) } },
      });
    processor.sideInputs.reset(fetch);
    this.active.set(instructionId, processor);
    const transformIds = transformIdsOf(descriptor, this.graph);
    this.activeTransformIds.set(instructionId, transformIds);
    try {
      await processor.start(out, userState);
      await Promise.all([
        ...processor.sourceIds.map(async (transformId) => {
          for await (const frame of channel.frames(instructionId, transformId)) await processor.receive(transformId, frame);
        }),
        (async () => {
          for await (const t of channel.timerFrames(instructionId, timerStreams)) await processor.receiveTimers(t.transformId, t.timerFamilyId, t.data);
        })(),
      ]);
      // Timer streams the runner does not end (window expiration) arrived before the data ended.
      for (const t of channel.takeTimers(instructionId)) await processor.receiveTimers(t.transformId, t.timerFamilyId, t.data);
      await processor.finish();
    } catch (err) {
      this.onMetrics(processor.metrics(), false);
      // A failed processor's DoFn instances are discarded, as Beam does.
      await processor.teardown();
      throw err;
    } finally {
      this.active.delete(instructionId);
      this.activeTransformIds.delete(instructionId);
      channel.takeTimers(instructionId);
    }
    this.onMetrics(processor.metrics(), true);
    const monitoring = bundleMonitoring(processor.metrics(), transformIds);
    const finalizations = processor.takeFinalizations();
    if (finalizations.length > 0) {
      // A runner that never finalizes (no requests_finalization on the stage) must not make
      // this map grow for ever: bundles whose callbacks have all expired are forgotten.
      const now = Date.now();
      for (const [id, cbs] of this.finalizations) if (cbs.every((c) => c.expiry < now)) this.finalizations.delete(id);
      this.finalizations.set(instructionId, finalizations);
    }
    const residuals = processor.takeResiduals();
    pool.push(processor);
    return { residualRoots: residuals, monitoring };
  }

  private stateChannel(descriptor: ProcessBundleDescriptor): StateChannel {
    const url = descriptor.stateApiServiceDescriptor?.url ?? this.controlEndpoint;
    let c = this.states.get(url);
    if (c === undefined) {
      c = new StateChannel(url, this.metadata);
      this.states.set(url, c);
    }
    return c;
  }

  private dataChannel(descriptor: ProcessBundleDescriptor): DataChannel {
    // Every data port of a descriptor names the same data endpoint in practice.
    let url = "";
    for (const t of Object.values(descriptor.transforms)) {
      if (t.spec?.urn === "beam:runner:source:v1" || t.spec?.urn === "beam:runner:sink:v1") {
        url = decodePortUrl(t.spec.payload) || url;
      }
    }
    let c = this.data.get(url);
    if (c === undefined) {
      c = new DataChannel(url || this.controlEndpoint, this.metadata);
      this.data.set(url, c);
    }
    return c;
  }
}

/** The data endpoint a data source or sink names. */
function decodePortUrl(payload: Uint8Array): string {
  return RemoteGrpcPort.decode(payload).apiServiceDescriptor?.url ?? "";
}

/** A block of timers the runner fired for a stateful ParDo's timer family. */
interface TimerFrame {
  readonly transformId: string;
  readonly timerFamilyId: string;
  readonly data: Uint8Array;
}

/** The timer blocks of one instruction in arrival order, and which timer streams ended. */
interface TimerInbox {
  frames: TimerFrame[];
  readonly ended: Set<string>;
  wake: (() => void) | undefined;
}

/** One Fn API data stream: incoming frames per (instruction, transform), outgoing frames. */
class DataChannel {
  private readonly client: BeamFnDataClient;
  private readonly stream: ClientDuplexStream<Elements, Elements>;
  private readonly inboxes = new Map<string, Inbox>();
  private readonly timerInboxes = new Map<string, TimerInbox>();

  constructor(url: string, metadata: Metadata) {
    this.client = new BeamFnDataClient(url, credentials.createInsecure());
    this.stream = this.client.data(metadata);
    this.stream.on("data", (e: Elements) => {
      for (const d of e.data) {
        const box = this.inbox(d.instructionId, d.transformId);
        if (d.data.length > 0) box.frames.push(d.data);
        if (d.isLast) box.done = true;
        box.wake?.();
      }
      for (const t of e.timers) {
        const box = this.timerInbox(t.instructionId);
        if (t.timers.length > 0) box.frames.push({ transformId: t.transformId, timerFamilyId: t.timerFamilyId, data: t.timers });
        if (t.isLast) box.ended.add(`${t.transformId}\u0000${t.timerFamilyId}`);
        box.wake?.();
      }
    });
    this.stream.on("error", () => {});
  }

  private inbox(instructionId: string, transformId: string): Inbox {
    const key = `${instructionId}\u0000${transformId}`;
    let box = this.inboxes.get(key);
    if (box === undefined) this.inboxes.set(key, (box = { frames: [], done: false, wake: undefined }));
    return box;
  }

  async *frames(instructionId: string, transformId: string): AsyncIterableIterator<Uint8Array> {
    const box = this.inbox(instructionId, transformId);
    for (;;) {
      while (box.frames.length > 0) yield box.frames.shift()!;
      if (box.done) break;
      await new Promise<void>((resolve) => (box.wake = resolve));
      box.wake = undefined;
    }
    this.inboxes.delete(`${instructionId}\u0000${transformId}`);
  }

  private timerInbox(instructionId: string): TimerInbox {
    let box = this.timerInboxes.get(instructionId);
    if (box === undefined) this.timerInboxes.set(instructionId, (box = { frames: [], ended: new Set(), wake: undefined }));
    return box;
  }

  /**
   * An instruction's timer blocks in arrival order, until every stream in `expected`
   * ("transform\0family") has ended; blocks of other timer families come along as they arrive.
   */
  async *timerFrames(instructionId: string, expected: ReadonlySet<string>): AsyncIterableIterator<TimerFrame> {
    const box = this.timerInbox(instructionId);
    for (;;) {
      while (box.frames.length > 0) yield box.frames.shift()!;
      if ([...expected].every((s) => box.ended.has(s))) return;
      await new Promise<void>((resolve) => (box.wake = resolve));
      box.wake = undefined;
    }
  }

  /** The timer blocks not yet taken, forgetting the instruction's timers. */
  takeTimers(instructionId: string): TimerFrame[] {
    const frames = this.timerInboxes.get(instructionId)?.frames ?? [];
    this.timerInboxes.delete(instructionId);
    return frames;
  }

  sendTimers(instructionId: string, transformId: string, timerFamilyId: string, timers: Uint8Array, isLast: boolean): void {
    this.stream.write({ data: [], timers: [{ instructionId, transformId, timerFamilyId, timers: Buffer.from(timers), isLast }] });
  }

  send(instructionId: string, transformId: string, data: Uint8Array, isLast: boolean): void {
    this.stream.write({ data: [{ instructionId, transformId, data: Buffer.from(data), isLast }], timers: [] });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}
