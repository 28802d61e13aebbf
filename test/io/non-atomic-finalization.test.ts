// What a crash at each point of a write's finalization leaves on a file system without
// atomic rename (an object store; here the in-memory "mem" one, whose state outlives a
// finalization stopped part-way): the marked output is always one complete run's, the
// shards present are never a mix of runs, and the next write cleans everything up.
import os from "node:os";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import {
  createTempDirectory,
  finalizeWrite,
  joinPath,
  readSuccessMarker,
  shardFileName,
  successMarkerFile,
  type ShardMove,
} from "../../src/io/files/index.js";
import { stringUtf8Coder } from "../../src/coders/index.js";
import { IntervalWindow, ON_TIME_AND_ONLY_FIRING, kv } from "../../src/model/index.js";
import { PaneFileSink } from "../../src/io/files/pane-file-sink.js";
import { windowedShardFileName } from "../../src/io/files/shard-template.js";
import { streamingTempDirectory } from "../../src/io/files/temp-directory.js";
import { registerFileSystem } from "../../src/io/filesystems/index.js";
import { MemoryFileSystem } from "./memory-file-system.js";

const mem = new MemoryFileSystem();
beforeAll(() => registerFileSystem("mem", () => mem));
afterAll(() => registerFileSystem("mem", () => new MemoryFileSystem()));
beforeEach(() => mem.clear());

const DIR = "mem://bucket/out";
const PREFIX = `${DIR}/counts`;
const SUFFIX = ".txt";
const MARKER = successMarkerFile(PREFIX, SUFFIX);

class Crash extends Error {}

async function put(path: string, text: string): Promise<void> {
  const out = await mem.create(path);
  await out.write(Buffer.from(text));
  await out.close();
}

/** A temporary directory of PREFIX holding `count` complete temporary objects tagged `tag`. */
async function written(count: number, tag: string, created?: number): Promise<{ tempDir: string; moves: ShardMove[] }> {
  const tempDir = await createTempDirectory(PREFIX, SUFFIX, created);
  const moves: ShardMove[] = [];
  for (let i = 0; i < count; i++) {
    const tempFile = joinPath(tempDir, `t${i}`);
    await put(tempFile, `${tag}\n`);
    moves.push({ tempFile, finalFile: shardFileName(PREFIX, i, count, SUFFIX) });
  }
  return { tempDir, moves };
}

async function writeRun(count: number, tag: string, created?: number): Promise<{ tempDir: string; moves: ShardMove[] }> {
  const w = await written(count, tag, created);
  await finalizeWrite({ prefix: PREFIX, suffix: SUFFIX }, w.tempDir, w.moves);
  return w;
}

/** The shard objects of PREFIX present now, with their tags. */
function shards(): Map<string, string> {
  const re = /^mem:\/\/bucket\/out\/counts-\d{5}-of-\d{5}\.txt$/;
  return new Map(mem.paths().filter((p) => re.test(p)).map((p) => [p, mem.text(p)!.trim()]));
}

it("shows one complete run's marked output after a crash at every point of a finalization without atomic rename, and the next write cleans up", async () => {
  let points = 0;
  for (let k = 1; ; k++) {
    mem.clear();
    await writeRun(4, "A");
    // A temporary directory a crashed earlier run left a minute ago, whose process is gone.
    const stale = await written(2, "stale", Date.now() - 60_000);
    await put(joinPath(stale.tempDir, "owner.json"), JSON.stringify({ pid: spawnSync(process.execPath, ["-e", ""]).pid, host: os.hostname() }));

    let reached = 0;
    let b: { tempDir: string; moves: ShardMove[] } | undefined;
    try {
      b = await written(3, "B");
      await finalizeWrite({ prefix: PREFIX, suffix: SUFFIX }, b.tempDir, b.moves, {
        point: () => (++reached === k ? Promise.reject(new Crash(`crash at point ${k}`)) : Promise.resolve()),
      });
      points = reached;
      break;
    } catch (err) {
      if (!(err instanceof Crash)) throw err;
    }

    const present = shards();
    const listed = await readSuccessMarker(MARKER);
    if (listed !== undefined) {
      // A marker is there only with every file it lists, all of one run.
      expect(new Set(listed), `point ${k}`).toEqual(new Set(present.keys()));
      expect(new Set(present.values()).size, `point ${k}`).toBe(1);
      expect(listed.length === 4 || listed.length === 3, `point ${k}`).toBe(true);
    }
    // Marked or not, the shards present are never of two runs.
    expect(new Set(present.values()).size, `point ${k}: ${[...present.values()].join(",")}`).toBeLessThanOrEqual(1);
    // Before the marker, new shards exist only as copies: every temporary object is still there.
    if ([...present.values()].includes("B") && listed === undefined) {
      for (const m of b!.moves) expect(mem.objects.has(m.tempFile), `point ${k}: ${m.tempFile}`).toBe(true);
    }

    // The next write (another shard count, started later: temporary directories are ordered by
    // their creation time in ms, and these runs are faster than that) replaces everything
    // with exactly its own files.
    await writeRun(2, `C${k}`, Date.now() + 1_000);
    const finals = [0, 1].map((i) => shardFileName(PREFIX, i, 2, SUFFIX));
    expect(mem.paths(), `point ${k}`).toEqual([MARKER, ...finals].sort());
    expect(await readSuccessMarker(MARKER)).toEqual(finals);
    expect(finals.map((f) => mem.text(f))).toEqual([`C${k}\n`, `C${k}\n`]);
  }
  // start, old marker, 4 old shards, 3 copies, marker (one upload: no pending file), temp dir, stale dir.
  expect(points).toBe(12);
  expect([...shards().values()]).toEqual(["B", "B", "B"]);
  expect(mem.paths().filter((p) => p.includes(".temp-beam-"))).toEqual([]);
});

