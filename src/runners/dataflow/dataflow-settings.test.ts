import { describe, expect, it } from "vitest";
import { OptionsError } from "../../model/index.js";
import { dataflowProblems, dataflowSettingsOf, suggestedName } from "./dataflow-settings.js";
import { defaultJobName } from "./dataflow-job.js";

const BASE = { runner: "dataflow", region: "us-central1", tempLocation: "gs://b/tmp", sdkContainerImage: "img:1" };

describe("dataflowSettingsOf", () => {
  it("takes the project from --project, then --gcpProject, then GOOGLE_CLOUD_PROJECT", () => {
    expect(dataflowSettingsOf({ ...BASE, project: "a", gcpProject: "b" }, {}).project).toBe("a");
    expect(dataflowSettingsOf({ ...BASE, gcpProject: "b" }, {}).project).toBe("b");
    expect(dataflowSettingsOf(BASE, { GOOGLE_CLOUD_PROJECT: "c" }).project).toBe("c");
    expect(() => dataflowSettingsOf(BASE, {})).toThrow(OptionsError);
    expect(dataflowProblems(BASE, {})).toEqual([expect.stringMatching(/^--runner=dataflow needs --project=<project>/)]);
  });

  it("defaults each of --tempLocation and --stagingLocation to the other", () => {
    const staging = dataflowSettingsOf({ ...BASE, tempLocation: undefined, stagingLocation: "gs://b/staging", project: "p" }, {});
    expect([staging.tempLocation, staging.stagingLocation]).toEqual(["gs://b/staging", "gs://b/staging"]);
    const temp = dataflowSettingsOf({ ...BASE, project: "p" }, {});
    expect([temp.tempLocation, temp.stagingLocation]).toEqual(["gs://b/tmp", "gs://b/tmp"]);
  });

  it("reads labels as key=value pairs or a JSON object", () => {
    expect(dataflowSettingsOf({ ...BASE, project: "p", labels: "team=data, env=" }, {}).labels).toEqual({ team: "data", env: "" });
    expect(dataflowSettingsOf({ ...BASE, project: "p", labels: '{"team": "data"}' }, {}).labels).toEqual({ team: "data" });
    expect(dataflowProblems({ ...BASE, project: "p", labels: '{"team": ' }, {})).toEqual([expect.stringMatching(/^--labels is not valid JSON/)]);
  });

  it("takes the image from --environmentType=DOCKER --environmentConfig, as Beam Go does", () => {
    expect(dataflowSettingsOf({ ...BASE, sdkContainerImage: undefined, environmentType: "DOCKER", environmentConfig: "img:2", project: "p" }, {}).image).toBe("img:2");
  });

  it("refuses --update without --jobName, and fewer --maxNumWorkers than --numWorkers", () => {
    const problems = dataflowProblems({ ...BASE, project: "p", update: true, numWorkers: 4, maxNumWorkers: 2 }, {});
    expect(problems).toEqual([
      expect.stringMatching(/^--update replaces the running job of the same name: give its name with --jobName/),
      expect.stringMatching(/^--maxNumWorkers=2 is below --numWorkers=4/),
    ]);
  });
});

describe("job names", () => {
  it("makes Beam Python's default name, valid and at most 63 characters even for a long user name", () => {
    const name = defaultJobName("Jane.Doe_with_a_very_long_account_name_indeed_and_more", new Date(Date.UTC(2026, 11, 7, 9, 5, 3, 42)));
    expect(name).toMatch(/^beamapp-janedoewith[-a-z0-9]*-1207090503-042000-[a-z0-9]{8}$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$/);
  });

  it("suggests a valid name for an invalid one", () => {
    expect(suggestedName("My_Job 2")).toBe("my-job-2");
    expect(suggestedName("42")).toBe("beam-ts-job");
  });
});
