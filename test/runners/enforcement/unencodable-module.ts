/** The pipeline module the worker threads of the two-thread enforcement tests import. */
import { Pipeline } from "../../../src/index.js";
import { ENV, buildUnencodable } from "./unencodable.js";

const p = new Pipeline({ parallelism: 2 });
buildUnencodable(p, process.env[ENV] ?? "");
await p.run().waitUntilFinish();
