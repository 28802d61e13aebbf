/**
 * Servers that go away while a job runs (issue #20, "For all"): each test starts its OWN
 * server (tools/servers/*.mjs, a temporary folder; the shared servers of other tests are
 * not touched), runs a job against it, stops the server by its PID mid-run, starts it
 * again on the same port and folder a moment later, and checks that the job did not fail,
 * that a metric counts the reconnects or retries, and that the output has every element,
 * none twice beyond the connector's documented guarantee (docs/IO.md).
 *
 * The outage itself takes real time (a server is down for about a second): that is the
 * point of the test, so the job is paced by generateSequence's rate (the runner's clock),
 * and the test waits for the job's own progress, never for a fixed time, before it stops
 * the server.
 */
import pg from "pg";
import { createClient } from "redis";
import amqp from "amqplib";
import { Admin } from "@platformatic/kafka";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { PubSub } from "@google-cloud/pubsub";
import { describe, expect, it } from "vitest";
import { Pipeline, Secret, generateSequence, kv, map, parDo, type PipelineResult } from "../../src/index.js";
import { POSTGRES_RECONNECTS_METRIC, POSTGRES_RETRIES_METRIC, writeToPostgres } from "../../src/io/postgres/index.js";
import { REDIS_RECONNECTS_METRIC, readFromRedisStream, writeToRedis, type RedisStreamEntry } from "../../src/io/redis/index.js";
import { RedisSession, resolveRedisConnection } from "../../src/io/redis/redis-connection.js";
import { NATS_RECONNECTS_METRIC, readFromNats, writeToNats, type NatsMessage } from "../../src/io/nats/index.js";
import { KAFKA_RECONNECTS_METRIC, KAFKA_RETRIES_METRIC, readFromKafka, writeToKafka, type KafkaRecord } from "../../src/io/kafka/index.js";
import { RABBITMQ_RECONNECTS_METRIC, RABBITMQ_RETRIES_METRIC, readFromRabbitMq, writeToRabbitMq, type RabbitMqMessage } from "../../src/io/rabbitmq/index.js";
import { startPostgres } from "../../tools/servers/postgres.mjs";
import { startRedis } from "../../tools/servers/redis.mjs";
import { startNats } from "../../tools/servers/nats.mjs";
import { startRabbitMq } from "../../tools/servers/rabbitmq.mjs";
import { startKafka } from "../../tools/servers/kafka.mjs";
import { PUBSUB_RECONNECTS_METRIC, PUBSUB_RETRIES_METRIC, readFromPubSub, writeToPubSub, type PubSubMessage } from "../../src/io/pubsub/index.js";
import { startPubSub } from "../../tools/servers/pubsub.mjs";
import { freePort } from "../../tools/runners/job-services.mjs";

const servers = new Set((process.env.BEAM_TS_OUTAGE_SERVERS ?? "postgres,redis,nats,rabbitmq,kafka,pubsub").split(",").map((s) => s.trim()));

/** A server of tools/servers that can be killed and started again on the same port and folder. */
interface Restartable {
  readonly pid: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

/** Waits (polling every 20 ms, at most 30 s) until `done()`; the expectations after it say what happened. */
async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500 && !(await done()); i++) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Stops `server` by its PID with `signal` once `ready()` says the job is in full flow, keeps
 * it down for `downMs` (real time: an outage lasts), and starts it again.
 */
async function outage(server: Restartable, ready: () => boolean | Promise<boolean>, signal: NodeJS.Signals, downMs = 1500): Promise<void> {
  await waitFor(ready);
  await server.kill(signal);
  await new Promise((r) => setTimeout(r, downMs));
  await server.restart();
}

/** The sum of a counter's attempted values over the steps that report it. */
function attempted(result: PipelineResult, metric: { namespace: string; name: string }): number {
  return result
    .metrics()
    .queryMetrics(metric)
    .counters.reduce((n, c) => n + c.attempted, 0);
}

