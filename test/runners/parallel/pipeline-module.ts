/**
 * The pipeline module of the parallel-runner tests: what every worker thread imports. It
 * builds the fixture named by BEAM_TS_PARALLEL_FIXTURE and runs it (the run is captured in
 * a worker thread). BEAM_TS_PARALLEL_WORKER_FIXTURE, when set, is built instead in worker
 * threads only: a worker that rebuilds a different graph. BEAM_TS_PARALLEL_WORKER_DELAY_MS
 * makes worker threads wait that long before building: a worker that starts late.
 */
import { isMainThread } from "node:worker_threads";
import { Pipeline } from "../../../src/index.js";
import { FIXTURES, FIXTURE_ENV } from "./pipelines.js";

const name = (!isMainThread ? process.env["BEAM_TS_PARALLEL_WORKER_FIXTURE"] : undefined) ?? process.env[FIXTURE_ENV] ?? "";
const build = FIXTURES[name];
if (build === undefined) throw new Error(`${FIXTURE_ENV}=${name}: no such fixture; fixtures: ${Object.keys(FIXTURES).join(", ")}.`);
const delay = isMainThread ? 0 : Number(process.env["BEAM_TS_PARALLEL_WORKER_DELAY_MS"] ?? 0);
if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
const p = new Pipeline({ parallelism: 2 });
build(p);
await p.run().waitUntilFinish();
