// writeText's output as a set (src/io/files): a rerun replaces the previous run's shards,
// a success marker lists them, and readers never take a write's own files for data.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, create, map } from "../../src/index.js";
import { readSuccessMarker, successMarkerFile } from "../../src/io/files/index.js";
import { readJsonLines, readText, shardFileName, writeText } from "../../src/io/text/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-write-set-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(prefix: string, lines: string[], numShards: number): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  p.apply(create(lines)).apply(writeText(prefix, { numShards }));
  await p.run().waitUntilFinish();
}

async function read(pattern: string): Promise<string[]> {
  const out: string[] = [];
  const p = new Pipeline({ runner: "embedded" });
  p.apply(readText(pattern)).apply(map((line: string) => void out.push(line)));
  await p.run().waitUntilFinish();
  return out.sort();
}

describe("a rerun into the same prefix", () => {
  it("leaves only its own shards when it writes fewer, so counts-* reads each line once", async () => {
    const prefix = path.join(dir, "counts");
    await write(prefix, ["a", "b", "c", "d", "e"], 5);
    await write(prefix, ["x", "y"], 2);
    expect((await readdir(dir)).sort()).toEqual(["_counts_SUCCESS", "counts-00000-of-00002", "counts-00001-of-00002"]);
    expect(await read(`${prefix}-*`)).toEqual(["x", "y"]);
    expect(await readSuccessMarker(successMarkerFile(prefix, ""))).toEqual([0, 1].map((i) => shardFileName(prefix, i, 2)));
  });
});

describe("readers", () => {
  it("skip success markers and a crashed write's temporary files matched by a wildcard", async () => {
    const prefix = path.join(dir, "out");
    await write(prefix, ["1", "2"], 1);
    // A write killed before its finalization: a temporary directory with a partial shard.
    await mkdir(path.join(dir, ".temp-beam-crashed"));
    await writeFile(path.join(dir, ".temp-beam-crashed", "partial"), "partial\n");
    expect(await read(path.join(dir, "*"))).toEqual(["1", "2"]);
    expect(await read(path.join(dir, "**"))).toEqual(["1", "2"]);
    const json: unknown[] = [];
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readJsonLines(path.join(dir, "*"))).apply(map((v: unknown) => void json.push(v)));
    await p.run().waitUntilFinish();
    expect(json.sort()).toEqual([1, 2]);
  });

  it("read a user's own _..._SUCCESS file, a marker named without wildcards and a .temp-beam- pattern", async () => {
    await writeFile(path.join(dir, "_notes_SUCCESS"), "mine\n");
    await write(path.join(dir, "out"), ["1"], 1);
    expect(await read(path.join(dir, "_*"))).toEqual(["mine"]);
    expect((await read(successMarkerFile(path.join(dir, "out"), ""))).join("\n")).toMatch(/"format"/);
    await mkdir(path.join(dir, ".temp-beam-x"));
    await writeFile(path.join(dir, ".temp-beam-x", "t"), "temp\n");
    expect(await read(path.join(dir, ".temp-beam-*", "*"))).toEqual(["temp"]);
  });
});
