/** What worker threads import to rebuild the JobSnapshot tests' parallel pipeline. */
import { Pipeline } from "../../src/index.js";
import { buildSnapshotPipeline } from "./snapshot-pipeline.js";

const p = new Pipeline({ parallelism: 2 });
buildSnapshotPipeline(p);
await p.run().waitUntilFinish();
