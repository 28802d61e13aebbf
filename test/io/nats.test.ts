/**
 * readFromNats and writeToNats (docs/IO.md, "NATS JetStream") against the real nats-server
 * of test/job-services-setup.ts (tools/servers/nats.mjs, built from the Go module proxy).
 * Each test uses streams of its own. BEAM_TS_SERVERS without "nats" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection as CoreConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, Secret, StateSpecs, create, fixedWindows, groupByKey, varIntCoder, kv, map, parDo, statefulParDo, stringUtf8Coder, windowInto, type KV } from "../../src/index.js";
import { readFromNats, writeToNats, NATS_DUPLICATES_METRIC, type NatsConnection, type NatsMessage } from "../../src/io/nats/index.js";
import { freePort } from "../../tools/runners/job-services.mjs";

const server = inject("natsServer");
const text = new TextDecoder();

describe.skipIf(server.url === "")("NATS JetStream connector", () => {
  let nc: CoreConnection;
  let jsm: JetStreamManager;
  const dirs: string[] = [];
  const connection: NatsConnection = { servers: server.url, user: server.user, password: new Secret(server.password) };

  beforeAll(async () => {
    nc = await connect({ servers: server.url, user: server.user, pass: server.password });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Waits until the consumer has no delivered message left unacknowledged (acks are asynchronous on the server). */
  async function ackPending(stream: string, durable: string): Promise<number> {
    let n = -1;
    for (let i = 0; i < 50; i++) {
      n = (await jsm.consumers.info(stream, durable)).num_ack_pending;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return n;
  }

  it("publishes with message ids that JetStream deduplicates, then reads every message back and acknowledges it", async () => {
    await jsm.streams.add({ name: "WRITE", subjects: ["write.>"] });
    const ids = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    const w = new Pipeline({ enforceImmutability: false });
    // Each record twice, as a retried bundle would publish it: JetStream keeps one per msgId.
    w.apply(create([...ids, ...ids]))
      .apply(map((id: string) => id))
      .apply(writeToNats({ connection, subject: "write.orders", toRecord: (id: string) => ({ data: id, msgId: id, headers: { source: "test" } }) }));
    const written = w.run();
    expect(await written.waitUntilFinish()).toBe("DONE");
    expect(written.metrics().queryMetrics(NATS_DUPLICATES_METRIC).counters[0]?.committed).toBe(40);
    expect((await jsm.streams.info("WRITE")).state.messages).toBe(40);

    const got: NatsMessage[] = [];
    const r = new Pipeline({ enforceImmutability: false });
    r.apply(readFromNats({ connection, stream: "WRITE", durable: "reader", batchSize: 7, blockMs: 50, maxRecords: 40 })).apply(
      parDo<NatsMessage, never>({
        process(m) {
          got.push(m);
        },
      }),
    );
    expect(await r.run().waitUntilFinish()).toBe("DONE");
    expect(got.map((m) => text.decode(m.data)).sort()).toEqual([...ids].sort());
    expect(got.map((m) => m.streamSequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(got[0]).toMatchObject({ subject: "write.orders", stream: "WRITE", deliveryCount: 1, headers: { source: ["test"] } });
    expect(await ackPending("WRITE", "reader")).toBe(0);
    expect((await jsm.consumers.info("WRITE", "reader")).num_pending).toBe(0);
  });

  it("timestamps each message by the time the stream stored it", async () => {
    await jsm.streams.add({ name: "TIMES", subjects: ["times"] });
    const before = Date.now();
    for (let i = 0; i < 5; i++) await jetstream(nc).publish("times", String(i));
    const after = Date.now();
    const stamps: number[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromNats({ connection, stream: "TIMES", durable: "t", blockMs: 50, maxRecords: 5 })).apply(
      parDo<NatsMessage, never>({
        process(_m, ctx) {
          stamps.push(ctx.timestamp);
        },
      }),
    );
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(stamps).toHaveLength(5);
    for (const t of stamps) {
      expect(t).toBeGreaterThanOrEqual(before - 5);
      expect(t).toBeLessThanOrEqual(after + 5);
    }
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
  });

  it("moves the watermark to the worker's clock when the stream is idle, so windows fire while the read goes on", async () => {
    await jsm.streams.add({ name: "IDLE", subjects: ["idle"] });
    for (let i = 0; i < 3; i++) await jetstream(nc).publish("idle", String(i));
    const panes: number[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromNats({ connection, stream: "IDLE", durable: "w", blockMs: 50, idleWatermarkLag: 0 }))
      .apply(windowInto(fixedWindows(1_000)))
      .apply(map((m: NatsMessage) => kv(m.stream, 1)))
      .apply(groupByKey<string, number>())
      .apply(map((g: KV<string, Iterable<number>>) => void panes.push([...g.value].length)));
    const result = p.run();
    // The read is unbounded: a window fires only because the watermark passed its end.
    for (let i = 0; i < 500 && panes.reduce((a, b) => a + b, 0) < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(panes.reduce((a, b) => a + b, 0)).toBe(3);
    expect(result.state).toBe("RUNNING");
    await result.cancel();
  });

  it("fails naming the address and a hint when no server listens there", async () => {
    const port = await freePort();
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromNats({ connection: { servers: `nats://beam:hunter2@127.0.0.1:${port}`, connectTimeout: 500 }, stream: "NONE", durable: "x", maxRecords: 1 }));
    const err = await p
      .run()
      .waitUntilFinish()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const message = String((err as Error | undefined)?.message ?? err);
    expect(message).toContain(`nats://127.0.0.1:${port}`);
    expect(message).toContain("Is nats-server running");
    expect(message).not.toContain("hunter2");
  });

  it("processes every message at least once, and each once in checkpointed state, when stopped after checkpoints and restored repeatedly", async () => {
    await jsm.streams.add({ name: "ORDERS", subjects: ["orders.*"] });
    const js = jetstream(nc);
    const n = 600;
    const added: number[] = [];
    const producer = (async () => {
      while (added.length < n) {
        for (let i = 0; i < 6 && added.length < n; i++) added.push((await js.publish("orders.new", String(added.length))).seq);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-nats-restore-"));
    dirs.push(dir);
    const seen: number[] = [];
    const againInState: number[] = [];
    let completeInState = false;
    const run = (options: Record<string, unknown>, maxReadTimeMs?: number) => {
      const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest", ...options });
      const messages = p.apply("Read", readFromNats({ connection, stream: "ORDERS", durable: "billing", batchSize: 8, blockMs: 20, maxRecords: n, maxReadTimeMs }));
      messages.apply(
        "Record",
        parDo<NatsMessage, never>({
          process(m) {
            seen.push(m.streamSequence);
          },
        }),
      );
      messages
        .apply("Key", map((m: NatsMessage) => kv("all", String(m.streamSequence))))
        .apply(
          "Dedupe",
          statefulParDo({
            state: { seqs: StateSpecs.set<string>(stringUtf8Coder), count: StateSpecs.value<number>(varIntCoder) },
            process(e: KV<string, string>, ctx) {
              if (!ctx.state.seqs.add(e.value)) againInState.push(Number(e.value));
              // The checkpointed history counts every message only if none it holds was lost.
              const count = (ctx.state.count.read() ?? 0) + 1;
              ctx.state.count.write(count);
              if (count === n) completeInState = true;
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
    // A message lost (acknowledged before its bundle was checkpointed) would keep the read below maxRecords: the time limit ends it.
    expect(await run({}, 30_000)).toBe("DONE");
    expect(againInState).toEqual([]);
    expect(completeInState).toBe(true);
    const distinct = new Set(seen);
    expect([...distinct].sort((a, b) => a - b)).toEqual(added);
    expect(await ackPending("ORDERS", "billing")).toBe(0);
    console.info(`nats restore: ${stops} stops, ${n} messages, ${seen.length - distinct.size} delivered twice downstream`);
  }, 120_000);
});
