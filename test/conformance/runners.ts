import { inject } from "vitest";
import { Pipeline } from "../../src/index.js";

/**
 * The runners the conformance suite runs against. Every scenario runs on each; portable
 * runners (Prism, Flink) join this list when they exist.
 */
export interface RunnerUnderTest {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

export const RUNNERS: readonly RunnerUnderTest[] = [
  { name: "embedded", options: { runner: "embedded" } },
  // Small bundles and primitive expansions of Combine.perKey and Reshuffle exercise bundle
  // boundaries and the paths a runner without these optimisations takes.
  { name: "embedded (bundleSize=2, expanded composites)", options: { runner: "embedded", bundleSize: 2, expandComposites: true } },
];

/** Prism (Beam's Go runner), started once per test run by test/prism-setup.ts. */
export const PRISM: RunnerUnderTest = { name: "prism", options: { runner: "prism", jobEndpoint: inject("prismEndpoint") } };

/** The runners of the batch suite: the embedded ones and Prism. */
export const BATCH_RUNNERS: readonly RunnerUnderTest[] = [...RUNNERS, PRISM];

/** Builds a pipeline with `build` on the runner and waits for it. */
export async function runOn(
  runner: RunnerUnderTest,
  build: (p: Pipeline) => void,
  extraOptions: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const p = new Pipeline({ ...runner.options, ...extraOptions });
  build(p);
  await p.run().waitUntilFinish();
}
