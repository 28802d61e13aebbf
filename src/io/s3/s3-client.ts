import { Agent } from "node:https";
import type { S3Client } from "@aws-sdk/client-s3";
import { FileIOError } from "../files/index.js";
import type { S3Config } from "./s3-options.js";

/** The AWS SDK's S3 module, imported on first use. */
export type S3Sdk = typeof import("@aws-sdk/client-s3");

/**
 * Imports `@aws-sdk/client-s3` (an optional peer dependency), or fails naming the package to
 * install.
 *
 * @example const sdk = await loadS3Sdk("S3FileSystem");
 */
export async function loadS3Sdk(what: string): Promise<S3Sdk> {
  try {
    return await import("@aws-sdk/client-s3");
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new FileIOError(`${what}: s3:// paths need the "@aws-sdk/client-s3" package, an optional peer dependency of beam-ts: npm install @aws-sdk/client-s3`, {
        cause: err,
        retryable: false,
      });
    }
    throw err;
  }
}

/**
 * An S3 client for a configuration. What the configuration leaves out comes from the SDK's
 * standard chain; static credentials are used only when both the key id and the secret are
 * given (the secret is revealed here, to the client, and nowhere else).
 *
 * @example const client = newS3Client(sdk, { endpoint: "http://127.0.0.1:9000", region: "us-east-1", forcePathStyle: true });
 */
export function newS3Client(sdk: S3Sdk, config: S3Config): S3Client {
  if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
    throw new FileIOError(
      "S3FileSystem: --s3AccessKeyId and --s3SecretAccessKey go together; give both, or neither to use the AWS credential chain (AWS_ACCESS_KEY_ID, ~/.aws/credentials, roles).",
      { retryable: false },
    );
  }
  return new sdk.S3Client({
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    ...(config.region !== undefined ? { region: config.region } : {}),
    ...(config.forcePathStyle !== undefined ? { forcePathStyle: config.forcePathStyle } : {}),
    ...(config.accessKeyId !== undefined && config.secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId: config.accessKeyId,
            secretAccessKey: config.secretAccessKey.reveal(),
            ...(config.sessionToken !== undefined ? { sessionToken: config.sessionToken.reveal() } : {}),
          },
        }
      : {}),
    ...(config.verify === false ? { requestHandler: { httpsAgent: new Agent({ rejectUnauthorized: false }) } } : {}),
    // A bucket in another region than the client's answers with a redirect; follow it as Beam's clients do.
    followRegionRedirects: true,
  });
}

/** What a failed S3 call says about itself. */
interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

/** The HTTP status of a failed S3 call, if it got an answer. */
export function statusOf(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/** Whether a failed call means "no such key" (HeadObject answers a bare 404 without a body). */
export function isNotFound(err: unknown): boolean {
  const e = err as SdkError | undefined;
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || (statusOf(err) === 404 && e?.name !== "NoSuchBucket");
}

/**
 * A FileIOError for a failed S3 call, naming the operation and the path, with a hint at the
 * fix. Server errors and throttling are retryable; the rest are not. The SDK's messages never
 * contain the secret key, and neither does anything added here.
 *
 * @example throw s3Error("open", "s3://b/k", err)
 */
export function s3Error(op: string, path: string, err: unknown): FileIOError {
  const e = (err ?? {}) as SdkError;
  // Network failures arrive as a plain Error whose code says what happened.
  const name = e.name !== undefined && e.name !== "Error" ? e.name : (e.code ?? e.name ?? "Error");
  const status = statusOf(err);
  const reason = `${name}${status !== undefined ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`;
  const retryable = status === undefined ? isNetworkError(e) : status >= 500 || status === 429 || name === "SlowDown";
  return new FileIOError(`S3FileSystem.${op}: "${path}" failed: ${reason}.${hintFor(e.code ?? name, status, e.message ?? "")}`, { cause: err, retryable });
}

function isNetworkError(e: SdkError): boolean {
  return ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "TimeoutError"].includes(e.code ?? e.name ?? "");
}

function hintFor(name: string, status: number | undefined, message: string): string {
  if (/region is missing/i.test(message)) return " Set --s3Region or AWS_REGION.";
  if (name === "NoSuchBucket") return " Create the bucket, or fix the bucket in the path.";
  if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "CredentialsProviderError"].includes(name) || status === 403) {
    return " Check --s3AccessKeyId/--s3SecretAccessKey or the AWS credential chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws/credentials, roles), and that they may access this bucket.";
  }
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"].includes(name)) return " Check --s3Endpoint (or AWS_ENDPOINT_URL) and that the server is up.";
  return "";
}
