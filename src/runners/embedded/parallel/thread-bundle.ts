import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { bundlePipeline, installedModule } from "../../pipeline-bundle.js";

/** The bundle worker threads run, and how to remove it. */
export interface ThreadBundle {
  /** The entry file: a Worker's filename. */
  readonly file: string;
  dispose(): Promise<void>;
}

/**
 * Bundles the pipeline module for the worker threads of a parallel job, so that a thread
 * loads plain JavaScript with no TypeScript loader (tsx took 0.5-2.7 s per thread). Installed
 * packages, beam-ts among them when it is installed as a package, are imported in place,
 * so only the user's own files (and beam-ts's sources in this repository) are compiled;
 * code splitting keeps the module in a chunk of its own, loaded by `import()` after the
 * thread entry installed its capture of `Pipeline.run()` (a module with top-level await
 * works, and a failure while loading is reported as the thread's failure).
 */
export async function bundleForThreads(module: string): Promise<ThreadBundle> {
  const outdir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-threads-"));
  const main = [
    `import { workerData } from "node:worker_threads";`,
    `import { serveThread } from ${JSON.stringify(installedModule("./thread-entry", import.meta.url))};`,
    `await serveThread(workerData, () => import(${JSON.stringify(module)}));`,
  ].join("\n");
  try {
    await bundlePipeline({ module, main, output: { outdir, entryName: "thread-main" }, packages: "in-place" });
  } catch (err) {
    await rm(outdir, { recursive: true, force: true });
    throw err;
  }
  return { file: path.join(outdir, "thread-main.mjs"), dispose: () => rm(outdir, { recursive: true, force: true }) };
}
