// The s3:// file system (Beam's S3FileSystem) on the AWS SDK v3, an optional peer dependency.
export { createS3FileSystem } from "./s3-file-system.js";
export { s3ConfigFrom, s3Options, S3_DEFAULT_PART_BYTES, S3_MIN_PART_BYTES, type S3Config } from "./s3-options.js";
