/**
 * readFromPubSub and writeToPubSub (docs/IO.md, "Pub/Sub") against Google's pstest fake of
 * test/job-services-setup.ts (tools/servers/pubsub.mjs). Each test uses topics of its own.
 * BEAM_TS_SERVERS without "pubsub" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, StateSpecs, create, fixedWindows, groupByKey, kv, map, parDo, statefulParDo, stringUtf8Coder, varIntCoder, windowInto, type KV } from "../../src/index.js";
import { readFromPubSub, writeToPubSub, type PubSubMessage } from "../../src/io/pubsub/index.js";
import { freePort } from "../../tools/runners/job-services.mjs";

const emulatorHost = inject("pubsubEmulatorHost");
const text = new TextDecoder();
const projectId = "beam-ts-test";

describe.skipIf(emulatorHost === "")("Pub/Sub connector", () => {
  let admin: PubSub;
  const dirs: string[] = [];
  const connection = { projectId, emulatorHost };

  beforeAll(() => {
    admin = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
  });
  afterAll(async () => {
    await admin?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("publishes, then reads every message back through a subscription it creates for the topic, timestamped by an attribute", async () => {
    await admin.createTopic("written");
    const w = new Pipeline({ enforceImmutability: false });
    w.apply(create(Array.from({ length: 30 }, (_, i) => i))).apply(
      writeToPubSub({ connection, topic: "written", batchSize: 7, toRecord: (i: number) => ({ data: `m${i}`, attributes: { ts: String(1_700_000_000_000 + i), id: `id-${i}` } }) }),
    );
    // The read's subscription must exist before the messages are published to be delivered them.
    await admin.topic("written").createSubscription("written-beam-ts");
    expect(await w.run().waitUntilFinish()).toBe("DONE");

    const got: { m: PubSubMessage; t: number }[] = [];
    const r = new Pipeline({ enforceImmutability: false });
    r.apply(readFromPubSub({ connection, topic: "written", timestampAttribute: "ts", idAttribute: "id", batchSize: 8, maxRecords: 30 })).apply(
      parDo<PubSubMessage, never>({
        process(m, ctx) {
          got.push({ m, t: ctx.timestamp });
        },
      }),
    );
    expect(await r.run().waitUntilFinish()).toBe("DONE");
    expect(got.map(({ m }) => text.decode(m.data)).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    for (const { m, t } of got) expect(t).toBe(Number(m.attributes["ts"]));
    expect(got[0]!.m.messageId).toMatch(/^id-/);
  });

  it("moves the watermark to the worker's clock when pulls find nothing, so windows fire while the read goes on", async () => {
    const [topic] = await admin.createTopic("idle");
    await topic.createSubscription("idle-sub");
    // A minute old by their attribute, all in one window of 10 s.
    const at = Math.floor(Date.now() / 10_000) * 10_000 - 60_000;
    for (let i = 0; i < 3; i++) await topic.publishMessage({ data: Buffer.from(String(i)), attributes: { ts: String(at + i) } });
    const panes: number[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromPubSub({ connection, subscription: "idle-sub", timestampAttribute: "ts", idleWatermarkLag: 0 }))
      .apply(windowInto(fixedWindows(10_000)))
      .apply(map((_m: PubSubMessage) => kv("idle", 1)))
      .apply(groupByKey<string, number>())
      .apply(map((g: KV<string, Iterable<number>>) => void panes.push([...g.value].length)));
    const result = p.run();
    // The read is unbounded: the window fires only because the watermark passed its end.
    for (let i = 0; i < 1000 && panes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(panes).toEqual([3]);
    expect(result.state).toBe("RUNNING");
    await result.cancel();
  });

  it("fails naming the emulator's address and a hint when nothing listens there", async () => {
    const port = await freePort();
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromPubSub({ connection: { projectId, emulatorHost: `127.0.0.1:${port}` }, subscription: "none", maxRecords: 1 }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}.*Is the emulator running there`, "s"));
  }, 30_000);

  it("processes every message at least once, and each once in checkpointed state, when stopped after checkpoints and restored repeatedly", async () => {
    const [topic] = await admin.createTopic("orders");
    await topic.createSubscription("billing", { ackDeadlineSeconds: 600 });
    const n = 400;
    const producer = (async () => {
      for (let i = 0; i < n; i += 5) {
        await Promise.all(Array.from({ length: Math.min(5, n - i) }, (_, j) => topic.publishMessage({ data: Buffer.from(String(i + j)), attributes: { id: String(i + j) } })));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-pubsub-restore-"));
    dirs.push(dir);
    const seen: string[] = [];
    const againInState: string[] = [];
    let completeInState = false;
    const run = (options: Record<string, unknown>, maxReadTimeMs?: number) => {
      const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest", ...options });
      const messages = p.apply("Read", readFromPubSub({ connection, subscription: "billing", batchSize: 8, maxRecords: n, maxReadTimeMs }));
      messages.apply(
        "Record",
        parDo<PubSubMessage, never>({
          process(m) {
            seen.push(text.decode(m.data));
          },
        }),
      );
      messages
        .apply("Key", map((m: PubSubMessage) => kv("all", text.decode(m.data))))
        .apply(
          "Dedupe",
          statefulParDo({
            state: { ids: StateSpecs.set<string>(stringUtf8Coder), count: StateSpecs.value<number>(varIntCoder) },
            process(e: KV<string, string>, ctx) {
              if (!ctx.state.ids.add(e.value)) againInState.push(e.value);
              const count = (ctx.state.count.read() ?? 0) + 1;
              ctx.state.count.write(count);
              if (count === n) completeInState = true;
            },
          }),
        );
      return p.run().waitUntilFinish();
    };
    let stops = 0;
    for (let k = 0; k < 8; k++) {
      const state = await run({ stopAfterCheckpoint: 2 + (k % 3) });
      if (state === "DONE") break;
      expect(state).toBe("CANCELLED");
      stops++;
    }
    await producer;
    expect(stops).toBeGreaterThanOrEqual(2);
    expect(await run({}, 60_000)).toBe("DONE");
    expect(againInState).toEqual([]);
    expect(completeInState).toBe(true);
    expect(new Set(seen).size).toBe(n);
    console.info(`pubsub restore: ${stops} stops, ${n} messages, ${seen.length - new Set(seen).size} delivered twice downstream`);
  }, 120_000);
});
