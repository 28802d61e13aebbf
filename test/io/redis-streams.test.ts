/**
 * readFromRedisStream against the real redis-server started by test/job-services-setup.ts
 * (BEAM_TS_SERVERS without "redis" skips the server tests). Each test uses a database of
 * its own (12 to 15; test/io/redis.test.ts uses 0 to 11), emptied first.
 */
import { createClient } from "redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ConstructionError, Pipeline, Secret, fixedWindows, groupByKey, kv, map, parDo, windowInto, type KV, type PCollection } from "../../src/index.js";
import { readFromRedisStream, type RedisConnection, type RedisStreamEntry } from "../../src/io/redis/index.js";

const url = inject("redisUrl");
const newClient = (at: string) => createClient({ url: at });
type Admin = ReturnType<typeof newClient>;
const clients: Admin[] = [];

function connection(db: number): RedisConnection {
  return { url: new Secret(`${url}/${db}`) };
}

async function database(db: number): Promise<Admin> {
  const c = newClient(`${url}/${db}`);
  c.on("error", () => {});
  await c.connect();
  await c.flushDb();
  clients.push(c);
  return c;
}

/** Waits (polling, at most 10 s) until `done()`; the test's expectations then say what happened. */
async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000 && !(await done()); i++) await new Promise((r) => setTimeout(r, 10));
}

interface Seen {
  readonly id: string;
  readonly timestamp: number;
}

/** Records each entry's id and timestamp as it passes. */
function record(pc: PCollection<RedisStreamEntry>, sink: Seen[], name = "Record"): PCollection<RedisStreamEntry> {
  return pc.apply(
    name,
    parDo<RedisStreamEntry, RedisStreamEntry>({
      process(e, ctx) {
        sink.push({ id: e.id, timestamp: ctx.timestamp });
        ctx.output(e);
      },
    }),
  );
}

/** XPENDING's count of entries delivered and not acknowledged. */
async function pendingCount(db: Admin, stream: string, group: string): Promise<number> {
  return (await db.xPending(stream, group)).pending;
}

