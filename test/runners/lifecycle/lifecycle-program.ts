// The program of the lifecycle tests' child processes, and the pipeline module their worker
// threads import: builds the fixture named by BEAM_TS_LIFECYCLE_FIXTURE with the options of
// its command line (e.g. --parallelism=2), runs it, and prints the job's final state.
import { Pipeline } from "../../../src/index.js";
import { FIXTURES, FIXTURE_ENV } from "./pipelines.js";

const name = process.env[FIXTURE_ENV] ?? "";
const build = FIXTURES[name];
if (build === undefined) throw new Error(`${FIXTURE_ENV}=${name}: no such fixture.`);
const options: Record<string, unknown> = {};
for (const arg of process.argv.slice(2)) {
  const [key, value] = arg.replace(/^--/, "").split("=");
  options[key!] = /^\d+$/.test(value ?? "") ? Number(value) : value;
}
const p = new Pipeline(options);
build(p);
const state = await p.run().waitUntilFinish();
process.stdout.write(`state: ${state}\n`);
