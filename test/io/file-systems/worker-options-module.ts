/**
 * The module worker threads of worker-options.test.ts import. It builds its Pipeline without
 * the S3 options on purpose: the worker's file systems must get them from the submitter.
 */
import { Pipeline } from "../../../src/index.js";
import { writeObjects } from "./worker-options-pipeline.js";

const prefix = process.env["BEAM_TS_FS_WORKER_PREFIX"] ?? "";
const p = new Pipeline({ parallelism: 2 });
writeObjects(p, prefix);
await p.run().waitUntilFinish();
