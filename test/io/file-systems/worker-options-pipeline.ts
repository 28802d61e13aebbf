/**
 * The pipeline of worker-options.test.ts: 40 elements go through a Reshuffle to both threads
 * of --parallelism=2, where a step writes each as an object through `fileSystemFor`, so the
 * worker thread's S3 file system must have been built from the submitter's options.
 */
import { threadId } from "node:worker_threads";
import { Metrics, create, map, reshuffle, type Pipeline } from "../../../src/index.js";
import { fileSystemFor } from "../../../src/io/filesystems/index.js";

export const NAMESPACE = "fs-worker-options";
export const ELEMENTS = 40;

/** Adds the steps that write `<prefix><i>.txt` for every element. */
export function writeObjects(p: Pipeline, prefix: string): void {
  const threads = Metrics.stringSet(NAMESPACE, "threads");
  p.apply("Elements", create(Array.from({ length: ELEMENTS }, (_, i) => i)))
    .apply("Reshuffle", reshuffle())
    .apply(
      "Write",
      map(async (i: number) => {
        threads.add(String(threadId));
        const path = `${prefix}${i}.txt`;
        const fs = await fileSystemFor(path);
        const out = await fs.create(path);
        await out.write(Buffer.from(`element ${i}`));
        await out.close();
        return i;
      }),
    );
}
