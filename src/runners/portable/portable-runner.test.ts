import { describe, expect, it } from "vitest";
import { PortableRunner } from "./portable-runner.js";

describe("the portable runner's option checks", () => {
  it("refuse --stateBackend without --stateBackendStoragePath, which Beam's Flink runner refuses only after submission", () => {
    const runner = new PortableRunner();
    expect(runner.checkOptions({ runner: "flink", stateBackend: "rocksdb" })).toEqual([
      "--stateBackend=rocksdb needs --stateBackendStoragePath=<directory> (e.g. s3://bucket/flink-state), where Flink keeps its checkpoints.",
    ]);
    expect(runner.checkOptions({ runner: "flink", stateBackend: "rocksdb", stateBackendStoragePath: "file:///tmp/state" })).toEqual([]);
    expect(runner.checkOptions({ runner: "flink" })).toEqual([]);
  });
});
