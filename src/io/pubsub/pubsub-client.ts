import { ConstructionError, Secret } from "../../model/index.js";
import { PubSubIOError, messageOf } from "./pubsub-io-error.js";

/** Default `connection.reconnectRetries` (reconnect.ts waits that many times for a server that went away). */
const DEFAULT_PUBSUB_RECONNECT_RETRIES = 10;

/** Options of one gax call: `retry: null` leaves retrying to the connector (reconnect.ts), which counts it. */
export interface CallOptionsLike {
  readonly timeout?: number;
  readonly maxRetries?: number;
  readonly retry?: null;
}

/**
 * Where and how to reach Pub/Sub: a project, and either an emulator or fake
 * (`emulatorHost`, default the PUBSUB_EMULATOR_HOST environment variable: plaintext, no
 * authentication) or the service with Application Default Credentials or a service
 * account key (`credentials`, the key file's JSON, a `Secret`).
 *
 * @example { projectId: "my-project", credentials: new Secret(process.env.GCP_SA_KEY!) }
 */
export interface PubSubConnection {
  readonly projectId: string;
  /** `host:port` of an emulator or fake; default process.env.PUBSUB_EMULATOR_HOST. */
  readonly emulatorHost?: string;
  /** A service account key (JSON); default Application Default Credentials. Never printed. */
  readonly credentials?: Secret<string>;
  /**
   * After a step reached the server, how many more times a call that finds it gone
   * (UNAVAILABLE) is tried again, waiting 100 ms doubling up to 5 s in between (default 10:
   * about 25 s), before the bundle fails. A server down from the start fails at once.
   */
  readonly reconnectRetries?: number;
}

/** @internal A PubSubConnection checked. */
export interface ResolvedPubSubConnection {
  readonly projectId: string;
  readonly emulatorHost: string | undefined;
  readonly credentials: Secret<string> | undefined;
  readonly reconnectRetries: number;
  /** For messages: the emulator's address or "pubsub.googleapis.com", and the project. */
  readonly address: string;
}

/** Checks a PubSubConnection when the pipeline is built; `what` names the transform. */
export function resolvePubSubConnection(what: string, connection: PubSubConnection | undefined): ResolvedPubSubConnection {
  if (typeof connection !== "object" || connection === null || typeof connection.projectId !== "string" || connection.projectId === "") {
    throw new ConstructionError(`${what} needs a connection: { projectId, emulatorHost?, credentials? }.`);
  }
  if (connection.credentials !== undefined && !Secret.isSecret(connection.credentials)) {
    throw new ConstructionError(`${what}: connection.credentials must be a Secret holding the service account key's JSON (new Secret(json)).`);
  }
  const retries = connection.reconnectRetries;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) {
    throw new ConstructionError(`${what}: connection.reconnectRetries must be an integer >= 0, got ${String(retries)}.`);
  }
  const emulatorHost = connection.emulatorHost ?? (process.env["PUBSUB_EMULATOR_HOST"] || undefined);
  return {
    projectId: connection.projectId,
    emulatorHost,
    credentials: connection.credentials,
    reconnectRetries: retries ?? DEFAULT_PUBSUB_RECONNECT_RETRIES,
    address: `${emulatorHost ?? "pubsub.googleapis.com"} (project ${connection.projectId})`,
  };
}

/** A received message of the v1 SubscriberClient's `pull`. */
export interface ReceivedMessageLike {
  readonly ackId?: string | null;
  readonly deliveryAttempt?: number | null;
  readonly message?: {
    readonly data?: Uint8Array | string | null;
    readonly attributes?: Record<string, string> | null;
    readonly messageId?: string | null;
    readonly orderingKey?: string | null;
    readonly publishTime?: { readonly seconds?: number | string | { toString(): string } | null; readonly nanos?: number | null } | null;
  } | null;
}

/** The v1 SubscriberClient of @google-cloud/pubsub, as far as the connector uses it. */
export interface SubscriberClientLike {
  pull(request: { subscription: string; maxMessages: number }, options?: CallOptionsLike): Promise<[{ receivedMessages?: ReceivedMessageLike[] | null }, ...unknown[]]>;
  acknowledge(request: { subscription: string; ackIds: string[] }, options?: CallOptionsLike): Promise<unknown>;
  modifyAckDeadline(request: { subscription: string; ackIds: string[]; ackDeadlineSeconds: number }): Promise<unknown>;
  getSubscription(request: { subscription: string }, options?: CallOptionsLike): Promise<unknown>;
  createSubscription(request: { name: string; topic: string; ackDeadlineSeconds: number }): Promise<unknown>;
  close(): Promise<void>;
}

