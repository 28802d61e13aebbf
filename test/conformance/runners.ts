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
