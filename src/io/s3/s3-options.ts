import { Secret } from "../../model/index.js";
import { option } from "../../pipeline/index.js";
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

/**
 * The pipeline options of the S3 file system. Spread them into your options to accept them
 * on the command line; a worker reads them from the pipeline's options when it starts.
 *
 * @example
 * const Options = defineOptions({ ...s3Options, input: option.string({ description: "Input glob", required: true }) });
 * // node pipeline.js --input='s3://bucket/logs/*.gz' --s3Region=eu-west-1
 */
export const s3Options = {
  s3Endpoint: option.string({ description: "S3 endpoint URL, for an S3-compatible server (default: the AWS SDK's, or AWS_ENDPOINT_URL)" }),
  s3Region: option.string({ description: "AWS region of the buckets (default: AWS_REGION or ~/.aws/config)" }),
  s3AccessKeyId: option.string({ description: "AWS access key id (default: the AWS credential chain)" }),
  s3SecretAccessKey: option.string({ description: "AWS secret access key, with --s3AccessKeyId", secret: true }),
  s3SessionToken: option.string({ description: "AWS session token of temporary credentials, with --s3AccessKeyId", secret: true }),
  s3ForcePathStyle: option.boolean({ description: "Path-style bucket addressing (<endpoint>/<bucket>), as most S3-compatible servers need" }),
  s3Verify: option.boolean({ description: "Verify the S3 endpoint's TLS certificate (--no-s3Verify for a self-signed test server)", default: true }),
  s3UploadBufferSizeBytes: option.integer({ description: "Part size of multipart uploads, also the size above which uploads are multipart (default 8 MiB)", min: S3_MIN_PART_BYTES }),
};

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
