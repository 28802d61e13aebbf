import { Metadata, credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import type { PipelineGraph } from "../pipeline/index.js";
import {
  BeamFnControlClient,
  BeamFnDataClient,
  RemoteGrpcPort,
  type Elements,
  type InstructionRequest,
  type InstructionResponse,
  type ProcessBundleDescriptor,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import type { MetricsContainer } from "../metrics/index.js";
import { BundleProcessor, type OutputChannel } from "./bundle-processor.js";
import type { SideInputFetcher } from "./side-inputs.js";
import { StateChannel } from "./state-channel.js";

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
          await this.processBundle(id, r.processBundle.processBundleDescriptorId);
          this.respond({
            instructionId: id,
            error: "",
            response: {
              $case: "processBundle",
              processBundle: { residualRoots: [], monitoringInfos: [], requiresFinalization: false, monitoringData: {}, elements: undefined },
            },
          });
          return;
        }
        case "finalizeBundle":
          this.respond({ instructionId: id, error: "", response: { $case: "finalizeBundle", finalizeBundle: {} } });
          return;
        default:
          this.respond({ instructionId: id, error: `beam-ts harness: ${r?.$case ?? "empty"} requests are not supported yet.`, response: undefined });
      }
    } catch (err) {
      this.onError(err);
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

  private async processBundle(instructionId: string, descriptorId: string): Promise<void> {
    const descriptor = await this.descriptor(descriptorId);
    const pool = this.processors.get(descriptorId) ?? [];
    this.processors.set(descriptorId, pool);
    const processor = pool.pop() ?? new BundleProcessor(descriptor, this.graph);
    const channel = this.dataChannel(descriptor);
    const out: OutputChannel = { send: (transformId, data, isLast) => channel.send(instructionId, transformId, data, isLast) };
    const fetch: SideInputFetcher = (transformId, sideInputId, window) =>
      this.stateChannel(descriptor).getAll(instructionId, {
        type: { $case: "iterableSideInput", iterableSideInput: { transformId, sideInputId, window: Buffer.from(window) } },
      });
    processor.sideInputs.reset();
    try {
      await processor.start(out);
      await Promise.all(
        processor.sourceIds.map(async (transformId) => {
          for await (const frame of channel.frames(instructionId, transformId)) await processor.receive(transformId, frame, fetch);
        }),
      );
      await processor.finish();
    } catch (err) {
      this.onMetrics(processor.metrics(), false);
      // A failed processor's DoFn instances are discarded, as Beam does.
      await processor.teardown();
      throw err;
    }
    this.onMetrics(processor.metrics(), true);
    pool.push(processor);
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

/** One Fn API data stream: incoming frames per (instruction, transform), outgoing frames. */
class DataChannel {
  private readonly client: BeamFnDataClient;
  private readonly stream: ClientDuplexStream<Elements, Elements>;
  private readonly inboxes = new Map<string, Inbox>();

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

  send(instructionId: string, transformId: string, data: Uint8Array, isLast: boolean): void {
    this.stream.write({ data: [{ instructionId, transformId, data: Buffer.from(data), isLast }], timers: [] });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}