describe.skipIf(!servers.has("postgres"))("writeToPostgres when PostgreSQL restarts mid-job", () => {
  it.concurrent("reconnects with backoff, counts it, and leaves every row exactly once (upsert)", async () => {
    const server = await startPostgres();
    const admin = () => new pg.Client({ connectionString: server.url });
    try {
      const c = admin();
      await c.connect();
      await c.query("CREATE TABLE outage (id integer PRIMARY KEY, v text NOT NULL)");
      await c.end();
      const N = 400;
      let produced = 0;
      const p = new Pipeline({ runner: "embedded" });
      p.apply(generateSequence({ from: 0, to: N, rate: { elements: 100, period: 1000 } }))
        .apply(
          "Rows",
          map((n: number) => {
            produced++;
            return { id: n, v: `row-${n}` };
          }),
        )
        .apply(
          "Save",
          writeToPostgres({
            connection: { host: server.host, port: server.port, database: server.database, user: server.user, password: new Secret(server.password) },
            table: "outage",
            columns: ["id", "v"],
            mode: "upsert",
            keys: ["id"],
            batchSize: 20,
          }),
        );
      const result = p.run();
      // SIGINT is PostgreSQL's fast shutdown: every session is ended (57P01), as in a restart by an operator.
      await outage(server, () => produced >= 100, "SIGINT");
      expect(await result.waitUntilFinish()).toBe("DONE");
      const check = admin();
      await check.connect();
      const { rows } = await check.query<{ n: string; distinct_ids: string; lo: number; hi: number }>(
        "SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids, min(id) AS lo, max(id) AS hi FROM outage",
      );
      await check.end();
      expect(rows[0]).toEqual({ n: String(N), distinct_ids: String(N), lo: 0, hi: N - 1 });
      expect(attempted(result, POSTGRES_RECONNECTS_METRIC)).toBeGreaterThanOrEqual(1);
      expect(attempted(result, POSTGRES_RETRIES_METRIC)).toBeGreaterThanOrEqual(1);
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!servers.has("redis"))("readFromRedisStream and writeToRedis when Redis restarts mid-job", () => {
  it.concurrent("reconnect by themselves, count it, deliver every entry at least once and write every key", async () => {
    // Persisted (append-only file synced at every write): a SIGKILL loses nothing the server acknowledged.
    const server = await startRedis({ persist: true });
    const admin = createClient({ url: server.url, socket: { reconnectStrategy: () => 50 } });
    admin.on("error", () => {});
    try {
      await admin.connect();
      const N = 300;
      const base = Date.now();
      const ids = Array.from({ length: N }, (_, i) => `${base + i}-0`);
      const seen: string[] = [];
      let producing = true;
      // The producer writes while the job reads, through the outage: an XADD whose reply was
      // lost is sent again, and the explicit id makes Redis refuse the copy if the first was applied.
      const producer = (async () => {
        for (let i = 0; i < N && producing; i++) {
          for (;;) {
            try {
              await admin.xAdd("events", ids[i]!, { n: String(i) });
              break;
            } catch (err) {
              if (/equal or smaller/i.test(String(err))) break;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
          if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const connection = { url: new Secret(server.url) };
      const p = new Pipeline({ runner: "embedded" });
      p.apply(readFromRedisStream({ connection, stream: "events", group: "g", consumer: "outage", startId: "0", batchSize: 10, blockMs: 50 }))
        .apply(
          "Record",
          parDo<RedisStreamEntry, RedisStreamEntry>({
            process(e, ctx) {
              seen.push(e.id);
              ctx.output(e);
            },
          }),
        )
        .apply(
          "ToKV",
          map((e: RedisStreamEntry) => kv(`out:${e.id}`, e.fields["n"] ?? "")),
        )
        .apply("Save", writeToRedis({ connection, command: "set", batchSize: 10 }));
      const result = p.run();
      await outage(server, () => seen.length >= 80, "SIGKILL");
      await producer;
      const keys = async () => (await admin.keys("out:*")).length;
      await waitFor(async () => result.state === "FAILED" || ((await keys()) >= N && (await admin.xPending("events", "g")).pending === 0));
      if (result.state === "FAILED") await result.waitUntilFinish();
      expect(await result.drain()).toBe("DRAINED");
      producing = false;
      // At-least-once: every entry was delivered; repeats only of entries whose XACK the outage lost.
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(await keys()).toBe(N);
      expect(await admin.get(`out:${ids[N - 1]!}`)).toBe(String(N - 1));
      expect((await admin.xPending("events", "g")).pending).toBe(0);
      expect(attempted(result, REDIS_RECONNECTS_METRIC)).toBeGreaterThanOrEqual(1);
      console.info(`redis outage: ${seen.length - N} repeated deliveries, ${attempted(result, REDIS_RECONNECTS_METRIC)} reconnects`);
    } finally {
      await admin.close().catch(() => undefined);
      await server.stop();
    }
  });
  it.concurrent("a fresh instance of a step that was connected waits for the server, though no instance saw it go away", async () => {
    // The runner tore the instance down (another step of its bundle failed first) before
    // its client saw the socket close: nothing noted the loss, yet the retry must wait.
    const server = await startRedis();
    try {
      const connection = resolveRedisConnection("Outage", { url: new Secret(server.url) });
      const first = await RedisSession.open("WasConnected/Read", connection);
      first.close();
      await server.kill("SIGKILL");
      const back = new Promise((r) => setTimeout(r, 1000)).then(() => server.restart());
      const again = await RedisSession.open("WasConnected/Read", connection);
      await back;
      expect(await again.client.sendCommand(["PING"])).toBe("PONG");
      expect(again.takeReconnects()).toBe(1);
      again.close();
      // A step never connected in this worker fails at once (3 attempts, 300 ms), naming the address.
      await server.kill("SIGKILL");
      await expect(RedisSession.open("NeverConnected/Read", connection)).rejects.toThrow(/cannot connect to Redis at redis:\/\/:\*\*\*\*@127\.0\.0\.1:\d+\/0 \(3 attempts\)/);
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!servers.has("nats"))("readFromNats and writeToNats when nats-server restarts mid-job", () => {
  it.concurrent("reconnect by themselves, count it, deliver every message at least once and store each output once (message ids)", async () => {
    const server = await startNats();
    const nc = await connect({ servers: server.url, user: server.user, pass: server.password, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "IN", subjects: ["in"] });
      await jsm.streams.add({ name: "OUT", subjects: ["out"] });
      const js = jsm.jetstream();
      const N = 300;
      const seen: number[] = [];
      // The producer publishes through the outage; a publish whose acknowledgement was lost is
      // sent again with the same message id, which JetStream stores once.
      const producer = (async () => {
        for (let i = 0; i < N; i++) {
          for (;;) {
            try {
              await js.publish("in", String(i), { msgID: `in-${i}`, timeout: 1000 });
              break;
            } catch {
              await new Promise((r) => setTimeout(r, 50));
            }
          }
          if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const connection = { servers: server.url, user: server.user, password: new Secret(server.password) };
      const p = new Pipeline({ runner: "embedded" });
      p.apply(readFromNats({ connection, stream: "IN", durable: "outage", batchSize: 10, blockMs: 50, ackWaitMs: 3000 }))
        .apply(
          "Record",
          parDo<NatsMessage, NatsMessage>({
            process(m, ctx) {
              seen.push(m.streamSequence);
              ctx.output(m);
            },
          }),
        )
        .apply(
          "Save",
          writeToNats({ connection, subject: "out", toRecord: (m: NatsMessage) => ({ data: m.data, msgId: `out-${m.streamSequence}` }) }),
        );
      const result = p.run();
      await outage(server, () => seen.length >= 80, "SIGKILL");
      await producer;
      const settled = async () => {
        const [out, consumer] = [await jsm.streams.info("OUT"), await jsm.consumers.info("IN", "outage")];
        return out.state.messages >= N && consumer.num_ack_pending === 0 && consumer.num_pending === 0;
      };
      await waitFor(async () => result.state === "FAILED" || (await settled().catch(() => false)));
      if (result.state === "FAILED") await result.waitUntilFinish();
      expect(await result.drain()).toBe("DRAINED");
      // At-least-once from the source: every stored message delivered; repeats only of lost acks.
      expect(new Set(seen)).toEqual(new Set(Array.from({ length: N }, (_, i) => i + 1)));
      expect((await jsm.streams.info("IN")).state.messages).toBe(N);
      // Once in the output stream: JetStream dropped re-publishes of the same message id.
      expect((await jsm.streams.info("OUT")).state.messages).toBe(N);
      expect(await settled()).toBe(true);
      expect(attempted(result, NATS_RECONNECTS_METRIC)).toBeGreaterThanOrEqual(1);
      console.info(`nats outage: ${seen.length - N} repeated deliveries, ${attempted(result, NATS_RECONNECTS_METRIC)} reconnects`);
    } finally {
      await nc.close().catch(() => undefined);
      await server.stop();
    }
  });
});

describe.skipIf(!servers.has("rabbitmq"))("writeToRabbitMq and readFromRabbitMq when the broker restarts mid-job", () => {
  it.concurrent("wait for the broker with backoff, count it, and publish and deliver every message at least once", async () => {
    const server = await startRabbitMq();
    /** The queue's ready and unacknowledged messages, asked on a connection of its own (the broker may have restarted). */
    const queueDepth = async (): Promise<number> => {
      const conn = await amqp.connect(server.url);
      try {
        const ch = await conn.createChannel();
        return (await ch.checkQueue("mid")).messageCount;
      } finally {
        await conn.close();
      }
    };
    try {
      const setup = await amqp.connect(server.url);
      const ch = await setup.createChannel();
      await ch.assertQueue("mid", { durable: true });
      await setup.close();
      const N = 300;
      const seen: string[] = [];
      let published = 0;
      const connection = { url: new Secret(server.url) };
      const p = new Pipeline({ runner: "embedded" });
      // One job writes the queue, paced, and reads it back: both ends live through the outage.
      p.apply(generateSequence({ from: 0, to: N, rate: { elements: 100, period: 1000 } }))
        .apply(
          "Publish",
          map((n: number) => {
            published++;
            return n;
          }),
        )
        .apply("Write", writeToRabbitMq({ connection, exchange: "", routingKey: "mid", toRecord: (n: number) => ({ body: String(n), messageId: `m-${n}` }) }));
      p.apply(readFromRabbitMq({ connection, queue: "mid", prefetch: 50, batchSize: 10, blockMs: 50 })).apply(
        "Record",
        parDo<RabbitMqMessage, never>({
          process(m) {
            seen.push(m.messageId ?? "");
          },
        }),
      );
      const result = p.run();
      // SIGKILL of the broker's process group: a crash; durable queue and persistent, confirmed messages survive.
      await outage(server, () => published >= 80 && seen.length >= 50, "SIGKILL", 1000);
      const everySeen = () => new Set(seen).size >= N;
      await waitFor(async () => result.state === "FAILED" || (everySeen() && (await queueDepth().catch(() => -1)) === 0));
      if (result.state === "FAILED") await result.waitUntilFinish();
      expect(await result.drain()).toBe("DRAINED");
      // At-least-once both ways: every number published and delivered; repeats are the publishes
      // and deliveries the crash left unconfirmed or unacknowledged.
      expect(new Set(seen)).toEqual(new Set(Array.from({ length: N }, (_, n) => `m-${n}`)));
      expect(await queueDepth()).toBe(0);
      expect(attempted(result, RABBITMQ_RECONNECTS_METRIC)).toBeGreaterThanOrEqual(2);
      expect(attempted(result, RABBITMQ_RETRIES_METRIC)).toBeGreaterThanOrEqual(1);
      console.info(
        `rabbitmq outage: ${seen.length - N} repeated deliveries, ${attempted(result, RABBITMQ_RECONNECTS_METRIC)} reconnects, ${attempted(result, RABBITMQ_RETRIES_METRIC)} retries`,
      );
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe.skipIf(!servers.has("kafka"))("writeToKafka and readFromKafka when the broker restarts mid-job", () => {
  it.concurrent("retry with backoff holding their position, count it, read every record of the log once and write every element at least once", async () => {
    const server = await startKafka({ line: "4" });
    try {
      const admin = new Admin({ clientId: "outage-admin", bootstrapBrokers: [server.bootstrap] });
      await admin.createTopics({ topics: ["mid"], partitions: 1, replicas: 1 });
      await admin.close();
      const N = 300;
      const read: KafkaRecord<null, string>[] = [];
      let written = 0;
      const connection = { bootstrapServers: server.bootstrap };
      const p = new Pipeline({ runner: "embedded" });
      // One job writes the topic, paced, and reads it back: both ends live through the outage.
      p.apply(generateSequence({ from: 0, to: N, rate: { elements: 100, period: 1000 } }))
        .apply(
          "Records",
          map((n: number) => {
            written++;
            return { value: String(n) };
          }),
        )
        .apply("Write", writeToKafka<null, string>({ ...connection, topic: "mid", valueSerializer: "string" }));
      p.apply(readFromKafka<null, string>({ ...connection, topics: ["mid"], valueDeserializer: "string", partitionDiscoveryIntervalMs: 0, pollMs: 100 })).output.apply(
        "Record",
        parDo<KafkaRecord<null, string>, never>({
          process(r) {
            read.push(r);
          },
        }),
      );
      const result = p.run();
      // SIGKILL: a crash; the broker recovers its log at the next start.
      await outage(server, () => written >= 80 && read.length >= 50, "SIGKILL", 1000);
      await waitFor(() => result.state === "FAILED" || new Set(read.map((r) => r.value)).size >= N);
      if (result.state === "FAILED") await result.waitUntilFinish();
      expect(await result.drain()).toBe("DRAINED");
      // The reader held its position through the outage: each offset of the log once, in order.
      const offsets = read.map((r) => r.offset);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i));
      // The writer is at-least-once: every element is in the log (a send the crash cut may be there twice).
      expect(new Set(read.map((r) => r.value))).toEqual(new Set(Array.from({ length: N }, (_, n) => String(n))));
      expect(attempted(result, KAFKA_RETRIES_METRIC)).toBeGreaterThanOrEqual(1);
      expect(attempted(result, KAFKA_RECONNECTS_METRIC)).toBeGreaterThanOrEqual(1);
      console.info(
        `kafka outage: ${read.length - N} records written twice, ${attempted(result, KAFKA_RETRIES_METRIC)} retries, ${attempted(result, KAFKA_RECONNECTS_METRIC)} reconnects`,
      );
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe.skipIf(!servers.has("pubsub"))("writeToPubSub and readFromPubSub when the Pub/Sub fake restarts mid-job", () => {
  it.concurrent("wait for the server with backoff, count it, and deliver every message published once the fake has its topic and subscription again", async () => {
    // pstest keeps everything in memory: the restarted fake has no topic, no subscription and
    // none of the messages it held. The test makes the topic and subscription again (the
    // steps wait through NOT_FOUND while the outage lasts); what the fake held when it died
    // is lost, which the real service, which keeps its state, would deliver again.
    const server = await startPubSub();
    const projectId = "outage";
    const admin = new PubSub({ projectId, apiEndpoint: server.emulatorHost, emulatorMode: true });
    const makeTopicAndSubscription = async () => {
      const [topic] = await admin.createTopic("mid");
      await topic.createSubscription("mid-sub");
    };
    try {
      await makeTopicAndSubscription();
      const N = 600;
      const seen: number[] = [];
      let produced = 0;
      const connection = { projectId, emulatorHost: server.emulatorHost };
      // One job publishes to the topic, paced, another reads it back: both live through the
      // outage (two jobs, so that the read's wait for the server does not hold up the write's).
      const w = new Pipeline({ runner: "embedded" });
      w.apply(generateSequence({ from: 0, to: N, rate: { elements: 100, period: 1000 } }))
        .apply(
          "Publish",
          map((n: number) => {
            produced++;
            return n;
          }),
        )
        .apply("Write", writeToPubSub({ connection, topic: "mid", batchSize: 10, toRecord: (n: number) => ({ data: String(n) }) }));
      const p = new Pipeline({ runner: "embedded" });
      p.apply(readFromPubSub({ connection, subscription: "mid-sub", batchSize: 50 })).apply(
        "Record",
        parDo<PubSubMessage, never>({
          process(m) {
            seen.push(Number(new TextDecoder().decode(m.data)));
          },
        }),
      );
      const written = w.run();
      const result = p.run();
      await waitFor(() => seen.length >= 50);
      await server.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 1500));
      await server.restart();
      await makeTopicAndSubscription();
      // Every number produced from here on is published to a topic that has the subscription.
      const from = produced;
      const afterRestart = Array.from({ length: N - from }, (_, i) => from + i);
      expect(await written.waitUntilFinish()).toBe("DONE");
      await waitFor(() => result.state === "FAILED" || afterRestart.every((n) => seen.includes(n)));
      if (result.state === "FAILED") await result.waitUntilFinish();
      expect(await result.drain()).toBe("DRAINED");
      expect(from).toBeLessThan(N - 100);
      expect(afterRestart.filter((n) => !seen.includes(n))).toEqual([]);
      // Each job waited for the server and reached it again.
      for (const job of [written, result]) {
        expect(attempted(job, PUBSUB_RETRIES_METRIC)).toBeGreaterThanOrEqual(1);
        expect(attempted(job, PUBSUB_RECONNECTS_METRIC)).toBeGreaterThanOrEqual(1);
      }
      const lost = Array.from({ length: from }, (_, n) => n).filter((n) => !seen.includes(n)).length;
      console.info(
        `pubsub outage: ${lost} of ${from} messages published before the restart lost with the fake's memory, ${seen.length - new Set(seen).size} repeated deliveries, ` +
          `write ${attempted(written, PUBSUB_RETRIES_METRIC)} retries / ${attempted(written, PUBSUB_RECONNECTS_METRIC)} reconnects, ` +
          `read ${attempted(result, PUBSUB_RETRIES_METRIC)} retries / ${attempted(result, PUBSUB_RECONNECTS_METRIC)} reconnects`,
      );
    } finally {
      await admin.close().catch(() => undefined);
      await server.stop();
    }
  }, 120_000);

  it("fails a write at once, naming the address and a hint, when nothing listens there from the start", async () => {
    const port = await freePort();
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
    p.apply(generateSequence({ from: 0, to: 3 })).apply(writeToPubSub({ connection: { projectId: "outage", emulatorHost: `127.0.0.1:${port}` }, topic: "none", toRecord: (n: number) => ({ data: String(n) }) }));
    // gax's own retries (about a minute) are off: the step fails within the test's 5 s.
    await expect(p.run().waitUntilFinish()).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}.*Is the emulator running there`, "s"));
  });
});
