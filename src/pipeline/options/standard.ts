import { option } from "./option.js";

/**
 * Options every pipeline understands, whatever else it defines. Runners read the ones
 * that apply to them.
 */
export const standardOptions = {
  runner: option.string({ description: "The runner that executes the pipeline", default: "embedded" }),
  jobName: option.string({ description: "A name for the job, shown by runners and in metrics" }),
  bundleSize: option.integer({ description: "Elements per bundle (embedded runner)", default: 1000, min: 1 }),
  maxBundleRetries: option.integer({
    description: "How many times a failed bundle is retried before the job fails",
    default: 2,
    min: 0,
  }),
  liftCombines: option.boolean({ description: "Pre-combine before shuffles (embedded runner)", default: true }),
  jobEndpoint: option.string({ description: "host:port of a Beam job service, for --runner=portable or prism" }),
  allowUnsafeTriggers: option.boolean({
    description: "Allow triggers that may finish before their window expires (later data is dropped)",
  }),
  expandComposites: option.boolean({
    description: "Run Combine and Reshuffle through their primitive expansions (embedded runner; for testing)",
  }),
};

export type StandardOptionSpecs = typeof standardOptions;
