/**
 * TLS of the connectors (issue #20, "For all"): a throwaway CA and a server certificate for
 * 127.0.0.1 are made with `openssl` at test time, each test starts its OWN server with TLS
 * on (tools/servers/*.mjs), and checks that a job round-trips through the connector's TLS
 * options with that CA, that a job trusting another CA is refused with an error naming the
 * address and the fix, and that no secret (password, key) shows in that error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, Secret, create, kv, parDo } from "../../src/index.js";
import { readFromPostgres, writeToPostgres, type PostgresConnection, type PostgresRow } from "../../src/io/postgres/index.js";
import { readFromRedis, writeToRedis, type RedisConnection } from "../../src/io/redis/index.js";
import { readFromNats, writeToNats, type NatsConnection, type NatsMessage } from "../../src/io/nats/index.js";
import { startPostgres } from "../../tools/servers/postgres.mjs";
import { startRedis } from "../../tools/servers/redis.mjs";
import { startNats } from "../../tools/servers/nats.mjs";
import { failureOf, fullText, makeCertificates, type Certificates } from "./tls-certificates.js";

const servers = new Set((process.env.BEAM_TS_TLS_SERVERS ?? "postgres,redis,nats").split(",").map((s) => s.trim()));

let certs: Certificates;
beforeAll(() => {
  certs = makeCertificates(mkdtempSync(join(tmpdir(), "beam-ts-tls-")));
});
afterAll(() => {
  rmSync(certs.dir, { recursive: true, force: true });
});

describe.skipIf(!servers.has("postgres"))("PostgreSQL over TLS", () => {
  it("writes and reads back through connection.ssl with the CA, and refuses a server signed by another CA naming the address and the fix", async () => {
    const server = await startPostgres({ ssl: { certFile: certs.certFile, keyFile: certs.keyFile } });
    try {
      const base = { host: server.host, port: server.port, database: server.database, user: server.user, password: new Secret(server.password) };
      const trusted: PostgresConnection = { ...base, ssl: { ca: certs.ca, rejectUnauthorized: true } };
      const w = new Pipeline({ runner: "embedded" });
      const rows = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `n${i}` }));
      w.apply(create(rows)).apply(writeToPostgres({ connection: trusted, table: "tls_rows", columns: ["id", "name"] }));
      // The table first, over TLS too: a statement-per-element write would need it anyway.
      const { default: pg } = await import("pg");
      const admin = new pg.Client({ ...base, password: server.password, ssl: { ca: certs.ca } });
      await admin.connect();
      const { rows: ssl } = await admin.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      await admin.query("CREATE TABLE tls_rows (id integer PRIMARY KEY, name text)");
      await admin.end();
      expect(ssl[0]?.ssl).toBe(true);
      expect(await w.run().waitUntilFinish()).toBe("DONE");

      const got: PostgresRow[] = [];
      const r = new Pipeline({ runner: "embedded" });
      r.apply(readFromPostgres({ connection: trusted, query: "SELECT t.id, t.name, s.ssl FROM tls_rows t, pg_stat_ssl s WHERE s.pid = pg_backend_pid()" })).apply(
        parDo<PostgresRow, never>({
          process(row) {
            got.push(row);
          },
        }),
      );
      expect(await r.run().waitUntilFinish()).toBe("DONE");
      expect(got.map((g) => g["id"]).sort((a, b) => Number(a) - Number(b))).toEqual(rows.map((x) => x.id));
      // Every row was read on a TLS session.
      expect(got.every((g) => g["ssl"] === true)).toBe(true);

      const wrong = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      wrong.apply(readFromPostgres({ connection: { ...base, ssl: { ca: certs.otherCa, key: new Secret(certs.key) } }, table: "tls_rows" }));
      const text = fullText(await failureOf(wrong.run()));
      expect(text).toMatch(new RegExp(`cannot connect to PostgreSQL at postgresql://postgres@127\\.0\\.0\\.1:${server.port}/postgres: .*certificate.*connection\\.ssl\\.ca`));
      expect(text).not.toContain(server.password);
      expect(text).not.toContain("PRIVATE KEY");
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!servers.has("redis"))("Redis over TLS", () => {
  it("writes and reads back through connection.tls with the CA, and refuses a server signed by another CA naming the address and the fix", async () => {
    const server = await startRedis({ tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile } });
    try {
      const base = { host: server.host, port: server.port, password: new Secret(server.password) };
      const trusted: RedisConnection = { ...base, tls: { ca: certs.ca, rejectUnauthorized: true } };
      const w = new Pipeline({ runner: "embedded" });
      w.apply(create(Array.from({ length: 20 }, (_, i) => kv(`tls:${i}`, `v${i}`)))).apply(writeToRedis({ connection: trusted, command: "set" }));
      expect(await w.run().waitUntilFinish()).toBe("DONE");

      const got: string[] = [];
      const r = new Pipeline({ runner: "embedded" });
      r.apply(readFromRedis({ connection: trusted, keyPattern: "tls:*" })).apply(
        parDo<{ key: string; value: string }, never>({
          process(e) {
            got.push(`${e.key}=${e.value}`);
          },
        }),
      );
      expect(await r.run().waitUntilFinish()).toBe("DONE");
      expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `tls:${i}=v${i}`).sort());

      // The server only speaks TLS: a plaintext connection is not answered as Redis.
      const plain = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      plain.apply(create([kv("k", "v")])).apply(writeToRedis({ connection: { ...base, connectTimeout: 1000 }, command: "set" }));
      expect(fullText(await failureOf(plain.run()))).toMatch(new RegExp(`cannot connect to Redis at redis://:\\*\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0`));

      const wrong = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      wrong.apply(create([kv("k", "v")])).apply(writeToRedis({ connection: { ...base, tls: { ca: certs.otherCa, key: new Secret(certs.key) } }, command: "set" }));
      const text = fullText(await failureOf(wrong.run()));
      expect(text).toMatch(new RegExp(`cannot connect to Redis at rediss://:\\*\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: the server's TLS certificate was not accepted .*connection\\.tls\\.ca`));
      expect(text).not.toContain(server.password);
      expect(text).not.toContain("PRIVATE KEY");
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!servers.has("nats"))("NATS over TLS", () => {
  it("publishes and reads back through connection.tls with the CA, and refuses a server signed by another CA naming the address and the fix", async () => {
    const server = await startNats({ tls: { certFile: certs.certFile, keyFile: certs.keyFile } });
    try {
      const base = { servers: server.url, user: server.user, password: new Secret(server.password) };
      const trusted: NatsConnection = { ...base, tls: { ca: certs.ca } };
      const { connect } = await import("@nats-io/transport-node");
      const { jetstreamManager } = await import("@nats-io/jetstream");
      const nc = await connect({ servers: server.url, user: server.user, pass: server.password, tls: { ca: certs.ca } });
      await (await jetstreamManager(nc)).streams.add({ name: "TLS", subjects: ["tls"] });
      await nc.close();
      const w = new Pipeline({ runner: "embedded" });
      w.apply(create(Array.from({ length: 20 }, (_, i) => `m${i}`))).apply(writeToNats({ connection: trusted, subject: "tls" }));
      expect(await w.run().waitUntilFinish()).toBe("DONE");

      const got: string[] = [];
      const r = new Pipeline({ runner: "embedded" });
      r.apply(readFromNats({ connection: trusted, stream: "TLS", durable: "tls", blockMs: 50, maxRecords: 20 })).apply(
        parDo<NatsMessage, never>({
          process(m) {
            got.push(new TextDecoder().decode(m.data));
          },
        }),
      );
      expect(await r.run().waitUntilFinish()).toBe("DONE");
      expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());

      const wrong = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      wrong.apply(create(["x"])).apply(writeToNats({ connection: { ...base, tls: { ca: certs.otherCa, key: new Secret(certs.key) } }, subject: "tls" }));
      const text = fullText(await failureOf(wrong.run()));
      expect(text).toMatch(new RegExp(`cannot connect to NATS at tls://127\\.0\\.0\\.1:${server.port}: the server's TLS certificate was not accepted .*connection\\.tls\\.ca`));
      expect(text).not.toContain(server.password);
      expect(text).not.toContain("PRIVATE KEY");
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!servers.has("rabbitmq") && process.env.BEAM_TS_TLS_SERVERS !== undefined)("RabbitMQ over TLS", () => {
  it("publishes and reads back over amqps:// with connection.tls.ca, and refuses a broker signed by another CA naming the address and the fix", async () => {
    // Imported here, not at the top: this block is the RabbitMQ part of the file, kept to itself.
    const { readFromRabbitMq, writeToRabbitMq } = await import("../../src/io/rabbitmq/index.js");
    const { startRabbitMq } = await import("../../tools/servers/rabbitmq.mjs");
    const { default: amqp } = await import("amqplib");
    const server = await startRabbitMq({ tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile } });
    try {
      const tlsUrl = server.tlsUrl!;
      // The queue first, over TLS too; the socket of an amqps connection is a TLSSocket.
      const admin = await amqp.connect(tlsUrl, { ca: [certs.ca] });
      const ch = await admin.createChannel();
      await ch.assertQueue("tls", { durable: true });
      await admin.close();

      const trusted = { url: new Secret(tlsUrl), tls: { ca: certs.ca, rejectUnauthorized: true } };
      const w = new Pipeline({ runner: "embedded" });
      w.apply(create(Array.from({ length: 20 }, (_, i) => `m${i}`))).apply(writeToRabbitMq({ connection: trusted, exchange: "", routingKey: "tls" }));
      expect(await w.run().waitUntilFinish()).toBe("DONE");

      const got: string[] = [];
      const r = new Pipeline({ runner: "embedded" });
      r.apply(readFromRabbitMq({ connection: trusted, queue: "tls", blockMs: 50, maxRecords: 20 })).apply(
        parDo<{ body: Uint8Array }, never>({
          process(m) {
            got.push(new TextDecoder().decode(m.body));
          },
        }),
      );
      expect(await r.run().waitUntilFinish()).toBe("DONE");
      expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());

      const wrong = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      wrong.apply(create(["x"])).apply(writeToRabbitMq({ connection: { url: new Secret(tlsUrl), tls: { ca: certs.otherCa, key: new Secret(certs.key) } }, exchange: "", routingKey: "tls" }));
      const text = fullText(await failureOf(wrong.run()));
      expect(text).toMatch(new RegExp(`cannot connect to RabbitMQ at amqps://beam:\\*\\*\\*\\*@127\\.0\\.0\\.1:${server.tlsPort!}/: the broker's TLS certificate was not accepted .*connection\\.tls\\.ca`));
      expect(text).not.toContain(server.password);
      expect(text).not.toContain("PRIVATE KEY");
    } finally {
      await server.stop();
    }
  }, 120_000);
});
