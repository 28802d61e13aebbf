import { Secret } from "../../model/index.js";
import { s3Options } from "../../pipeline/index.js";
import type { FileSystemOptions } from "../filesystems/index.js";

/**
 * How the S3 file system reaches S3 (Beam Java's AwsOptions/S3Options, Python's S3Options).
 * Everything left undefined comes from the AWS SDK's standard chain: AWS_REGION,
 * AWS_ENDPOINT_URL(_S3), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
 * AWS_PROFILE and ~/.aws/config and credentials, web identity, container and instance roles.
 */
export interface S3Config {
  /** A custom endpoint (an S3-compatible server such as MinIO or moto), e.g. `http://127.0.0.1:9000`. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Static credentials; both or neither. The secret is only revealed to the client. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: Secret<string>;
  readonly sessionToken?: Secret<string>;
  /** Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>` (most S3-compatible servers need it). */
  readonly forcePathStyle?: boolean;
  /** Verify the server's TLS certificate (default true; false only for a test server with a self-signed one). */
  readonly verify?: boolean;
  /** Bytes buffered per part of a multipart upload, and the size above which an upload is multipart (default 8 MiB, at least 5 MiB). */
  readonly uploadPartBytes?: number;
  /** Parts of one multipart upload sent at once (default 4). */
  readonly uploadConcurrency?: number;
  /** Bytes fetched ahead per ranged GET (default 8 MiB). */
  readonly readWindowBytes?: number;
}

/** S3's smallest part of a multipart upload (all but the last part). */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
/** The default part size (and multipart threshold). */
export const S3_DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/** The S3 pipeline options, standard options of every pipeline (src/pipeline/options/file-system-options.ts). */
export { s3Options };

/**
 * The S3 configuration in pipeline options (`s3Options`); an option not given stays undefined,
 * so the AWS SDK's chain decides.
 *
 * @example s3ConfigFrom({ s3Region: "eu-west-1" }) // { region: "eu-west-1" }
 */
export function s3ConfigFrom(options: FileSystemOptions): S3Config {
  const str = (name: string): string | undefined => {
    const v = options[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const secret = (name: string): Secret<string> | undefined => {
    const v = options[name];
    if (Secret.isSecret(v)) {
      const text = v.reveal();
      return typeof text === "string" && text !== "" ? new Secret(text) : undefined;
    }
    // A plain string (options built by hand) is wrapped at once, so nothing below holds it bare.
    return typeof v === "string" && v !== "" ? new Secret(v) : undefined;
  };
  const bool = (name: string): boolean | undefined => (typeof options[name] === "boolean" ? (options[name] as boolean) : undefined);
  const int = (name: string): number | undefined => (typeof options[name] === "number" ? (options[name] as number) : undefined);
  return dropUndefined({
    endpoint: str("s3Endpoint"),
    region: str("s3Region"),
    accessKeyId: str("s3AccessKeyId"),
    secretAccessKey: secret("s3SecretAccessKey"),
    sessionToken: secret("s3SessionToken"),
    forcePathStyle: bool("s3ForcePathStyle"),
    verify: bool("s3Verify"),
    uploadPartBytes: int("s3UploadBufferSizeBytes"),
  });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
