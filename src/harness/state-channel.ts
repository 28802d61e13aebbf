import { credentials, type ClientDuplexStream, type Metadata } from "@grpc/grpc-js";
import {
  BeamFnStateClient,
  type StateKey,
  type StateRequest,
  type StateResponse,
} from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";

/**
 * The Fn API state channel (BeamFnState): request/response pairs matched by id over one
 * stream. The harness reads side inputs and reads and writes user state through it.
 */
export class StateChannel {
  private readonly client: BeamFnStateClient;
  private readonly stream: ClientDuplexStream<StateRequest, StateResponse>;
  private readonly pending = new Map<string, { resolve(r: StateResponse): void; reject(e: Error): void }>();
  private nextId = 0;

  constructor(url: string, metadata: Metadata) {
    this.client = new BeamFnStateClient(url, credentials.createInsecure());
    this.stream = this.client.state(metadata);
    this.stream.on("data", (r: StateResponse) => {
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      if (r.error) p.reject(new Error(`state request failed: ${r.error}`));
      else p.resolve(r);
    });
    this.stream.on("error", (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  /** All bytes of a state key, following continuation tokens. */
  async getAll(instructionId: string, stateKey: StateKey): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let token: Uint8Array = new Uint8Array(0);
    do {
      const r = await this.request({ id: "", instructionId, stateKey, request: { $case: "get", get: { continuationToken: Buffer.from(token) } } });
      if (r.response?.$case !== "get") throw new Error("state get: unexpected response");
      parts.push(r.response.get.data);
      token = r.response.get.continuationToken;
    } while (token.length > 0);
    return Buffer.concat(parts);
  }

  /** Appends encoded elements to a state key (user state). */
  async append(instructionId: string, stateKey: StateKey, data: Uint8Array): Promise<void> {
    const r = await this.request({ id: "", instructionId, stateKey, request: { $case: "append", append: { data: Buffer.from(data) } } });
    if (r.response?.$case !== "append") throw new Error("state append: unexpected response");
  }

  /** Clears a state key (user state). */
  async clear(instructionId: string, stateKey: StateKey): Promise<void> {
    const r = await this.request({ id: "", instructionId, stateKey, request: { $case: "clear", clear: {} } });
    if (r.response?.$case !== "clear") throw new Error("state clear: unexpected response");
  }

  private request(req: StateRequest): Promise<StateResponse> {
    const id = `s${++this.nextId}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.stream.write({ ...req, id });
    });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}
