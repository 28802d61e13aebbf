// What a crash during a write's finalization leaves visible: a child process runs a write
// and SIGKILLs itself at finalization point k (a test hook of src/io/files), for every
// point; after each kill the marked output is one complete run's, and a rerun cleans up.
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Pipeline, create, map } from "../../src/index.js";
import { createTempDirectory, readSuccessMarker, shardNameMatcher, successMarkerFile } from "../../src/io/files/index.js";
import { readText, writeText } from "../../src/io/text/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/write-shards.ts", import.meta.url));
const SUFFIX = ".txt";

let root: string;
let program: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "beam-ts-write-kill-"));
  // One bundle, started ~27 times: a fifth of the start-up of tsx compiling src/ each time.
  program = path.join(root, "write-shards.mjs");
  await build({
    entryPoints: [FIXTURE],
    outfile: program,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    banner: { js: 'import { createRequire as bannerCreateRequire } from "node:module"; const require = bannerCreateRequire(import.meta.url);' },
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeRun(prefix: string, tag: string, numShards: number): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  p.apply(create(Array.from({ length: 3 * numShards }, (_, i) => `${tag}:${i}`))).apply(writeText(prefix, { suffix: SUFFIX, numShards, header: tag }));
  await p.run().waitUntilFinish();
}

async function readBack(pattern: string): Promise<string[]> {
  const lines: string[] = [];
  const p = new Pipeline({ runner: "embedded" });
  p.apply(readText(pattern)).apply(map((line: string) => void lines.push(line)));
  await p.run().waitUntilFinish();
  return lines.sort();
}

/** The tag (header line) of each shard file of `prefix` in its directory. */
async function shardTags(prefix: string): Promise<Map<string, string>> {
  const dir = path.dirname(prefix);
  const tags = new Map<string, string>();
  for (const name of (await readdir(dir)).filter(shardNameMatcher(prefix, SUFFIX))) {
    tags.set(path.join(dir, name), (await readFile(path.join(dir, name), "utf8")).split("\n")[0]!);
  }
  return tags;
}

function expected(tag: string, numShards: number): string[] {
  return [...Array.from({ length: 3 * numShards }, (_, i) => `${tag}:${i}`), ...Array<string>(numShards).fill(tag)].sort();
}

it("shows one complete run's marked output after a kill at every point of finalization, and a rerun cleans up", async () => {
  const out = path.join(root, "out");
  const prefix = path.join(out, "counts");
  const marker = successMarkerFile(prefix, SUFFIX);
  // The previous complete run (12 shards), and a temporary directory a crashed earlier run
  // left a minute before, whose process is gone.
  await writeRun(prefix, "A", 12);
  const stale = await createTempDirectory(prefix, SUFFIX, Date.now() - 60_000);
  const gone = spawnSync(process.execPath, ["-e", ""]).pid;
  await writeFile(path.join(stale, "owner.json"), JSON.stringify({ pid: gone, host: os.hostname() }));
  await writeFile(path.join(stale, "partial"), "A crashed run's partial shard\n");
  const snapshot = path.join(root, "snapshot");
  await cp(out, snapshot, { recursive: true });

  let points = 0;
  for (let k = 1; ; k++) {
    await rm(out, { recursive: true, force: true });
    await cp(snapshot, out, { recursive: true });
    const child = spawnSync(process.execPath, [program, prefix, `B${k}`, "8"], {
      encoding: "utf8",
      env: { ...process.env, BEAM_TS_TEST_KILL_AT_FINALIZE_POINT: String(k) },
      timeout: 30_000,
    });
    if (child.status === 0) {
      points = k - 1;
      break;
    }
    expect(child.signal, `point ${k}: ${child.stderr}`).toBe("SIGKILL");

    // The marked output: absent, or every listed file present and all of one run.
    const tags = await shardTags(prefix);
    const listed = await readSuccessMarker(marker);
    if (listed !== undefined) {
      expect(new Set(listed), `point ${k}`).toEqual(new Set(tags.keys()));
      expect(listed.length === 12 || listed.length === 8, `point ${k}`).toBe(true);
    }
    // Marked or not, the shard files present are of one run only, never a mix.
    expect(new Set(tags.values()).size, `point ${k}: ${[...tags.values()].join(",")}`).toBeLessThanOrEqual(1);

    // A rerun with another shard count replaces everything with exactly its own files.
    await writeRun(prefix, `C${k}`, 5);
    const names = (await readdir(out)).sort();
    expect(names, `point ${k}`).toEqual([path.basename(marker), ...Array.from({ length: 5 }, (_, i) => `counts-0000${i}-of-00005.txt`)]);
    expect(await readSuccessMarker(marker)).toEqual(names.slice(1).map((n) => path.join(out, n)));
    expect(await readBack(path.join(out, "*"))).toEqual(expected(`C${k}`, 5));
  }
  // start, old marker, 12 old shards, 8 renames, pending marker, marker, temp dir, stale dir.
  expect(points).toBe(26);
  // The run that was not killed completed as a rerun does.
  expect(await readBack(`${prefix}*`)).toEqual(expected("B27", 8));
  expect((await readdir(out)).filter((n) => n.startsWith("."))).toEqual([]);
}, 120_000);
