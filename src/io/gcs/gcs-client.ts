import type { Storage } from "@google-cloud/storage";
import { FileIOError } from "../files/index.js";
import type { GcsConfig } from "./gcs-options.js";

/** `@google-cloud/storage`, imported on first use. */
export type GcsSdk = typeof import("@google-cloud/storage");

/**
 * Imports `@google-cloud/storage` (an optional peer dependency), or fails naming the package
 * to install.
 *
 * @example const sdk = await loadGcsSdk("GcsFileSystem");
 */
export async function loadGcsSdk(what: string): Promise<GcsSdk> {
  try {
    return await import("@google-cloud/storage");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new FileIOError(`${what}: gs:// paths need the "@google-cloud/storage" package (7.x for Node 20), an optional peer dependency of beam-ts: npm install @google-cloud/storage@7`, {
        cause: err,
        retryable: false,
      });
    }
    throw err;
  }
}

/**
 * A Storage client for a configuration: its endpoint and project when given, else the
 * library's (STORAGE_EMULATOR_HOST, Application Default Credentials).
 *
 * @example const storage = newStorage(sdk, { endpoint: "http://127.0.0.1:4443", projectId: "test" });
 */
export function newStorage(sdk: GcsSdk, config: GcsConfig): Storage {
  return new sdk.Storage({
    ...(config.endpoint !== undefined ? { apiEndpoint: config.endpoint } : {}),
    ...(config.projectId !== undefined ? { projectId: config.projectId } : {}),
  });
}

interface ApiError {
  readonly code?: number | string;
  readonly message?: string;
  readonly name?: string;
}

/** The HTTP status of a failed call (ApiError.code), if it got an answer. */
export function gcsStatusOf(err: unknown): number | undefined {
  const code = (err as ApiError | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

/** Whether a failed call means "no such object". */
export function isGcsNotFound(err: unknown): boolean {
  return gcsStatusOf(err) === 404;
}

/**
 * A FileIOError for a failed Cloud Storage call, naming the operation and the path, with a
 * hint at the fix. Server errors, 408 and 429 are retryable; the rest are not.
 *
 * @example throw gcsError("open", "gs://b/k", err)
 */
export function gcsError(op: string, path: string, err: unknown): FileIOError {
  const e = (err ?? {}) as ApiError;
  const status = gcsStatusOf(err);
  const code = typeof e.code === "string" ? e.code : undefined;
  const reason = `${status !== undefined ? `HTTP ${status}` : (code ?? e.name ?? "Error")}: ${e.message ?? String(err)}`;
  const retryable = status === undefined ? ["ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"].includes(code ?? "") : status >= 500 || status === 408 || status === 429;
  return new FileIOError(`GcsFileSystem.${op}: "${path}" failed: ${reason}.${hintFor(status, code, e.message ?? "")}`, { cause: err, retryable });
}

function hintFor(status: number | undefined, code: string | undefined, message: string): string {
  if (status === 401 || status === 403 || /credentials/i.test(message)) {
    return " Check the credentials (GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`), --gcpProject, and that they may access this bucket.";
  }
  if (status === 404 && /bucket/i.test(message)) return " Create the bucket, or fix the bucket in the path.";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND") return " Check --gcsEndpoint (or STORAGE_EMULATOR_HOST) and that the server is up.";
  return "";
}
