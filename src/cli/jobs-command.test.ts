import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { OptionsError } from "../model/index.js";
import { parseJobsArgs, table } from "./jobs-command.js";

describe("beam-ts jobs arguments", () => {
  it("reads the action, the job id, the endpoint in either spelling and --json", () => {
    expect(parseJobsArgs(["status", "job-001", "--jobEndpoint=127.0.0.1:8099", "--json"])).toEqual({
      action: "status",
      jobId: "job-001",
      endpoint: "127.0.0.1:8099",
      json: true,
    });
    expect(parseJobsArgs(["list", "--jobEndpoint", "localhost:8099"])).toMatchObject({ action: "list", jobId: undefined, endpoint: "localhost:8099", json: false });
  });

  it("refuses a missing endpoint, a missing or extra job id and unknown options, naming the fix", () => {
    expect(() => parseJobsArgs(["status", "job-1"])).toThrow(/needs --jobEndpoint=host:port/);
    expect(() => parseJobsArgs(["cancel", "--jobEndpoint=h:1"])).toThrow(/needs exactly one job id .*beam-ts jobs list --jobEndpoint=h:1/);
    expect(() => parseJobsArgs(["list", "job-1", "--jobEndpoint=h:1"])).toThrow(/takes no job id/);
    expect(() => parseJobsArgs(["stop", "job-1", "--jobEndpoint=h:1"])).toThrow(OptionsError);
    expect(() => parseJobsArgs(["logs", "job-1", "--jobEndpoint=h:1", "--follow"])).toThrow(/unknown option --follow/);
  });
});

describe("the jobs table", () => {
  it("aligns every column under its header, whatever the cells hold", () => {
    const cell = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/\s/.test(s));
    fc.assert(
      fc.property(fc.array(fc.record({ jobId: cell, jobName: cell, state: cell, runner: fc.option(cell, { nil: undefined }) }), { maxLength: 6 }), (jobs) => {
        const lines = table(jobs).trimEnd().split("\n");
        expect(lines).toHaveLength(jobs.length + 1);
        // Each column starts at the same offset on every line.
        const starts = (line: string) => [...line.matchAll(/(?:^|\s{2})(\S)/g)].map((m) => m.index! + m[0].length - 1);
        const header = starts(lines[0]!);
        for (const line of lines.slice(1)) expect(starts(line)).toEqual(header);
        jobs.forEach((j, i) => expect(lines[i + 1]!.split(/\s{2,}/)).toEqual([j.jobId, j.jobName, j.state, j.runner ?? "-"].map((c) => c.trim())));
      }),
    );
  });
});
