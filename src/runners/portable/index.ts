export * from "./pipeline-proto.js";
export * from "./trigger-proto.js";
export * from "./job-client.js";
export * from "./portable-runner.js";