it("completes a finalization retried after it failed part-way, keeping what the first attempt copied", async () => {
  await writeRun(2, "A");
  const b = await written(3, "B");
  let reached = 0;
  const crashAfterFirstCopy = () => (++reached === 5 ? Promise.reject(new Crash("after the first copy")) : Promise.resolve());
  await expect(finalizeWrite({ prefix: PREFIX, suffix: SUFFIX }, b.tempDir, b.moves, { point: crashAfterFirstCopy })).rejects.toThrow(Crash);
  expect([...shards().keys()]).toEqual([shardFileName(PREFIX, 0, 3, SUFFIX)]);
  await finalizeWrite({ prefix: PREFIX, suffix: SUFFIX }, b.tempDir, b.moves, { point: () => Promise.resolve() });
  expect(await readSuccessMarker(MARKER)).toEqual(b.moves.map((m) => m.finalFile));
  expect([...shards().values()]).toEqual(["B", "B", "B"]);
  // Retried again after it completed (temporary objects deleted): the output stays.
  await finalizeWrite({ prefix: PREFIX, suffix: SUFFIX }, b.tempDir, b.moves, { point: () => Promise.resolve() });
  expect(await readSuccessMarker(MARKER)).toEqual(b.moves.map((m) => m.finalFile));
  expect(mem.paths()).toEqual([MARKER, ...b.moves.map((m) => m.finalFile)].sort());
});

it("commits a pane's file by copy then delete, and completes a commit a crash cut between the two", async () => {
  const prefix = `${DIR}/lines`;
  const tempDir = streamingTempDirectory(prefix, ".txt");
  const sink = new PaneFileSink<number, string>(
    {
      finalFile: (shard, window, pane) => windowedShardFileName(prefix, window, pane, shard, 1, ".txt"),
      openShard: async (_shard, file, options) => {
        expect(options).toEqual({ durable: true }); // pre-committed files must survive a crash
        const out = await mem.create(file, options);
        return { file, write: (line: string) => out.write(Buffer.from(`${line}\n`)), close: () => out.close(), abort: () => out.abort() };
      },
    },
    tempDir,
    stringUtf8Coder,
  );
  const txn = await sink.begin();
  const outputs: string[] = [];
  const metrics = {
    counter: () => ({ inc: () => undefined, dec: () => undefined }),
    distribution: () => ({ update: () => undefined }),
    gauge: () => ({ set: () => undefined }),
    stringSet: () => ({ add: () => undefined }),
  };
  await sink.write(txn, kv(0, ["a", "b"]), { timestamp: 0, window: new IntervalWindow(0, 60_000), pane: ON_TIME_AND_ONLY_FIRING, metrics, output: (f) => void outputs.push(f) });
  const moves = await sink.preCommit(txn);
  const [{ tempFile, finalFile }] = moves as [{ tempFile: string; finalFile: string }];
  expect(outputs).toEqual([finalFile]);
  expect(mem.objects.has(finalFile)).toBe(false); // not visible before commit

  // A crash after the copy, before the delete: both objects are there.
  await mem.copy([{ from: tempFile, to: finalFile }]);
  await sink.commit(moves); // the restored job's commit
  expect(mem.paths()).toEqual([finalFile]);
  expect(mem.text(finalFile)).toBe("a\nb\n");
  await sink.commit(moves); // again: idempotent
  expect(mem.paths()).toEqual([finalFile]);
  expect(mem.operations.renames).toBe(0);
});
