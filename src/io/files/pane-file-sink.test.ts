import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeFromBytes, encodeToBytes, stringUtf8Coder } from "../../coders/index.js";
import { GLOBAL_WINDOW, IntervalWindow, ON_TIME_AND_ONLY_FIRING, kv, paneInfo, type BoundedWindow, type PaneInfo } from "../../model/index.js";
import type { TwoPhaseWriteContext } from "../../transforms/index.js";
import { PaneFileSink, type PaneFileMove, type PaneFileTxn } from "./pane-file-sink.js";
import type { ShardSink } from "./sharded-write.js";
import { windowedShardFileName } from "./shard-template.js";
import { streamingTempDirectory } from "./temp-directory.js";

let dir: string;
let prefix: string;
let tempDir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-pane-sink-"));
  prefix = path.join(dir, "out", "lines");
  tempDir = streamingTempDirectory(prefix, ".txt");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A shard sink that joins lines; `failAfter` makes the n-th write throw (a failed attempt). */
function openLines(failAfter = Infinity): (shard: number, file: string) => Promise<ShardSink<string>> {
  return async (_shard, file) => {
    const lines: string[] = [];
    await writeFile(file, "", { flag: "wx" });
    return {
      file,
      write: (line) => {
        if (lines.length >= failAfter) throw new Error("connection reset");
        lines.push(line);
      },
      close: () => writeFile(file, lines.map((l) => `${l}\n`).join("")),
      abort: () => rm(file, { force: true }),
    };
  };
}

function sinkOf(failAfter = Infinity): PaneFileSink<number, string> {
  return new PaneFileSink<number, string>(
    { openShard: openLines(failAfter), finalFile: (shard, window, pane) => windowedShardFileName(prefix, window, pane, shard, 2, ".txt") },
    tempDir,
    stringUtf8Coder,
  );
}

function writeContext(window: BoundedWindow, pane: PaneInfo, outputs: string[]): TwoPhaseWriteContext<string> {
  return {
    timestamp: 0,
    window,
    pane,
    metrics: {
      counter: () => ({ inc: () => undefined, dec: () => undefined }),
      distribution: () => ({ update: () => undefined }),
      gauge: () => ({ set: () => undefined }),
      stringSet: () => ({ add: () => undefined }),
    },
    output: (name) => void outputs.push(name),
  };
}

const minute = new IntervalWindow(0, 60_000);
const finalName = (shard: number) => `${prefix}-1970-01-01T00:00:00.000Z-1970-01-01T00:01:00.000Z-0000${shard}-of-00002.txt`;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** One bundle: begin, write each shard of the minute's only pane, preCommit. */
async function preCommitted(sink: PaneFileSink<number, string>, shards: Record<number, string[]>): Promise<readonly PaneFileMove[]> {
  const txn = await sink.begin();
  const outputs: string[] = [];
  for (const [shard, lines] of Object.entries(shards)) {
    await sink.write(txn, kv(Number(shard), lines), writeContext(minute, ON_TIME_AND_ONLY_FIRING, outputs));
  }
  expect(outputs).toEqual(Object.keys(shards).map((s) => finalName(Number(s))));
  return sink.preCommit(txn);
}

describe("PaneFileSink", () => {
  it("keeps pre-committed files out of the output until commit renames them into place", async () => {
    const sink = sinkOf();
    const moves = await preCommitted(sink, { 0: ["a", "b"], 1: ["c"] });
    expect(await exists(finalName(0))).toBe(false);
    expect(await readdir(tempDir)).toHaveLength(2);
    await sink.commit(moves);
    expect(await readFile(finalName(0), "utf8")).toBe("a\nb\n");
    expect(await readFile(finalName(1), "utf8")).toBe("c\n");
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("commits idempotently: again, and from the handle decoded after a restore", async () => {
    const sink = sinkOf();
    const moves = await preCommitted(sink, { 1: ["x"] });
    const stored = encodeToBytes(sink.handleCoder, moves);
    await sink.commit(moves);
    await sink.commit(moves);
    // A restored job: a new sink, the handle from the checkpoint's bytes.
    await sinkOf().commit(decodeFromBytes(sinkOf().handleCoder, stored));
    expect(await readFile(finalName(1), "utf8")).toBe("x\n");
  });

  it("replaces the file of a pane written again after a restore, and removes the earlier attempt's temporary file", async () => {
    const sink = sinkOf();
    // The first run pre-committed the pane but died before its checkpoint completed.
    await preCommitted(sink, { 0: ["old"] });
    const replay = await preCommitted(sinkOf(), { 0: ["new"] });
    expect(await readdir(tempDir)).toHaveLength(2);
    await sinkOf().commit(replay);
    expect(await readFile(finalName(0), "utf8")).toBe("new\n");
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("aborts a failed attempt by deleting its complete and partial temporary files", async () => {
    const sink = sinkOf(1);
    const txn: PaneFileTxn<string> = await sink.begin();
    await sink.write(txn, kv(0, ["a"]), writeContext(minute, ON_TIME_AND_ONLY_FIRING, []));
    await expect(sink.write(txn, kv(1, ["b", "c"]), writeContext(minute, ON_TIME_AND_ONLY_FIRING, []))).rejects.toThrow("connection reset");
    expect(await readdir(tempDir)).toHaveLength(2);
    await sink.abort(txn);
    expect(await readdir(tempDir)).toEqual([]);
    expect(await exists(finalName(0))).toBe(false);
  });

  it("names the files of later panes by their index, and the global window's without a window", async () => {
    const sink = sinkOf();
    const txn = await sink.begin();
    const outputs: string[] = [];
    await sink.write(txn, kv(1, ["late"]), writeContext(minute, paneInfo(false, true, "LATE", 2, 1), outputs));
    await sink.write(txn, kv(0, ["g"]), writeContext(GLOBAL_WINDOW, paneInfo(true, false, "EARLY", 0, -1), outputs));
    await sink.commit(await sink.preCommit(txn));
    expect(outputs).toEqual([
      `${prefix}-1970-01-01T00:00:00.000Z-1970-01-01T00:01:00.000Z-2-00001-of-00002.txt`,
      `${prefix}-0-00000-of-00002.txt`,
    ]);
    for (const f of outputs) expect(await exists(f)).toBe(true);
  });

  it("removes its temporary directory at teardown only when nothing is left in it", async () => {
    const sink = sinkOf();
    const moves = await preCommitted(sink, { 0: ["a"] });
    await sink.teardown();
    expect(await exists(tempDir)).toBe(true);
    await sink.commit(moves);
    await sink.teardown();
    expect(await exists(tempDir)).toBe(false);
  });
});
