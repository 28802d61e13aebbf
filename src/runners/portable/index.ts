export * from "./pipeline-proto.js";
export * from "./trigger-proto.js";
export * from "./job-client.js";
export * from "./job-control.js";
export * from "./portable-runner.js";
export * from "./expansion.js";
export { configurationPayload, inferConfigSchema, schemaToProto } from "./external-config.js";