describe("readFromRedisStream options", () => {
  it("rejects a startId that is neither $, 0 nor an entry id, when the pipeline is built", () => {
    expect(() => readFromRedisStream({ connection: { host: "localhost" }, stream: "s", group: "g", startId: "latest" })).toThrow(ConstructionError);
    expect(() => readFromRedisStream({ connection: { host: "localhost" }, stream: "s", group: "g", batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe.skipIf(url === "")("readFromRedisStream on a real redis-server", () => {
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it("delivers entries added before and while the job runs once each, timestamped by their ids, and acknowledges them all", async () => {
    const db = await database(12);
    for (const id of ["1000-0", "2000-0", "3000-0"]) await db.xAdd("events", id, { n: id });
    const seen: Seen[] = [];
    const fields: Record<string, string>[] = [];
    const p = new Pipeline({ runner: "embedded" });
    record(p.apply(readFromRedisStream({ connection: connection(12), stream: "events", group: "g", startId: "0", maxRecords: 5, blockMs: 20 })), seen).apply(
      "Fields",
      map((e: RedisStreamEntry) => void fields.push({ ...e.fields })),
    );
    const result = p.run();
    await waitFor(() => seen.length >= 3);
    await db.xAdd("events", "4000-0", { n: "4000-0" });
    await db.xAdd("events", "5000-7", { n: "5000-7" });
    await result.waitUntilFinish();
    expect(seen).toEqual([
      { id: "1000-0", timestamp: 1000 },
      { id: "2000-0", timestamp: 2000 },
      { id: "3000-0", timestamp: 3000 },
      { id: "4000-0", timestamp: 4000 },
      { id: "5000-7", timestamp: 5000 },
    ]);
    expect(fields.map((f) => f["n"])).toEqual(["1000-0", "2000-0", "3000-0", "4000-0", "5000-7"]);
    expect(await pendingCount(db, "events", "g")).toBe(0);
    const [info] = await db.xInfoGroups("events");
    expect(info).toMatchObject({ name: "g", pending: 0, "last-delivered-id": "5000-7" });
  });

  it("does not acknowledge the entries of a failed bundle and delivers them again on its retry (at-least-once)", async () => {
    const db = await database(13);
    for (const id of ["1000-0", "2000-0", "3000-0"]) await db.xAdd("events", id, { v: "x" });
    const seen: Seen[] = [];
    const after: Seen[] = [];
    let failed = false;
    const p = new Pipeline({ runner: "embedded" });
    const read = record(p.apply(readFromRedisStream({ connection: connection(13), stream: "events", group: "g", startId: "0", maxRecords: 3, blockMs: 20 })), seen);
    const passed = read.apply(
      "FailOnce",
      map((e: RedisStreamEntry) => {
        if (e.id === "2000-0" && !failed) {
          failed = true;
          throw new Error("downstream failure, once");
        }
        return e;
      }),
    );
    record(passed, after, "After");
    await p.run().waitUntilFinish();
    // The first attempt emitted 1000-0 and 2000-0, then failed: nothing was acknowledged,
    // so the retry read all three again from the consumer's pending entries.
    expect(seen.map((s) => s.id)).toEqual(["1000-0", "2000-0", "1000-0", "2000-0", "3000-0"]);
    expect(after.slice(-3).map((s) => s.id)).toEqual(["1000-0", "2000-0", "3000-0"]);
    expect(await pendingCount(db, "events", "g")).toBe(0);
  });

  it("first re-reads the consumer's own pending entries, left unacknowledged by a job that crashed", async () => {
    const db = await database(14);
    await db.sendCommand(["XGROUP", "CREATE", "events", "g", "0", "MKSTREAM"]);
    for (const id of ["1000-0", "2000-0"]) await db.xAdd("events", id, { v: "x" });
    // The crashed job's read: delivered to consumer "c1", never acknowledged.
    await db.sendCommand(["XREADGROUP", "GROUP", "g", "c1", "COUNT", "10", "STREAMS", "events", ">"]);
    await db.xAdd("events", "3000-0", { v: "x" });
    expect(await pendingCount(db, "events", "g")).toBe(2);
    const seen: Seen[] = [];
    const p = new Pipeline({ runner: "embedded" });
    record(p.apply(readFromRedisStream({ connection: connection(14), stream: "events", group: "g", consumer: "c1", maxRecords: 3, blockMs: 20 })), seen);
    await p.run().waitUntilFinish();
    expect(seen.map((s) => s.id)).toEqual(["1000-0", "2000-0", "3000-0"]);
    expect(await pendingCount(db, "events", "g")).toBe(0);
  });

  it("moves the watermark to the server's time when the stream is idle, so windows fire while the read goes on; drain ends it", async () => {
    const db = await database(15);
    for (const id of ["1000-0", "2000-0"]) await db.xAdd("events", id, { v: "x" });
    const panes: KV<string, number>[] = [];
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readFromRedisStream({ connection: connection(15), stream: "events", group: "g", startId: "0", blockMs: 20 }))
      .apply(windowInto(fixedWindows(60_000)))
      .apply(map((e: RedisStreamEntry) => kv(e.stream, 1)))
      .apply(groupByKey<string, number>())
      .apply(map((g: KV<string, Iterable<number>>) => void panes.push(kv(g.key, [...g.value].length))));
    const result = p.run();
    await waitFor(() => panes.length > 0);
    // The window [0, 60 s) fired before the drain: the watermark moved past it while idle.
    expect(panes).toEqual([kv("events", 2)]);
    expect(await result.drain()).toBe("DRAINED");
    expect(await pendingCount(db, "events", "g")).toBe(0);
  });

  it("fails at once when the stream's key holds another type", async () => {
    const db = await database(14);
    await db.set("plain", "x");
    const p = new Pipeline({ runner: "embedded" });
    p.apply(readFromRedisStream({ connection: connection(14), stream: "plain", group: "g", maxRecords: 1 }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/not a stream.*failed once/s);
  });

  it("ends a read after maxReadTimeMs, and a cancel closes its connection", async () => {
    const db = await database(15);
    const p = new Pipeline({ runner: "embedded" });
    p.apply("Timed", readFromRedisStream({ connection: connection(15), stream: "quiet", group: "g", blockMs: 10, maxReadTimeMs: 50 }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");

    const q = new Pipeline({ runner: "embedded" });
    q.apply("Forever", readFromRedisStream({ connection: connection(15), stream: "quiet", group: "g2", blockMs: 10 }));
    const result = q.run();
    const clientList = async () => String(await db.sendCommand(["CLIENT", "LIST"]));
    await waitFor(async () => (await clientList()).includes("name=beam-ts:Forever/Read"));
    expect(await clientList()).toContain("name=beam-ts:Forever/Read");
    await result.cancel();
    await waitFor(async () => !(await clientList()).includes("name=beam-ts:Forever/Read"));
    expect(await clientList()).not.toContain("name=beam-ts:Forever/Read");
  });
});
