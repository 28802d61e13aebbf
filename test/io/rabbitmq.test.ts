/**
 * readFromRabbitMq and writeToRabbitMq (docs/IO.md, "RabbitMQ") against the real
 * rabbitmq-server of test/job-services-setup.ts (tools/servers/rabbitmq.mjs). Each test uses
 * queues of its own. BEAM_TS_SERVERS without "rabbitmq" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import amqp, { type Channel, type ChannelModel } from "amqplib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, Secret, StateSpecs, create, fixedWindows, groupByKey, varIntCoder, kv, map, parDo, statefulParDo, stringUtf8Coder, windowInto, type KV } from "../../src/index.js";
import { readFromRabbitMq, writeToRabbitMq, type RabbitMqMessage } from "../../src/io/rabbitmq/index.js";
import { freePort } from "../../tools/runners/job-services.mjs";

const url = inject("rabbitmqUrl");
const text = new TextDecoder();

describe.skipIf(url === "")("RabbitMQ connector", () => {
  let conn: ChannelModel;
  let ch: Channel;
  const dirs: string[] = [];
  const connection = { url: new Secret(url) };

  beforeAll(async () => {
    conn = await amqp.connect(url);
    ch = await conn.createChannel();
  });
  afterAll(async () => {
    await conn?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The queue's ready and unacknowledged messages, once the broker has settled (acks are asynchronous). */
  async function queueDepth(queue: string): Promise<number> {
    let n = -1;
    for (let i = 0; i < 50; i++) {
      n = (await ch.checkQueue(queue)).messageCount;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return n;
  }

  it("publishes with confirms through an exchange, then reads every message back and acknowledges it", async () => {
    await ch.assertExchange("orders-x", "direct", { durable: false });
    await ch.assertQueue("written", { durable: false });
    await ch.bindQueue("written", "orders-x", "paid");
    const ids = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    const w = new Pipeline({ enforceImmutability: false });
    w.apply(create(ids)).apply(
      writeToRabbitMq({ connection, exchange: "orders-x", routingKey: "paid", toRecord: (id: string) => ({ body: id, messageId: id, timestamp: 1_700_000_000, headers: { source: "test" } }) }),
    );
    expect(await w.run().waitUntilFinish()).toBe("DONE");
    expect((await ch.checkQueue("written")).messageCount).toBe(40);

    const got: { m: RabbitMqMessage; t: number }[] = [];
    const r = new Pipeline({ enforceImmutability: false });
    r.apply(readFromRabbitMq({ connection, queue: "written", batchSize: 7, blockMs: 50, maxRecords: 40 })).apply(
      parDo<RabbitMqMessage, never>({
        process(m, ctx) {
          got.push({ m, t: ctx.timestamp });
        },
      }),
    );
    expect(await r.run().waitUntilFinish()).toBe("DONE");
    expect(got.map(({ m }) => text.decode(m.body)).sort()).toEqual([...ids].sort());
    expect(got[0]!.m).toMatchObject({ queue: "written", exchange: "orders-x", routingKey: "paid", headers: { source: "test" }, redelivered: false });
    // Timestamped by the AMQP timestamp property (seconds).
    expect(new Set(got.map(({ t }) => t))).toEqual(new Set([1_700_000_000_000]));
    expect(await queueDepth("written")).toBe(0);
  });

  it("moves the watermark to the worker's clock when the queue is idle, so windows fire while the read goes on", async () => {
    await ch.assertQueue("idle", { durable: false });
    // A minute old, all in one window of 10 s (the timestamp property has whole seconds).
    const at = Math.floor(Date.now() / 10_000) * 10 - 60;
    for (let i = 0; i < 3; i++) ch.sendToQueue("idle", Buffer.from(String(i)), { timestamp: at });
    const panes: number[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromRabbitMq({ connection, queue: "idle", blockMs: 50, idleWatermarkLag: 0 }))
      .apply(windowInto(fixedWindows(10_000)))
      .apply(map((m: RabbitMqMessage) => kv(m.queue, 1)))
      .apply(groupByKey<string, number>())
      .apply(map((g: KV<string, Iterable<number>>) => void panes.push([...g.value].length)));
    const result = p.run();
    // The read is unbounded: the window fires only because the watermark passed its end.
    for (let i = 0; i < 500 && panes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(panes).toEqual([3]);
    expect(result.state).toBe("RUNNING");
    await result.cancel();
  });

  it("fails the bundle, not silently, when the broker returns a message no queue takes", async () => {
    await ch.assertExchange("nowhere-x", "direct", { durable: false });
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(create(["a"])).apply(writeToRabbitMq({ connection, exchange: "nowhere-x", routingKey: "none" }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/no queue is bound/);
  });

  it("fails naming the address, without the password, and a hint when no broker listens there", async () => {
    const port = await freePort();
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromRabbitMq({ connection: { url: new Secret(`amqp://beam:hunter2@127.0.0.1:${port}/`), connectTimeout: 500 }, queue: "q", maxRecords: 1 }));
    const err = await p
      .run()
      .waitUntilFinish()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const message = String((err as Error | undefined)?.message ?? err);
    expect(message).toContain(`amqp://beam:****@127.0.0.1:${port}/`);
    expect(message).toContain("Is rabbitmq-server running");
    expect(message).not.toContain("hunter2");
  });

  it("processes every message at least once when stopped after checkpoints and restored repeatedly, and acknowledges only committed ones", async () => {
    await ch.assertQueue("events", { durable: false });
    const n = 600;
    const producer = (async () => {
      for (let i = 0; i < n; i += 6) {
        for (let j = i; j < Math.min(n, i + 6); j++) ch.sendToQueue("events", Buffer.from(String(j)), { messageId: String(j) });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-rabbitmq-restore-"));
    dirs.push(dir);
    const seen: string[] = [];
    const againInState: string[] = [];
    let completeInState = false;
    const t0 = Date.now();
    const run = (options: Record<string, unknown>, read: { maxReadTimeMs?: number }) => {
      const p = new Pipeline({ enforceImmutability: false, ...options });
      const messages = p.apply("Read", readFromRabbitMq({ connection, queue: "events", prefetch: 50, batchSize: 8, blockMs: 20, ...read }));
      messages.apply(
        "Record",
        parDo<RabbitMqMessage, never>({
          process(m) {
            seen.push(m.messageId!);
          },
        }),
      );
      messages
        .apply("Key", map((m: RabbitMqMessage) => kv("all", m.messageId!)))
        .apply(
          "Dedupe",
          statefulParDo({
            state: { ids: StateSpecs.set<string>(stringUtf8Coder), distinct: StateSpecs.value<number>(varIntCoder) },
            process(e: KV<string, string>, ctx) {
              if (!ctx.state.ids.add(e.value)) {
                againInState.push(e.value);
                return;
              }
              // The checkpointed history holds every message only if none was acknowledged before its bundle was checkpointed.
              const distinct = (ctx.state.distinct.read() ?? 0) + 1;
              ctx.state.distinct.write(distinct);
              if (distinct === n) completeInState = true;
            },
          }),
        );
      return p.run().waitUntilFinish();
    };
    let stops = 0;
    for (let k = 0; k < 8; k++) {
      const state = await run({ checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest", stopAfterCheckpoint: 2 + (k % 3) }, {});
      expect(state).toBe("CANCELLED");
      stops++;
    }
    await producer;
    // The rest, restored once more; the read ends 1.5 s from now (maxReadTimeMs counts from the first run's start, kept in the checkpoints).
    expect(await run({ checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest" }, { maxReadTimeMs: Date.now() - t0 + 1500 })).toBe("DONE");
    expect(completeInState).toBe(true);
    const distinct = new Set(seen);
    expect(distinct.size).toBe(n);
    expect(await queueDepth("events")).toBe(0);
    console.info(`rabbitmq restore: ${stops} stops, ${n} messages, ${seen.length - distinct.size} delivered twice downstream, ${againInState.length} twice in checkpointed state`);
  }, 120_000);
});
