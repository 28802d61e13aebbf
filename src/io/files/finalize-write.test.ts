import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finalizeWrite, type ShardMove } from "./finalize-write.js";
import { shardFileName } from "./shard-template.js";
import { isSuccessMarker, readSuccessMarker, successMarkerFile } from "./success-marker.js";
import { createTempDirectory, removeStaleTempDirectories } from "./temp-directory.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-files-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A temporary directory of `prefix` holding `count` complete temp files, and their moves. */
async function written(prefix: string, suffix: string, count: number, tag: string): Promise<{ tempDir: string; moves: ShardMove[] }> {
  const tempDir = await createTempDirectory(prefix, suffix);
  const moves: ShardMove[] = [];
  for (let i = 0; i < count; i++) {
    const tempFile = path.join(tempDir, `t${i}`);
    await writeFile(tempFile, `${tag}-${i}\n`);
    moves.push({ tempFile, finalFile: shardFileName(prefix, i, count, suffix) });
  }
  return { tempDir, moves };
}

/** A process id that no live process has (a child that has exited). */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

describe("finalizeWrite", () => {
  it("replaces the previous shards of any count with the new ones and marks them, touching no other file", async () => {
    const prefix = path.join(dir, "counts");
    const others = ["counts-00000-of-00001.csv", "counts-a-00000-of-00001.txt", "countsx-00000-of-00001.txt", "counts-notes.txt", "_counts.csv_SUCCESS"];
    for (const name of others) await writeFile(path.join(dir, name), "other\n");
    const old = await written(prefix, ".txt", 5, "old");
    await finalizeWrite({ prefix, suffix: ".txt" }, old.tempDir, old.moves);
    const next = await written(prefix, ".txt", 2, "new");
    await finalizeWrite({ prefix, suffix: ".txt" }, next.tempDir, next.moves);

    const finals = [0, 1].map((i) => shardFileName(prefix, i, 2, ".txt"));
    expect((await readdir(dir)).sort()).toEqual([...others, "_counts.txt_SUCCESS", ...finals.map((f) => path.basename(f))].sort());
    expect(await Promise.all(finals.map((f) => readFile(f, "utf8")))).toEqual(["new-0\n", "new-1\n"]);
    expect(await readSuccessMarker(successMarkerFile(prefix, ".txt"))).toEqual(finals);
  });

  it("keeps a final file an earlier attempt already moved when retried", async () => {
    const prefix = path.join(dir, "retry");
    await writeFile(shardFileName(prefix, 0, 2), "previous run\n");
    const { tempDir, moves } = await written(prefix, "", 2, "new");
    // The first attempt moved shard 0 over the previous run's file, then failed.
    await rename(moves[0]!.tempFile, moves[0]!.finalFile);
    await finalizeWrite({ prefix, suffix: "" }, tempDir, moves);
    expect(await readFile(moves[0]!.finalFile, "utf8")).toBe("new-0\n");
    expect(await readFile(moves[1]!.finalFile, "utf8")).toBe("new-1\n");
    expect(await readSuccessMarker(successMarkerFile(prefix, ""))).toEqual(moves.map((m) => m.finalFile));
  });

  it("removes its temporary directory and the stale ones of earlier writes of the same files", async () => {
    const prefix = path.join(dir, "out");
    const crashed = await createTempDirectory(prefix, ".txt", Date.now() - 60_000);
    await writeFile(path.join(crashed, "owner.json"), JSON.stringify({ pid: deadPid(), host: os.hostname() }));
    const noOwner = await createTempDirectory(prefix, ".txt", Date.now() - 60_000);
    await rm(path.join(noOwner, "owner.json"));
    const { tempDir, moves } = await written(prefix, ".txt", 1, "x");
    await finalizeWrite({ prefix, suffix: ".txt" }, tempDir, moves);
    expect((await readdir(dir)).sort()).toEqual(["_out.txt_SUCCESS", "out-00000-of-00001.txt"]);
  });
});

describe("removeStaleTempDirectories", () => {
  it("keeps directories of other prefixes, of later writes and of live processes on this host", async () => {
    const prefix = path.join(dir, "out");
    const earlier = Date.now() - 60_000;
    const otherPrefix = await createTempDirectory(path.join(dir, "other"), ".txt", earlier);
    const otherSuffix = await createTempDirectory(prefix, ".csv", earlier);
    const live = await createTempDirectory(prefix, ".txt", earlier);
    await writeFile(path.join(live, "owner.json"), JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    const sameProcess = await createTempDirectory(prefix, ".txt", earlier);
    const elsewhere = await createTempDirectory(prefix, ".txt", earlier);
    await writeFile(path.join(elsewhere, "owner.json"), JSON.stringify({ pid: process.ppid, host: `not-${os.hostname()}` }));
    const own = await createTempDirectory(prefix, ".txt");
    const later = await createTempDirectory(prefix, ".txt", Date.now() + 60_000);
    await mkdir(path.join(dir, ".temp-beam-legacy"));

    const removed = await removeStaleTempDirectories(prefix, ".txt", own);
    expect(removed.sort()).toEqual([sameProcess, elsewhere].sort());
    const left = (await readdir(dir)).map((n) => path.join(dir, n)).sort();
    expect(left).toEqual([otherPrefix, otherSuffix, live, own, later, path.join(dir, ".temp-beam-legacy")].sort());
  });
});

describe("success marker", () => {
  it("is recognized by name and content, so a user's _..._SUCCESS file is not taken for one", async () => {
    const prefix = path.join(dir, "m");
    const { tempDir, moves } = await written(prefix, "", 1, "x");
    await finalizeWrite({ prefix, suffix: "" }, tempDir, moves);
    expect(await isSuccessMarker(successMarkerFile(prefix, ""))).toBe(true);
    await writeFile(path.join(dir, "_notes_SUCCESS"), "my notes\n");
    expect(await isSuccessMarker(path.join(dir, "_notes_SUCCESS"))).toBe(false);
    expect(await isSuccessMarker(moves[0]!.finalFile)).toBe(false);
  });
});
