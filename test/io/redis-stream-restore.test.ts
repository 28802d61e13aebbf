/**
 * readFromRedisStream's at-least-once guarantee under checkpoints (docs/IO.md, "Redis",
 * "Checkpoints and restore"), against the real redis-server of test/job-services-setup.ts:
 * a job reading a stream through a consumer group is stopped right after checkpoints and
 * restored from the latest one again and again while a producer appends entries. Its
 * databases (16, 17) are its own (tools/servers/redis.mjs starts 32); BEAM_TS_SERVERS without
 * "redis" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Pipeline, Secret, StateSpecs, kv, map, parDo, statefulParDo, stringUtf8Coder, type KV } from "../../src/index.js";
import { readFromRedisStream, type RedisStreamEntry } from "../../src/io/redis/index.js";

const url = inject("redisUrl");
const DB = 16;

describe.skipIf(url === "")("readFromRedisStream under checkpoints and restore", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("processes every entry at least once and acknowledges them all when stopped after checkpoints and restored repeatedly", async () => {
    const admin = createClient({ url: `${url}/${DB}` });
    admin.on("error", () => {});
    await admin.connect();
    try {
      await admin.flushDb();
      const n = 600;
      // The producer appends 6 entries every 5 ms while the jobs are stopped and restored.
      const added: string[] = [];
      const producer = (async () => {
        while (added.length < n) {
          for (let i = 0; i < 6 && added.length < n; i++) added.push(await admin.xAdd("orders", "*", { n: String(added.length) }));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-redis-restore-"));
      dirs.push(dir);
      /** Every id each run's downstream step saw, in order: an at-least-once sink's view. */
      const seen: string[] = [];
      /** Ids that the job's checkpointed state had already counted when they came again. */
      const againInState: string[] = [];
      const run = (options: Record<string, unknown>) => {
        const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest", ...options });
        const entries = p.apply(
          "Read",
          readFromRedisStream({ connection: { url: new Secret(`${url}/${DB}`) }, stream: "orders", group: "billing", consumer: "job", startId: "0", batchSize: 8, blockMs: 20, maxRecords: n }),
        );
        entries.apply(
          "Record",
          parDo<RedisStreamEntry, never>({
            process(e) {
              seen.push(e.id);
            },
          }),
        );
        // State is in every checkpoint: an id it holds already was emitted twice in the history
        // the restored job continues, which is what exactly-once state must never see.
        entries
          .apply("Key", map((e: RedisStreamEntry) => kv("all", e.id)))
          .apply(
            "Dedupe",
            statefulParDo({
              state: { ids: StateSpecs.set<string>(stringUtf8Coder) },
              process(e: KV<string, string>, ctx) {
                if (!ctx.state.ids.add(e.value)) againInState.push(e.value);
              },
            }),
          );
        return p.run().waitUntilFinish();
      };
      let stops = 0;
      for (let k = 0; k < 10; k++) {
        const state = await run({ stopAfterCheckpoint: 2 + (k % 3) });
        if (state === "DONE") break;
        expect(state).toBe("CANCELLED");
        stops++;
      }
      await producer;
      expect(stops).toBeGreaterThanOrEqual(5);
      // maxRecords counts the entries the job emitted in the history its checkpoints keep: it
      // ends after n only if no entry a checkpoint covers is emitted twice in that history.
      expect(await run({})).toBe("DONE");
      expect(againInState).toEqual([]);
      const distinct = new Set(seen);
      expect([...distinct].sort()).toEqual([...added].sort());
      expect((await admin.xPending("orders", "billing")).pending).toBe(0);
      console.info(`redis restore: ${stops} stops, ${n} entries, ${seen.length - distinct.size} delivered twice downstream`);
    } finally {
      await admin.close();
    }
  }, 120_000);

  it("emits exactly maxRecords and ends when a restarted consumer has more pending entries than records left", async () => {
    const admin = createClient({ url: `${url}/${DB + 1}` });
    admin.on("error", () => {});
    await admin.connect();
    try {
      await admin.flushDb();
      for (let i = 1; i <= 5; i++) await admin.xAdd("orders", `${i}000-0`, { n: String(i) });
      // A previous run of consumer "job" was given all five and acknowledged none.
      await admin.xGroupCreate("orders", "billing", "0");
      await admin.sendCommand(["XREADGROUP", "GROUP", "billing", "job", "COUNT", "10", "STREAMS", "orders", ">"]);
      const ids: string[] = [];
      const p = new Pipeline({ enforceImmutability: false });
      p.apply(readFromRedisStream({ connection: { url: new Secret(`${url}/${DB + 1}`) }, stream: "orders", group: "billing", consumer: "job", blockMs: 20, maxRecords: 3 })).apply(
        "Record",
        parDo<RedisStreamEntry, never>({
          process(e) {
            ids.push(e.id);
          },
        }),
      );
      expect(await p.run().waitUntilFinish()).toBe("DONE");
      expect(ids).toEqual(["1000-0", "2000-0", "3000-0"]);
      // The two not emitted stay pending for the next run.
      expect((await admin.xPending("orders", "billing")).pending).toBe(2);
    } finally {
      await admin.close();
    }
  });
});
