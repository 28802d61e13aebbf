/** The pipeline module worker threads of secret-options.test.ts import: builds and runs the same pipeline. */
import { Pipeline } from "../../../src/index.js";
import { carrySecretOptions } from "./secret-pipeline.js";

const p = new Pipeline({ parallelism: 2 });
carrySecretOptions(p);
await p.run().waitUntilFinish();
