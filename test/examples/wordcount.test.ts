import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, assertThat, create } from "../../src/index.js";
import { countWords, words } from "../../examples/wordcount/wordcount.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-wordcount-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function outputLines(prefix: string): Promise<{ files: string[]; lines: string[] }> {
  const folder = path.dirname(prefix);
  const files = (await readdir(folder)).filter((f) => f.startsWith(path.basename(prefix))).sort();
  const lines: string[] = [];
  for (const f of files) lines.push(...(await readFile(path.join(folder, f), "utf8")).split("\n").filter((l) => l !== ""));
  return { files, lines: lines.sort() };
}

describe("examples/wordcount", () => {
  it("splits lower-cased words on every non-letter, in any script", () => {
    expect(words("Hello, WORLD! it's 2026: Ünïcode—naïve")).toEqual(["hello", "world", "it", "s", "ünïcode", "naïve"]);
  });

  it("counts words as word: count lines", async () => {
    const p = new Pipeline();
    const out = p.apply(create(["The cat", "the hat, the END"])).apply(countWords());
    assertThat(out).containsInAnyOrder(["the: 3", "cat: 1", "hat: 1", "end: 1"]);
    await p.run().waitUntilFinish();
  });

  it("runs from the command line with --input and --output, through `beam-ts run` too", async () => {
    await writeFile(path.join(dir, "a.txt"), "one two\ntwo three three\n");
    await writeFile(path.join(dir, "b.txt"), "THREE");
    const prefix = path.join(dir, "out", "counts");
    await run("npx", ["tsx", "examples/wordcount/main.ts", `--input=${dir}/*.txt`, `--output=${prefix}`, "--numShards=2"], {
      cwd: root,
    });
    const direct = await outputLines(prefix);
    expect(direct.files).toEqual(["counts-00000-of-00002.txt", "counts-00001-of-00002.txt"]);
    expect(direct.lines).toEqual(["one: 1", "three: 3", "two: 2"]);

    const viaCli = path.join(dir, "cli", "counts");
    await run("node", ["bin/beam-ts.js", "run", "examples/wordcount/main.ts", `--input=${dir}/*.txt`, `--output=${viaCli}`], {
      cwd: root,
    });
    expect((await outputLines(viaCli)).lines).toEqual(["one: 1", "three: 3", "two: 2"]);
  }, 60_000);

  it("prints its options for --help and rejects a misspelt option with exit code 2", async () => {
    const help = await run("npx", ["tsx", "examples/wordcount/main.ts", "--help"], { cwd: root });
    expect(help.stdout).toMatch(/--input=<string>/);
    expect(help.stdout).toMatch(/--output=<string>/);
    const bad = await run("npx", ["tsx", "examples/wordcount/main.ts", "--ouput=x"], { cwd: root }).catch((e: unknown) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toContain("Did you mean --output?");
  }, 60_000);
});
