import { option } from "./option.js";

/**
 * The options of the object-store file systems (Beam Java's AwsOptions/S3Options and
 * GcsOptions, Python's S3Options and GoogleCloudOptions). Standard options, as Beam registers
 * them for every pipeline, so `--output=s3://...` works with `--s3Region` in any program.
 * src/io/s3 and src/io/gcs read them when a worker starts; anything not given comes from
 * the AWS credential chain or Google's application default credentials.
 */
export const s3Options = {
  s3Endpoint: option.string({ description: "S3 endpoint URL, for an S3-compatible server (default: the AWS SDK's, or AWS_ENDPOINT_URL)" }),
  s3Region: option.string({ description: "AWS region of the buckets (default: AWS_REGION or ~/.aws/config)" }),
  s3AccessKeyId: option.string({ description: "AWS access key id (default: the AWS credential chain)" }),
  s3SecretAccessKey: option.string({ description: "AWS secret access key, with --s3AccessKeyId", secret: true }),
  s3SessionToken: option.string({ description: "AWS session token of temporary credentials, with --s3AccessKeyId", secret: true }),
  s3ForcePathStyle: option.boolean({ description: "Path-style bucket addressing (<endpoint>/<bucket>), as most S3-compatible servers need" }),
  s3Verify: option.boolean({ description: "Verify the S3 endpoint's TLS certificate (--no-s3Verify for a self-signed test server)", default: true }),
  s3UploadBufferSizeBytes: option.integer({ description: "Part size of multipart uploads, also the size above which uploads are multipart (default 8 MiB)", min: 5 * 1024 * 1024 }),
};

/** The options of the gs:// file system; see `s3Options`. */
export const gcsOptions = {
  gcsEndpoint: option.string({ description: "Cloud Storage endpoint URL, for an emulator (default: STORAGE_EMULATOR_HOST, else Google's)" }),
  gcpProject: option.string({ description: "Google Cloud project (default: GOOGLE_CLOUD_PROJECT or the credentials' project)" }),
  gcsUploadBufferSizeBytes: option.integer({
    description: "Bytes buffered before an upload becomes resumable, and its chunk size (default 8 MiB; a multiple of 256 KiB)",
    min: 256 * 1024,
  }),
};
