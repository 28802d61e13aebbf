/**
 * The Redis connector against a real redis-server (tools/servers/redis.mjs, started once per
 * run by test/job-services-setup.ts; BEAM_TS_SERVERS without "redis" skips this file). Each
 * test uses a database of its own, emptied first.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, Secret, create, kv, map, parDo, type BadRecord, type KV, type PCollection } from "../../src/index.js";
import {
  REDIS_RECONNECTS_METRIC,
  REDIS_SKIPPED_KEYS_METRIC,
  readFromRedis,
  readFromRedisKeyPatterns,
  writeToRedis,
  type RedisConnection,
} from "../../src/io/redis/index.js";
import { dropRepeatedKeys } from "../../src/io/redis/read-from-redis.js";
import { REDIS_TEST_PASSWORD, startRedis } from "../../tools/servers/redis.mjs";

const url = inject("redisUrl");
const newClient = (at: string) => createClient({ url: at });
type Admin = ReturnType<typeof newClient>;
let admin: Admin;

/** The test server's database `db` (its URL holds the password: a Secret). */
function connection(db: number): RedisConnection {
  return { url: new Secret(`${url}/${db}`) };
}

/** A client on database `db`, emptied. */
async function database(db: number): Promise<Admin> {
  const c = newClient(`${url}/${db}`);
  c.on("error", () => {});
  await c.connect();
  await c.flushDb();
  clients.push(c);
  return c;
}
const clients: Admin[] = [];

async function run(build: (p: Pipeline) => void, options: Record<string, unknown> = {}) {
  const p = new Pipeline({ runner: "embedded", ...options });
  build(p);
  const result = p.run();
  await result.waitUntilFinish();
  return result;
}

function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("Redis IO without a server", () => {
  it("keeps one KV per key of a scan that returned a key twice", async () => {
    const out: KV<string, string>[] = [];
    await run((p) => collect(p.apply(create([kv("a", "1"), kv("b", "2"), kv("a", "1")])).apply(dropRepeatedKeys()), out));
    expect(out.sort((x, y) => x.key.localeCompare(y.key))).toEqual([kv("a", "1"), kv("b", "2")]);
  });
});

