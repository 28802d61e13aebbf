/**
 * FileIO's continuous match on the embedded runner: a streaming job watching a folder while
 * files are added, and the watch's restriction through checkpoints and restore.
 *
 * Files are added "while it runs" without sleeps: a step downstream of the match writes the
 * next file when it sees one, so each new file appears after the poll that found the previous
 * one. `Growth.afterTimeSinceNewOutput` ends each job once no new file has come for a while.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, parDo, type BundleFinalizer, type DoFn, type ProcessContext } from "../../src/index.js";
import { Growth, matchFiles, type FileMetadata } from "../../src/io/files/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-watch-job-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Seen {
  readonly name: string;
  readonly lastModified: number;
  readonly timestamp: number;
}

/** Records what the match emits and, on seeing `from`, writes (or rewrites) the files `then` maps it to. */
function reactor(seen: Seen[], inbox: string, then: Record<string, () => void>): DoFn<FileMetadata, string> {
  return {
    process(m: FileMetadata, ctx: ProcessContext<string>) {
      const name = path.basename(m.path);
      const first = !seen.some((s) => s.name === name);
      seen.push({ name, lastModified: m.lastModifiedMillis, timestamp: ctx.timestamp });
      if (first) then[name]?.();
      ctx.output(name);
      void inbox;
    },
  };
}

describe("matchFiles(...).continuously on the embedded runner", () => {
  it("emits every file added while the job runs once, timestamped with the poll's processing time", async () => {
    const inbox = path.join(dir, "inbox");
    mkdirSync(inbox);
    writeFileSync(path.join(inbox, "a.txt"), "a");
    const seen: Seen[] = [];
    const put = (name: string) => () => writeFileSync(path.join(inbox, name), name);
    const p = new Pipeline({ runner: "embedded", enforceImmutability: false });
    p.apply(matchFiles(path.join(inbox, "*.txt")).continuously({ interval: 10, stopAfter: Growth.afterTimeSinceNewOutput(300) })).apply(
      "React",
      parDo(
        reactor(seen, inbox, {
          // Rewriting a.txt (a later modification time) must not emit it again without matchUpdatedFiles.
          "a.txt": () => {
            put("b.txt")();
            writeFileSync(path.join(inbox, "a.txt"), "a, changed");
            utimesSync(path.join(inbox, "a.txt"), new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
          },
          "b.txt": put("c.txt"),
          "c.txt": () => writeFileSync(path.join(inbox, "c.csv"), "not matched"),
        }),
      ),
    );
    const started = Date.now();
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.map((s) => s.name)).toEqual(["a.txt", "b.txt", "c.txt"]);
    // Each file carries the time of the poll that found it: later files, later polls.
    for (const s of seen) expect(s.timestamp).toBeGreaterThanOrEqual(started);
    expect(seen[0]!.timestamp).toBeLessThan(seen[1]!.timestamp);
    expect(seen[1]!.timestamp).toBeLessThan(seen[2]!.timestamp);
  }, 60_000);

  it("emits a file again when it is rewritten, with matchUpdatedFiles", async () => {
    const inbox = path.join(dir, "inbox");
    mkdirSync(inbox);
    const a = path.join(inbox, "a.txt");
    writeFileSync(a, "v1");
    utimesSync(a, 1_000, 1_000);
    const seen: Seen[] = [];
    const p = new Pipeline({ runner: "embedded", enforceImmutability: false });
    p.apply(matchFiles(path.join(inbox, "*.txt")).continuously({ interval: 10, stopAfter: Growth.afterTimeSinceNewOutput(300), matchUpdatedFiles: true })).apply(
      "React",
      parDo(
        reactor(seen, inbox, {
          "a.txt": () => {
            writeFileSync(a, "v2");
            utimesSync(a, 2_000, 2_000);
            writeFileSync(path.join(inbox, "b.txt"), "b");
          },
        }),
      ),
    );
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(seen.map((s) => [s.name, s.lastModified]).sort()).toEqual([
      ["a.txt", 1_000_000],
      ["a.txt", 2_000_000],
      ["b.txt", expect.any(Number)],
    ]);
  }, 60_000);
});

/**
 * An exactly-once sink: each bundle's names go to a pending file, renamed when the runner
 * finalizes the bundle (after the checkpoint covering it) or a restored job recovers it.
 */
function twoPhaseSink(outDir: string): DoFn<string, never> & { names?: string[]; finalizer?: BundleFinalizer } {
  const commit = (id: string) => {
    const pending = path.join(outDir, `${id}.pending`);
    if (existsSync(pending)) renameSync(pending, path.join(outDir, `${id}.out`));
  };
  return {
    startBundle(ctx) {
      this.names = [];
      this.finalizer = ctx.bundleFinalizer;
    },
    process(name) {
      this.names!.push(name);
    },
    finishBundle() {
      if (this.names!.length === 0) return;
      mkdirSync(outDir, { recursive: true });
      const id = randomUUID();
      writeFileSync(path.join(outDir, `${id}.pending`), this.names!.join("\n") + "\n");
      this.finalizer!.afterBundleCommit(Date.now() + 3_600_000, () => commit(id), Buffer.from(id));
    },
    recoverCommit(recovery) {
      commit(Buffer.from(recovery).toString());
    },
  };
}

function committed(outDir: string): string[] {
  if (!existsSync(outDir)) return [];
  const names: string[] = [];
  for (const f of readdirSync(outDir)) if (f.endsWith(".out")) names.push(...readFileSync(path.join(outDir, f), "utf8").split("\n").filter((l) => l !== ""));
  return names.sort();
}

describe("the watch's restriction in checkpoints", () => {
  it("a job stopped after a checkpoint and restored emits no file twice, and the files added meanwhile once", async () => {
    const inbox = path.join(dir, "inbox");
    const out = path.join(dir, "out");
    const checkpointDir = path.join(dir, "checkpoints");
    mkdirSync(inbox);
    for (const n of ["f0", "f1", "f2"]) writeFileSync(path.join(inbox, `${n}.txt`), n);
    const run = (options: Record<string, unknown>) => {
      const p = new Pipeline({ runner: "embedded", enforceImmutability: false, checkpointDir, checkpointInterval: 20, restoreFrom: "latest", ...options });
      p.apply(matchFiles(path.join(inbox, "*.txt")).continuously({ interval: 10, stopAfter: Growth.afterTimeSinceNewOutput(400) }))
        .apply("Name", parDo<FileMetadata, string>({ process: (m, ctx) => ctx.output(path.basename(m.path)) }))
        .apply("Sink", parDo(twoPhaseSink(out)));
      return p.run().waitUntilFinish();
    };
    // Stopped after a few checkpoints: by then the first poll's files are committed.
    expect(await run({ stopAfterCheckpoint: 3 })).toBe("CANCELLED");
    expect(committed(out)).toEqual(["f0.txt", "f1.txt", "f2.txt"]);
    for (const n of ["f3", "f4"]) writeFileSync(path.join(inbox, `${n}.txt`), n);
    // The restored watch knows f0-f2 from its checkpointed restriction: only f3 and f4 are new.
    expect(await run({})).toBe("DONE");
    expect(committed(out)).toEqual(["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]);
  }, 60_000);
});
