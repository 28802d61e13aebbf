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
  // Small bundles and no combiner lifting exercise bundle boundaries and the unlifted path.
  { name: "embedded (bundleSize=2, no lifting)", options: { runner: "embedded", bundleSize: 2, liftCombines: false } },
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