/** The v1 PublisherClient. */
export interface PublisherClientLike {
  publish(request: { topic: string; messages: { data: Uint8Array; attributes?: Record<string, string>; orderingKey?: string }[] }, options?: CallOptionsLike): Promise<[{ messageIds?: string[] | null }, ...unknown[]]>;
  close(): Promise<void>;
}

interface PubSubModule {
  v1: {
    SubscriberClient: new (options: Record<string, unknown>) => SubscriberClientLike;
    PublisherClient: new (options: Record<string, unknown>) => PublisherClientLike;
  };
}

/** The client library, imported when a step first connects. */
export type PubSubImporter = () => Promise<unknown>;

const importPubSub: PubSubImporter = () => import("@google-cloud/pubsub");

/** @google-cloud/pubsub (an optional peer dependency), imported lazily; when missing, an error saying what to install. */
export async function loadPubSubModule(step: string, load: PubSubImporter = importPubSub): Promise<PubSubModule> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new PubSubIOError(
        `"${step}" needs the Pub/Sub client library, which is not installed. Run \`npm install @google-cloud/pubsub@^5.3.1\` (the 5.x line supports Node 20; 6.x needs Node 22).`,
        { cause: err, retryable: false },
      );
    }
    throw err;
  }
  const m = mod as Partial<PubSubModule>;
  if (typeof m.v1?.SubscriberClient !== "function") throw new PubSubIOError(`"${step}": the installed @google-cloud/pubsub has no v1 clients; install @google-cloud/pubsub@^5.3.1.`, { retryable: false });
  return m as PubSubModule;
}

/** The options of a v1 client: plaintext to an emulator, or the service with the given or default credentials. */
async function clientOptions(connection: ResolvedPubSubConnection): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = { projectId: connection.projectId };
  if (connection.emulatorHost !== undefined) {
    const at = connection.emulatorHost.lastIndexOf(":");
    const grpc = await import("@grpc/grpc-js");
    Object.assign(options, {
      servicePath: connection.emulatorHost.slice(0, at).replace(/^\[(.*)\]$/, "$1"),
      port: Number(connection.emulatorHost.slice(at + 1)),
      sslCreds: grpc.credentials.createInsecure(),
    });
  } else if (connection.credentials !== undefined) {
    options["credentials"] = JSON.parse(String(connection.credentials.reveal())) as unknown;
  }
  return options;
}

/** A v1 client of `kind` for the step `step`. */
export async function openClient<K extends "SubscriberClient" | "PublisherClient">(
  step: string,
  connection: ResolvedPubSubConnection,
  kind: K,
  load?: PubSubImporter,
): Promise<K extends "SubscriberClient" ? SubscriberClientLike : PublisherClientLike> {
  const mod = await loadPubSubModule(step, load);
  const Client = mod.v1[kind];
  return new Client(await clientOptions(connection)) as K extends "SubscriberClient" ? SubscriberClientLike : PublisherClientLike;
}

/** gRPC's status code of an error (5 NOT_FOUND, 14 UNAVAILABLE, …), if it has one. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** An error of a call to Pub/Sub, with the address and a hint when the server cannot be reached. */
export function callError(step: string, connection: ResolvedPubSubConnection, what: string, err: unknown): PubSubIOError {
  const code = grpcCode(err);
  const unreachable = code === 14 || code === 4;
  const notFound = code === 5;
  return new PubSubIOError(
    `"${step}" could not ${what} at ${connection.address}: ${messageOf(err)}.` +
      (unreachable
        ? connection.emulatorHost !== undefined
          ? ` Is the emulator running there (\`gcloud beta emulators pubsub start --host-port=${connection.emulatorHost}\`, or node tools/servers/pubsub.mjs)? Check emulatorHost / PUBSUB_EMULATOR_HOST.`
          : " Check the network and credentials."
        : notFound
          ? " Create it first, or check the name and projectId."
          : ""),
    { cause: err, ...(notFound || code === 7 || code === 16 ? { retryable: false } : {}) },
  );
}
