/**
 * readFromKafka against the real brokers of test/job-services-setup.ts, a Kafka 3.9 and a
 * Kafka 4.x (tools/servers/kafka.mjs): bounded reads of a topic with several partitions,
 * dead letters, and an unbounded read stopped after checkpoints and restored again and again.
 * BEAM_TS_SERVERS without "kafka" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Pipeline, StateSpecs, kv, map, parDo, statefulParDo, stringUtf8Coder, type KV } from "../../src/index.js";
import { decodeFromBytes, jsValueCoder } from "../../src/coders/index.js";
import { readFromKafka, type KafkaRecord, type RawKafkaRecord } from "../../src/io/kafka/index.js";
import type { BadRecord } from "../../src/transforms/index.js";

const BROKERS = [
  { line: "3.9", bootstrap: inject("kafkaBootstrap39") },
  { line: "4", bootstrap: inject("kafkaBootstrap4") },
].filter((b) => b.bootstrap !== "");

let topicSeq = 0;
async function createTopic(bootstrap: string, partitions: number): Promise<string> {
  const topic = `read-${process.pid}-${Date.now()}-${topicSeq++}`;
  const admin = new Admin({ clientId: "test-admin", bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  return topic;
}

function producer(bootstrap: string) {
  return new Producer({ clientId: "test-producer", bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true });
}

describe("readFromKafka with no broker", () => {
  it("fails naming the step, the address and a hint when no broker listens there at start", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const p = new Pipeline({ enforceImmutability: false, maxBundleRetries: 0 });
    p.apply("Orders", readFromKafka<Uint8Array, string>({ bootstrapServers: `127.0.0.1:${port}`, topics: ["orders"], valueDeserializer: "string", stopOffset: "latest" }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(
      new RegExp(`"Orders[^"]*" could not list the partitions to read at 127\\.0\\.0\\.1:${port}: .*Check that a broker listens there`),
    );
  }, 60_000);
});

describe.skipIf(BROKERS.length === 0)("readFromKafka", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const { line, bootstrap } of BROKERS) {
    it(`reads every record of a topic with three partitions once, bounded by the end offsets at start (Kafka ${line})`, async () => {
      const topic = await createTopic(bootstrap, 3);
      const p0 = producer(bootstrap);
      const sent: string[] = [];
      for (let i = 0; i < 90; i++) sent.push(`v${i}`);
      await p0.send({ messages: sent.map((v, i) => ({ topic, key: `k${i}`, value: v, partition: i % 3, headers: new Map([["h", String(i)]]) })) });
      await p0.close();
      const got: KafkaRecord<string, string>[] = [];
      const p = new Pipeline({ enforceImmutability: false });
      const { output } = p.apply(readFromKafka<string, string>({ bootstrapServers: bootstrap, topics: [topic], stopOffset: "latest", keyDeserializer: "string", valueDeserializer: "string", pollMs: 50 }));
      output.apply("Collect", parDo<KafkaRecord<string, string>, never>({ process: (r) => void got.push(r) }));
      expect(await p.run().waitUntilFinish()).toBe("DONE");
      expect(got.map((r) => r.value).sort()).toEqual([...sent].sort());
      const first = got.find((r) => r.value === "v4")!;
      expect(first).toMatchObject({ topic, partition: 1, offset: 1, key: "k4" });
      expect(first.headers).toEqual([{ key: "h", value: new TextEncoder().encode("4") }]);
      expect(new Set(got.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
    }, 60_000);

    it(`sends a record whose value is not JSON to failures with its topic, partition, offset and raw bytes, and reads the rest (Kafka ${line})`, async () => {
      const topic = await createTopic(bootstrap, 1);
      const p0 = producer(bootstrap);
      await p0.send({ messages: ['{"n":1}', "not json", '{"n":3}'].map((value) => ({ topic, value, partition: 0 })) });
      await p0.close();
      const good: unknown[] = [];
      const bad: BadRecord[] = [];
      const p = new Pipeline({ enforceImmutability: false });
      const { output, failures } = p.apply(readFromKafka<Uint8Array, { n: number }>({ bootstrapServers: bootstrap, topics: [topic], stopOffset: "latest", valueDeserializer: "json", pollMs: 50 }));
      output.apply("Good", parDo<KafkaRecord<Uint8Array, { n: number }>, never>({ process: (r) => void good.push(r.value) }));
      failures.apply("Bad", parDo<BadRecord, never>({ process: (r) => void bad.push(r) }));
      expect(await p.run().waitUntilFinish()).toBe("DONE");
      expect(good).toEqual([{ n: 1 }, { n: 3 }]);
      expect(bad).toHaveLength(1);
      expect(bad[0]!.element.preview).toBe(`${topic}-0@1`);
      expect(bad[0]!.error.description).toMatch(/deserializing the value of record 1/);
      // The dead letter keeps the raw record: its coordinates and the bytes that did not parse.
      const raw = decodeFromBytes(jsValueCoder, bad[0]!.element.encoded!) as RawKafkaRecord;
      expect(raw).toMatchObject({ topic, partition: 0, offset: 1, key: null });
      expect(new TextDecoder().decode(raw.value!)).toBe("not json");
    }, 60_000);
  }

  it("reads every record at least once, and once into checkpointed state, when stopped after checkpoints and restored repeatedly", async () => {
    const { bootstrap } = BROKERS[BROKERS.length - 1]!;
    const topic = await createTopic(bootstrap, 3);
    const n = 600;
    const p0 = producer(bootstrap);
    const sent: string[] = [];
    // The producer appends while the jobs are stopped and restored.
    const produce = (async () => {
      while (sent.length < n) {
        const batch = Array.from({ length: 10 }, () => `v${sent.length + 0}`).map((_, j) => `v${sent.length + j}`);
        sent.push(...batch);
        await p0.send({ messages: batch.map((value, j) => ({ topic, value, partition: j % 3 })) });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-kafka-restore-"));
    dirs.push(dir);
    const seen: string[] = [];
    const againInState: string[] = [];
    let distinctInState = 0;
    const run = (options: Record<string, unknown>) => {
      const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, checkpointInterval: 15, restoreFrom: "latest", ...options });
      const { output } = p.apply("Read", readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [topic], valueDeserializer: "string", pollMs: 20 }));
      output.apply("Record", parDo<KafkaRecord<Uint8Array, string>, never>({ process: (r) => void seen.push(r.value!) }));
      output
        .apply("Key", map((r: KafkaRecord<Uint8Array, string>) => kv("all", r.value!)))
        .apply(
          "Dedupe",
          statefulParDo({
            state: { values: StateSpecs.set<string>(stringUtf8Coder) },
            process(e: KV<string, string>, ctx) {
              if (!ctx.state.values.add(e.value)) againInState.push(e.value);
              else distinctInState++;
            },
          }),
        );
      return p.run().waitUntilFinish();
    };
    let stops = 0;
    for (let k = 0; k < 8; k++) {
      const state = await run({ stopAfterCheckpoint: 2 + (k % 3) });
      expect(state).toBe("CANCELLED");
      stops++;
    }
    await produce;
    await p0.close();
    // The last run reads on until everything sent has been seen, then stops after a checkpoint.
    for (let k = 0; k < 20 && new Set(seen).size < n; k++) expect(await run({ stopAfterCheckpoint: 3 })).toBe("CANCELLED");
    expect(stops).toBe(8);
    expect(againInState).toEqual([]);
    expect([...new Set(seen)].sort()).toEqual([...sent].sort());
    console.info(`kafka restore: ${stops} stops, ${n} records, ${seen.length - new Set(seen).size} delivered twice downstream, ${distinctInState} counted in state`);
  }, 180_000);
});
