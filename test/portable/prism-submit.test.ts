import { describe, expect, inject, it } from "vitest";
import { Pipeline, impulse } from "../../src/index.js";
import { JobServiceConnection } from "../../src/runners/portable/job-client.js";
import { pipelineToProto } from "../../src/runners/portable/pipeline-proto.js";
import { JobState_Enum } from "../../src/proto/org/apache/beam/model/job_management/v1/beam_job_api.js";

/** The Prism job service test/job-services-setup.ts started for this run. */
const prism = { endpoint: inject("prismEndpoint") };

describe("the Job API client against Prism", () => {
  it("prepares, stages, runs and follows a translated pipeline to DONE", async () => {
    const p = new Pipeline();
    p.apply("Start", impulse());
    const job = new JobServiceConnection(prism.endpoint);
    try {
      const prepared = await job.prepare(pipelineToProto(p.graph()), {}, "beam-ts-impulse");
      expect(prepared.preparationId).not.toBe("");
      await job.stageArtifacts(prepared);
      const jobId = await job.run(prepared.preparationId);
      const messages: string[] = [];
      const stop = job.messages(jobId, (m) => messages.push(m));
      const state = await job.waitForTerminal(jobId);
      stop();
      expect({ state: JobState_Enum[state], messages }).toMatchObject({ state: "DONE" });
    } finally {
      job.close();
    }
  }, 120_000);
});