describe.skipIf(url === "")("Redis IO on a real redis-server", () => {
  beforeAll(async () => {
    admin = await database(0);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it("writes with SET (with a TTL), APPEND, LPUSH, RPUSH, SADD, PFADD, INCRBY, DECRBY, HSET and XADD (trimmed)", async () => {
    const db = await database(1);
    const conn = connection(1);
    await run((p) => {
      const strings = (name: string, pairs: [string, string][]) => p.apply(`Create${name}`, create(pairs.map(([k, v]) => kv(k, v))));
      strings("Set", [["s:1", "one"], ["s:2", "two"]]).apply("Set", writeToRedis({ connection: conn, command: "set", ttl: 60_000 }));
      strings("Append", [["a", "x"], ["a", "y"], ["a", "z"]]).apply("Append", writeToRedis({ connection: conn, command: "append" }));
      strings("Push", [["l", "1"], ["l", "2"]]).apply("LPush", writeToRedis({ connection: conn, command: "lpush" }));
      strings("RPush", [["r", "1"], ["r", "2"]]).apply("RPush", writeToRedis({ connection: conn, command: "rpush" }));
      strings("SAdd", [["set", "a"], ["set", "b"], ["set", "a"]]).apply("SAdd", writeToRedis({ connection: conn, command: "sadd" }));
      p.apply("CreateVisits", create(Array.from({ length: 300 }, (_, i) => kv("visitors", `user-${i % 100}`))))
        .apply("PfAdd", writeToRedis({ connection: conn, command: "pfadd", batchSize: 64 }));
      p.apply("CreateCounts", create([kv("n", 5), kv("n", 7), kv("big", 2n ** 62n)]))
        .apply("IncrBy", writeToRedis({ connection: conn, command: "incrby" }));
      p.apply("CreateDecrements", create([kv("d", 3)])).apply("DecrBy", writeToRedis({ connection: conn, command: "decrby" }));
      p.apply("CreateHashes", create([kv("h:1", { name: "Ada", lang: "en" }), kv("h:1", { city: "London" })]))
        .apply("HSet", writeToRedis({ connection: conn, command: "hset" }));
      p.apply("CreateEvents", create(Array.from({ length: 10 }, (_, i) => kv("events", { n: String(i) }))))
        .apply("XAdd", writeToRedis({ connection: conn, command: "xadd", maxLen: 4, approximateTrim: false, batchSize: 3 }));
    });
    expect(await db.mGet(["s:1", "s:2"])).toEqual(["one", "two"]);
    const ttl = await db.pTTL("s:1");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await db.pTTL("a")).toBe(-1);
    expect(await db.get("a")).toBe("xyz");
    expect(await db.lRange("l", 0, -1)).toEqual(["2", "1"]);
    expect(await db.lRange("r", 0, -1)).toEqual(["1", "2"]);
    expect((await db.sMembers("set")).sort()).toEqual(["a", "b"]);
    // HyperLogLog counts are estimates (0.81% standard error): 100 distinct of 300 added.
    expect(Math.abs((await db.pfCount("visitors")) - 100)).toBeLessThanOrEqual(3);
    expect(await db.get("n")).toBe("12");
    expect(await db.get("big")).toBe(String(2n ** 62n));
    expect(await db.get("d")).toBe("-3");
    expect(await db.hGetAll("h:1")).toEqual({ name: "Ada", lang: "en", city: "London" });
    const events = await db.xRange("events", "-", "+");
    expect(events!.map((e) => e.message)).toEqual([{ n: "6" }, { n: "7" }, { n: "8" }, { n: "9" }]);
  });

  it("keeps the order of a bundle's elements across many batches in flight (RPUSH of 2000 elements in batches of 10)", async () => {
    const db = await database(11);
    const n = 2000;
    await run((p) => {
      p.apply(create(Array.from({ length: n }, (_, i) => kv("ordered", String(i))))).apply(writeToRedis({ connection: connection(11), command: "rpush", batchSize: 10 }));
    });
    expect(await db.lRange("ordered", 0, -1)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it("expires every key written with a TTL, also for commands other than SET (a PEXPIRE after each)", async () => {
    const db = await database(2);
    await run((p) => {
      p.apply(create([kv("h", { f: "v" })])).apply(writeToRedis({ connection: connection(2), command: "hset", ttl: 30_000 }));
    });
    const ttl = await db.pTTL("h");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it("writes any element type with keyFn and valueFn, connecting with host, port and a Secret password", async () => {
    const db = await database(3);
    const { port } = new URL(url);
    interface User {
      id: number;
      name: string;
    }
    await run((p) => {
      p.apply(create<User>([{ id: 1, name: "Ada" }, { id: 2, name: "Grace" }])).apply(
        writeToRedis({
          connection: { host: "127.0.0.1", port: Number(port), password: new Secret(REDIS_TEST_PASSWORD), db: 3 },
          command: "hset",
          keyFn: (u: User) => `user:${u.id}`,
          valueFn: (u: User) => ({ name: u.name }),
        }),
      );
    });
    expect(await db.hGetAll("user:1")).toEqual({ name: "Ada" });
    expect(await db.hGetAll("user:2")).toEqual({ name: "Grace" });
  });

  it("reads every string key matching a pattern in more than one SCAN batch, skipping and counting keys of other types", async () => {
    const db = await database(4);
    const n = 2500;
    for (let i = 0; i < n; i += 500) {
      const m = db.multi();
      for (let j = i; j < i + 500; j++) m.set(`k:${j}`, `v${j}`);
      await m.exec();
    }
    await db.set("other:1", "not matched");
    await db.hSet("k:hash", { f: "v" });
    await db.rPush("k:list", "x");
    await db.xAdd("k:stream", "*", { f: "v" });
    const scansBefore = await scanCalls();
    const out: KV<string, string>[] = [];
    const result = await run((p) => {
      collect(p.apply(readFromRedis({ connection: connection(4), keyPattern: "k:*", batchSize: 100 })), out);
    });
    expect(out.length).toBe(n);
    const byKey = new Map(out.map((e) => [e.key, e.value]));
    expect(byKey.size).toBe(n);
    for (let j = 0; j < n; j += 97) expect(byKey.get(`k:${j}`)).toBe(`v${j}`);
    // About n / 100 SCAN calls, never one that returns everything.
    expect((await scanCalls()) - scansBefore).toBeGreaterThan(10);
    const skipped = result.metrics().queryMetrics(REDIS_SKIPPED_KEYS_METRIC).counters;
    expect(skipped.map((c) => [c.step, c.committed])).toEqual([["ReadFromRedis/ReadKeyPatterns/Scan", 3]]);
    // Lineage names the server, database 4 and the pattern; never the url Secret itself.
    expect(result.lineage?.().sources).toEqual([expect.stringMatching(/^redis:`[^`@]+:\d+`\.4\.`k:\*`$/)]);
  });

  it("reads the keys of each pattern of a PCollection (readKeyPatterns), each key once", async () => {
    const db = await database(5);
    await db.mSet({ "a:1": "1", "a:2": "2", "b:1": "3", "c:1": "4" });
    const out: KV<string, string>[] = [];
    await run((p) => {
      collect(p.apply(create(["a:*", "b:*", "a:1"])).apply(readFromRedisKeyPatterns({ connection: connection(5) })), out);
    });
    expect(out.map((e) => `${e.key}=${e.value}`).sort()).toEqual(["a:1=1", "a:2=2", "b:1=3"]);
  });

  it("at-least-once: a retried bundle applies its already written batches again (SET ends the same, INCRBY counts them twice)", async () => {
    const db = await database(6);
    let attempts = 0;
    await run((p) => {
      const elements = p.apply(create(["e0", "e1", "e2", "e3", "e4"])).apply(
        "FailOnceAtLast",
        map((e: string) => {
          // The 5th element fails the first attempt after 2 full batches (4 elements) were written.
          if (e === "e4" && attempts++ === 0) throw new Error("socket hang up");
          return e;
        }),
      );
      elements.apply("Count", writeToRedis({ connection: connection(6), command: "incrby", batchSize: 2, keyFn: () => "count", valueFn: () => 1 }));
      elements.apply("Set", writeToRedis({ connection: connection(6), command: "set", batchSize: 2, keyFn: (e: string) => e, valueFn: (e: string) => e.toUpperCase() }));
    });
    expect(attempts).toBe(2);
    expect(await db.get("count")).toBe("9");
    expect(await db.mGet(["e0", "e1", "e2", "e3", "e4"])).toEqual(["E0", "E1", "E2", "E3", "E4"]);
  });

  it("reconnects with backoff when the connection is lost while writing, counts it in a metric, and loses nothing", async () => {
    const db = await database(7);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const result = await run((p) => {
      p.apply(create(keys))
        .apply(
          "KillConnections",
          parDo<string, string>({
            async process(k, ctx) {
              if (k === "k10") {
                // The server drops the writer's connection (CLIENT KILL skips our own); wait
                // until the writer is connected again before going on.
                const killed = (await admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal"])) as number;
                expect(killed).toBeGreaterThan(0);
                for (let i = 0; i < 500 && !(await clientNames()).some((n) => n.includes("KillWrite")); i++) await new Promise((r) => setTimeout(r, 10));
              }
              ctx.output(k);
            },
          }, { maxConcurrency: 1 }),
        )
        .apply("KillWrite", writeToRedis({ connection: connection(7), command: "set", batchSize: 5, keyFn: (k: string) => k, valueFn: (k: string) => `v-${k}` }));
    });
    expect(await db.mGet(keys)).toEqual(keys.map((k) => `v-${k}`));
    const reconnects = result.metrics().queryMetrics(REDIS_RECONNECTS_METRIC).counters;
    expect(reconnects.map((c) => c.step)).toEqual(["KillWrite/Write"]);
    expect(reconnects[0]!.attempted).toBeGreaterThanOrEqual(1);
  });

  it("with exception handling, a connection lost for good fails and retries the bundle instead of making dead letters", async () => {
    const db = await database(10);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const failures: BadRecord[] = [];
    let killed = false;
    await run((p) => {
      const { failures: bad } = p
        .apply(create(keys))
        .apply(
          "KillOnce",
          parDo<string, string>({
            async process(k, ctx) {
              if (k === "k10" && !killed) {
                killed = true;
                await admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal"]);
              }
              ctx.output(k);
            },
          }, { maxConcurrency: 1 }),
        )
        .apply(
          "GiveUp",
          writeToRedis({
            connection: { ...connection(10), maxReconnectAttempts: 0 },
            command: "set",
            batchSize: 5,
            keyFn: (k: string) => k,
            valueFn: (k: string) => `v-${k}`,
          }).withExceptionHandling(),
        );
      collect(bad, failures);
    });
    expect(killed).toBe(true);
    expect(failures).toEqual([]);
    expect(await db.mGet(keys)).toEqual(keys.map((k) => `v-${k}`));
  });

  it("connects with TLS, trusting a given CA; a plain connection to a TLS-only server fails with the TLS hint", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "beam-ts-redis-tls-"));
    const certFile = path.join(dir, "cert.pem");
    const keyFile = path.join(dir, "key.pem");
    // A self-signed certificate for 127.0.0.1, its own CA.
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
    const server = await startRedis({ tls: { certFile, keyFile, caFile: certFile } });
    try {
      const tls = { host: "127.0.0.1", port: server.port, password: new Secret(REDIS_TEST_PASSWORD) };
      const out: KV<string, string>[] = [];
      await run((p) => {
        p.apply(create([kv("secure", "yes")])).apply(writeToRedis({ connection: { ...tls, tls: { ca: readFileSync(certFile, "utf8") } }, command: "set" }));
      });
      await run((p) => collect(p.apply(readFromRedis({ connection: { url: new Secret(server.url), tls: { ca: readFileSync(certFile) } } })), out));
      expect(out).toEqual([kv("secure", "yes")]);
      const plain = await run((p) => p.apply(readFromRedis({ connection: { ...tls, connectRetries: 0 } })), { maxBundleRetries: 0 }).then(
        () => "",
        (e: Error) => e.message,
      );
      expect(plain).toContain(`cannot connect to Redis at redis://:****@127.0.0.1:${server.port}/0`);
      expect(plain).toContain("a TLS-only server needs tls: true or rediss://");
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails at start with the server's address and a hint when no server listens there, never printing the password", async () => {
    const port = await closedPort();
    const failure = run(
      (p) => {
        p.apply(create([kv("k", "v")])).apply(writeToRedis({ connection: { url: new Secret(`redis://:hunter2@127.0.0.1:${port}/0`), connectRetries: 1 }, command: "set" }));
      },
      { maxBundleRetries: 0 },
    );
    await expect(failure).rejects.toThrow(`cannot connect to Redis at redis://:****@127.0.0.1:${port}/0 (2 attempts)`);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toContain("WriteToRedis/Write");
    expect(message).toContain("ECONNREFUSED");
    expect(message).toContain(`redis-cli -h 127.0.0.1 -p ${port} ping`);
    expect(message).not.toContain("hunter2");
  });

  it("fails at once, not retried, when the server refuses the password, without printing it", async () => {
    const { port } = new URL(url);
    const failure = run((p) => {
      p.apply(create(["x"])).apply(readFromRedisKeyPatterns({ connection: { port: Number(port), password: new Secret("wrong-secret") } }));
    });
    const message = await failure.then(
      () => "",
      (e: Error) => e.message,
    );
    expect(message).toContain(`cannot log in to Redis at redis://:****@127.0.0.1:${port}/0`);
    expect(message).toContain("WRONGPASS");
    expect(message).toContain("failed once");
    expect(message).not.toContain("wrong-secret");
  });

  it("sends elements Redis rejects and elements it cannot write to the failures output, and writes the rest", async () => {
    const db = await database(8);
    await db.set("taken", "a string");
    const failures: BadRecord[] = [];
    await run((p) => {
      const { failures: bad } = p
        .apply(create([kv("fine", { a: "1" }), kv("taken", { a: "2" }), kv("empty", {}), kv("fine", { b: "3" })]))
        .apply("Hashes", writeToRedis({ connection: connection(8), command: "hset", batchSize: 10 }).withExceptionHandling());
      collect(bad, failures);
    });
    expect(await db.hGetAll("fine")).toEqual({ a: "1", b: "3" });
    expect(await db.get("taken")).toBe("a string");
    expect(await db.exists("empty")).toBe(0);
    const byKey = Object.fromEntries(failures.map((f) => [f.element.preview.includes("taken") ? "taken" : "empty", f]));
    expect(Object.keys(byKey).sort()).toEqual(["empty", "taken"]);
    expect(byKey["taken"]!.error.message).toMatch(/^WRONGTYPE/);
    expect(byKey["taken"]!.error.description).toBe('Redis rejected HSET for key "taken"');
    expect(byKey["empty"]!.error.message).toContain("HSET needs at least one field");
    // Both kinds name the same step, the ParDo inside the write.
    expect(new Set(failures.map((f) => f.step))).toEqual(new Set(["Hashes/Write/ParDo(RedisWriteFn)"]));
    expect(byKey["taken"]!.element.encoded).toBeInstanceOf(Uint8Array);
  });

  it("without exception handling, an element Redis rejects fails the job, naming the step, the element and the fix, not retried", async () => {
    const db = await database(9);
    await db.hSet("taken", { f: "v" });
    const failure = run((p) => {
      p.apply(create([kv("ok", 1), kv("taken", 2)])).apply("Count", writeToRedis({ connection: connection(9), command: "incrby" }));
    });
    const message = await failure.then(
      () => "",
      (e: Error) => e.message,
    );
    expect(message).toContain('"Count/Write": Redis rejected INCRBY for key "taken"');
    expect(message).toContain("WRONGTYPE");
    expect(message).toContain("withExceptionHandling()");
    expect(message).toContain("failed once");
    expect(await db.get("ok")).toBe("1");
  });
});

async function scanCalls(): Promise<number> {
  const info = await admin.info("commandstats");
  const m = /cmdstat_scan:calls=(\d+)/.exec(info);
  return m === null ? 0 : Number(m[1]);
}

async function clientNames(): Promise<string[]> {
  const list = await admin.clientList();
  return list.map((c) => c.name ?? "");
}
