import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { jobServiceOptions } from "./job-options.js";

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
