// The README's "Running on Flink, Spark, Dataflow" commands: examples/wordcount through
// `beam-ts run` on each portable runner (the text read is a splittable DoFn, so this also
// runs SDFs through the harness), with the job services test/job-services-setup.ts started.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-wordcount-portable-"));
  await writeFile(path.join(dir, "a.txt"), "one two\ntwo three three\n");
  await writeFile(path.join(dir, "b.txt"), "THREE");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function countsAt(prefix: string): Promise<string[]> {
  const folder = path.dirname(prefix);
  const lines: string[] = [];
  for (const f of await readdir(folder)) {
    if (f.startsWith(path.basename(prefix))) lines.push(...(await readFile(path.join(folder, f), "utf8")).split("\n").filter((l) => l !== ""));
  }
  return lines.sort();
}

async function wordcount(name: string, args: string[]): Promise<string[]> {
  const prefix = path.join(dir, name, "counts");
  await run("node", ["bin/beam-ts.js", "run", "examples/wordcount/main.ts", `--input=${dir}/*.txt`, `--output=${prefix}`, ...args], {
    cwd: root,
  });
  return countsAt(prefix);
}

const EXPECTED = ["one: 1", "three: 3", "two: 2"];

describe("examples/wordcount on portable runners", () => {
  for (const runner of ["flink", "spark", "prism"] as const) {
    const endpoint = inject(`${runner}Endpoint`);
    it.runIf(endpoint !== "")(`runs with --runner=${runner}`, async () => {
      expect(await wordcount(runner, [`--runner=${runner}`, `--jobEndpoint=${endpoint}`])).toEqual(EXPECTED);
    }, 180_000);
  }

  it.runIf(inject("flinkEndpoint") !== "")("runs on Flink with workers in their own processes (--environmentType=PROCESS)", async () => {
    const args = ["--runner=flink", `--jobEndpoint=${inject("flinkEndpoint")}`, "--environmentType=PROCESS"];
    expect(await wordcount("flink-process", args)).toEqual(EXPECTED);
  }, 180_000);

  it.runIf(inject("prismEndpoint") !== "")(
    "reads the example's default input, a path next to its module, with workers in their own processes on Prism",
    async () => {
      // The default --input is computed from import.meta.url: the staged bundle must keep the
      // module's own URL, not the worker's staging folder (which matches no file).
      const counts = async (name: string, args: string[]) => {
        const prefix = path.join(dir, name, "counts");
        await run("node", ["bin/beam-ts.js", "run", "examples/wordcount/main.ts", `--output=${prefix}`, ...args], { cwd: root });
        return countsAt(prefix);
      };
      const embedded = await counts("default-embedded", []);
      expect(embedded.length).toBeGreaterThan(10);
      const args = ["--runner=prism", `--jobEndpoint=${inject("prismEndpoint")}`, "--environmentType=PROCESS"];
      expect(await counts("default-prism-process", args)).toEqual(embedded);
    },
    180_000,
  );

  it("starts its own local Spark job service for --runner=spark without --jobEndpoint", async () => {
    expect(await wordcount("spark-preset", ["--runner=spark"])).toEqual(EXPECTED);
  }, 300_000);
});
