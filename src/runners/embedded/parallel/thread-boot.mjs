// The first module of a worker thread of a parallel embedded job. Plain JavaScript: a
// worker thread does not inherit the TypeScript loader of the thread that started it, so
// it registers tsx's before loading beam-ts (its sources are TypeScript) and the pipeline.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { serveThread } = await import(workerData.entry);
await serveThread(workerData);
