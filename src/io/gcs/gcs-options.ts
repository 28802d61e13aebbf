import { gcsOptions } from "../../pipeline/index.js";
import type { FileSystemOptions } from "../filesystems/index.js";

/**
 * How the GCS file system reaches Cloud Storage (Beam Java's GcsOptions, Python's
 * GoogleCloudOptions). What is left undefined comes from `@google-cloud/storage`'s defaults:
 * STORAGE_EMULATOR_HOST for an emulator, Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the metadata server) and their project.
 */
export interface GcsConfig {
  /** A custom endpoint (an emulator such as fake-gcs-server), e.g. `http://127.0.0.1:4443`; requests to it carry no credentials. */
  readonly endpoint?: string;
  /** The project billed for requests (GOOGLE_CLOUD_PROJECT or the credentials' project by default). */
  readonly projectId?: string;
  /** Bytes buffered before an upload turns resumable, and the size of its chunks (default 8 MiB). */
  readonly uploadBufferBytes?: number;
  /** Bytes fetched ahead per ranged GET (default 8 MiB). */
  readonly readWindowBytes?: number;
}

/** The default upload buffer (the resumable threshold and chunk size): 8 MiB, as Beam Java's GCS writer. */
export const GCS_DEFAULT_UPLOAD_BUFFER_BYTES = 8 * 1024 * 1024;

/** The gs:// pipeline options, standard options of every pipeline (src/pipeline/options/file-system-options.ts). */
export { gcsOptions };

/**
 * The GCS configuration in pipeline options (`gcsOptions`).
 *
 * @example gcsConfigFrom({ gcpProject: "p" }) // { projectId: "p" }
 */
export function gcsConfigFrom(options: FileSystemOptions): GcsConfig {
  const endpoint = options["gcsEndpoint"];
  const project = options["gcpProject"];
  const buffer = options["gcsUploadBufferSizeBytes"];
  return {
    ...(typeof endpoint === "string" && endpoint !== "" ? { endpoint } : {}),
    ...(typeof project === "string" && project !== "" ? { projectId: project } : {}),
    ...(typeof buffer === "number" ? { uploadBufferBytes: buffer } : {}),
  };
}
