/**
 * The Dataflow v1b3 API's request fields that a beam-ts job request can reach, restated from
 * the API's reference (the Job, Environment, WorkerPool, AutoscalingSettings, Disk, Package and
 * SdkHarnessContainerImage resources of https://cloud.google.com/dataflow/docs/reference/rest,
 * revision 20260405): each field's JSON type, integer format and enum values. A field not
 * listed is one beam-ts must not send; the fake API (fake-dataflow.ts) refuses it. Update by
 * hand when the API or the request changes.
 */
export interface FieldType {
  readonly type?: "string" | "integer" | "number" | "boolean" | "array" | "object" | "any";
  readonly $ref?: string;
  readonly format?: string;
  readonly enum?: readonly string[];
  readonly readOnly?: boolean;
  readonly items?: FieldType;
  readonly additionalProperties?: FieldType;
}

const text: FieldType = { type: "string" };
const int32: FieldType = { type: "integer", format: "int32" };
const ref = (name: string): FieldType => ({ $ref: name });
const listOf = (items: FieldType): FieldType => ({ type: "array", items });
const mapOf = (values: FieldType): FieldType => ({ type: "object", additionalProperties: values });
const oneOf = (...values: string[]): FieldType => ({ type: "string", enum: values });

const JOB_STATES = oneOf(
  "JOB_STATE_UNKNOWN",
  "JOB_STATE_STOPPED",
  "JOB_STATE_RUNNING",
  "JOB_STATE_DONE",
  "JOB_STATE_FAILED",
  "JOB_STATE_CANCELLED",
  "JOB_STATE_UPDATED",
  "JOB_STATE_DRAINING",
  "JOB_STATE_DRAINED",
  "JOB_STATE_PENDING",
  "JOB_STATE_CANCELLING",
  "JOB_STATE_QUEUED",
  "JOB_STATE_RESOURCE_CLEANING_UP",
  "JOB_STATE_PAUSING",
  "JOB_STATE_PAUSED",
);

export const API_REVISION = "20260405";

/** The REST methods the client calls, with their paths under the endpoint. */
export const API_METHODS: Readonly<Record<string, { readonly httpMethod: string; readonly path: string }>> = {
  create: { httpMethod: "POST", path: "v1b3/projects/{projectId}/locations/{location}/jobs" },
  get: { httpMethod: "GET", path: "v1b3/projects/{projectId}/locations/{location}/jobs/{jobId}" },
  update: { httpMethod: "PUT", path: "v1b3/projects/{projectId}/locations/{location}/jobs/{jobId}" },
  list: { httpMethod: "GET", path: "v1b3/projects/{projectId}/locations/{location}/jobs" },
  "messages.list": { httpMethod: "GET", path: "v1b3/projects/{projectId}/locations/{location}/jobs/{jobId}/messages" },
};

/** Per resource, its fields a request may carry. */
export const API_RESOURCES: Readonly<Record<string, { readonly properties: Readonly<Record<string, FieldType>> }>> = {
  Job: {
    properties: {
      id: text,
      name: text,
      projectId: text,
      location: text,
      type: oneOf("JOB_TYPE_UNKNOWN", "JOB_TYPE_BATCH", "JOB_TYPE_STREAMING"),
      clientRequestId: text,
      labels: mapOf(text),
      replaceJobId: text,
      transformNameMapping: mapOf(text),
      environment: ref("Environment"),
      currentState: JOB_STATES,
      requestedState: JOB_STATES,
    },
  },
  Environment: {
    properties: {
      clusterManagerApiService: text,
      dataset: text,
      tempStoragePrefix: text,
      experiments: listOf(text),
      serviceAccountEmail: text,
      userAgent: mapOf({ type: "any" }),
      version: mapOf({ type: "any" }),
      sdkPipelineOptions: mapOf({ type: "any" }),
      workerPools: listOf(ref("WorkerPool")),
    },
  },
  WorkerPool: {
    properties: {
      kind: text,
      packages: listOf(ref("Package")),
      autoscalingSettings: ref("AutoscalingSettings"),
      numWorkers: int32,
      machineType: text,
      network: text,
      subnetwork: text,
      workerHarnessContainerImage: text,
      sdkHarnessContainerImages: listOf(ref("SdkHarnessContainerImage")),
      dataDisks: listOf(ref("Disk")),
    },
  },
  AutoscalingSettings: {
    properties: {
      algorithm: oneOf("AUTOSCALING_ALGORITHM_UNKNOWN", "AUTOSCALING_ALGORITHM_NONE", "AUTOSCALING_ALGORITHM_BASIC"),
      maxNumWorkers: int32,
    },
  },
  Disk: { properties: { diskType: text, mountPoint: text, sizeGb: int32 } },
  Package: { properties: { location: text, name: text } },
  SdkHarnessContainerImage: {
    properties: { capabilities: listOf(text), containerImage: text, environmentId: text, useSingleCorePerContainer: { type: "boolean" } },
  },
};
