// The gs:// file system (Beam's GcsFileSystem) on @google-cloud/storage, an optional peer dependency.
export { createGcsFileSystem } from "./gcs-file-system.js";
export { gcsConfigFrom, gcsOptions, GCS_DEFAULT_UPLOAD_BUFFER_BYTES, type GcsConfig } from "./gcs-options.js";
