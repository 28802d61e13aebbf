import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { Pipeline, defineOptions } from "../../pipeline/index.js";
import { generateSequence } from "../../transforms/index.js";
import { DEFAULT_FLINK_CHECKPOINTING_INTERVAL_MS } from "./flink-checkpointing.js";
import { jobServiceOptions, submittedJobOptions } from "./job-options.js";
import { pipelineToProto } from "./pipeline-proto.js";

describe("options sent to a job service", () => {
  it("carry plain values under Beam's option URNs, and a secret's value revealed (deliberately)", () => {
    const sent = jobServiceOptions({ jobName: "wc", bundleSize: 10, liftCombines: true, apiKey: new Secret("hunter2"), pin: new Secret(7), skip: { a: 1 } });
    expect(sent).toEqual({
      "beam:option:job_name:v1": "wc",
      "beam:option:bundle_size:v1": 10,
      "beam:option:lift_combines:v1": true,
      "beam:option:api_key:v1": "hunter2",
      "beam:option:pin:v1": 7,
    });
  });
});

/** The Runner API proto of a pipeline reading generateSequence, unbounded unless `to` is given. */
function sequenceJob(options: Record<string, unknown>, to?: number) {
  const p = new Pipeline(options);
  p.apply(generateSequence(to === undefined ? { rate: { elements: 10, period: 1000 } } : { to }));
  return pipelineToProto(p.graph(), { type: "external", endpoint: "127.0.0.1:1" });
}

const INTERVAL = "beam:option:checkpointing_interval:v1";

describe("options the portable runner submits", () => {
  it("give an unbounded job on Flink a checkpoint interval, with a note naming --checkpointingInterval", () => {
    const options = { runner: "flink", jobEndpoint: "127.0.0.1:8099" };
    const { options: sent, notes } = submittedJobOptions("flink", sequenceJob(options), options);
    expect(sent[INTERVAL]).toBe(DEFAULT_FLINK_CHECKPOINTING_INTERVAL_MS);
    expect(DEFAULT_FLINK_CHECKPOINTING_INTERVAL_MS).toBe(5_000);
    expect(sent["beam:option:runner:v1"]).toBe("flink");
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("checkpointing every 5000 ms");
    expect(notes[0]).toContain("--checkpointingInterval=<ms>");
    expect(notes[0]).toContain("--checkpointingInterval=-1");
  });

  it("keep the user's --checkpointingInterval, -1 (no checkpoints) included, and say nothing", () => {
    for (const given of [60_000, -1]) {
      const options = { runner: "flink", checkpointingInterval: given };
      const { options: sent, notes } = submittedJobOptions("flink", sequenceJob(options), options);
      expect(sent[INTERVAL]).toBe(given);
      expect(notes).toEqual([]);
    }
  });

  it("leave bounded jobs on Flink, --streaming ones included, and unbounded jobs on other runners without a checkpoint interval", () => {
    const streaming = { runner: "flink", streaming: true };
    const bounded = submittedJobOptions("flink", sequenceJob(streaming, 10), streaming);
    expect(bounded.options[INTERVAL]).toBeUndefined();
    expect(bounded.notes).toEqual([]);
    for (const runner of ["prism", "spark", "portable"]) {
      const options = { runner };
      const other = submittedJobOptions(runner, sequenceJob(options), options);
      expect(other.options[INTERVAL]).toBeUndefined();
      expect(other.notes).toEqual([]);
    }
  });

  it("send the runner options given on the command line, typed, and none not given: Flink's own parallelism applies by default", () => {
    const options = defineOptions({}).parse(["--runner=flink", "--maxParallelism=8", "--flinkMaster=jobmanager:8081", "--streaming", "--checkpointingMode=AT_LEAST_ONCE"]);
    const { options: sent } = submittedJobOptions("flink", sequenceJob(options, 10), options);
    expect(sent).toMatchObject({
      "beam:option:max_parallelism:v1": 8,
      "beam:option:flink_master:v1": "jobmanager:8081",
      "beam:option:streaming:v1": true,
      "beam:option:checkpointing_mode:v1": "AT_LEAST_ONCE",
    });
    expect(sent).not.toHaveProperty("beam:option:parallelism:v1");
    expect(sent).not.toHaveProperty("beam:option:state_backend:v1");
  });
});
