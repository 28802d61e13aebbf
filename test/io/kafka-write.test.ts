/**
 * writeToKafka against the real brokers of test/job-services-setup.ts (Kafka 3.9 and 4.x):
 * the idempotent writer, and the exactly-once writer in a read → map → write job stopped
 * after checkpoints and restored again and again, its output read back with read_committed.
 * BEAM_TS_SERVERS without "kafka" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { Pipeline, create, map, parDo } from "../../src/index.js";
import { readFromKafka, writeToKafka, type KafkaRecord, type KafkaWriteRecord } from "../../src/io/kafka/index.js";
import { transactionalIdOf } from "../../src/io/kafka/transactional-sink.js";
import { TwoPhaseCommitDoFn } from "../../src/transforms/two-phase-commit/two-phase-commit-write.js";

const BROKERS = [
  { line: "3.9", bootstrap: inject("kafkaBootstrap39") },
  { line: "4", bootstrap: inject("kafkaBootstrap4") },
].filter((b) => b.bootstrap !== "");

let topicSeq = 0;
async function createTopic(bootstrap: string, partitions: number): Promise<string> {
  const topic = `write-${process.pid}-${Date.now()}-${topicSeq++}`;
  const admin = new Admin({ clientId: "test-admin", bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  return topic;
}

/** Every record of `topic` up to its end now, read by readFromKafka (read_committed or not). */
async function readAll(bootstrap: string, topic: string, readCommitted: boolean): Promise<KafkaRecord<string, string>[]> {
  const got: KafkaRecord<string, string>[] = [];
  const p = new Pipeline({ enforceImmutability: false });
  const { output } = p.apply(
    readFromKafka<string, string>({ bootstrapServers: bootstrap, topics: [topic], stopOffset: "latest", keyDeserializer: "string", valueDeserializer: "string", withReadCommitted: readCommitted, pollMs: 50 }),
  );
  output.apply("Collect", parDo<KafkaRecord<string, string>, never>({ process: (r) => void got.push(r) }));
  expect(await p.run().waitUntilFinish()).toBe("DONE");
  return got;
}

describe("writeToKafka with no broker", () => {
  it("fails within its start budget, not the 120 s outage budget, naming the step, the address and a hint when no broker listens there at start", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const p = new Pipeline({ enforceImmutability: false, maxBundleRetries: 0 });
    p.apply(create(["a"]))
      .apply(map((v: string): KafkaWriteRecord<string, string> => ({ value: v })))
      .apply("Orders", writeToKafka<string, string>({ bootstrapServers: `127.0.0.1:${port}`, topic: "orders", valueSerializer: "string", connectTimeoutMs: 1000 }));
    // The test's timeout (well under the 120 s outage budget) is what proves the writer gave up early.
    await expect(p.run().waitUntilFinish()).rejects.toThrow(
      new RegExp(`"Orders[^"]*" could not write 1 records to topic "orders" \\(tried for 10 s\\) at 127\\.0\\.0\\.1:${port}: .*Check that a broker listens there`),
    );
  }, 40_000);
});

describe.skipIf(BROKERS.length === 0)("writeToKafka", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("compresses batches as producerConfig's compression.type asks (Beam's withProducerConfigUpdates), read back by a reader with consumerConfig", async () => {
    const { bootstrap } = BROKERS[0]!;
    const value = "a".repeat(2000);
    /** Writes 100 compressible records to a new topic with `producerConfig`; the partition's size on the broker. */
    const written = async (producerConfig: Record<string, string>): Promise<{ topic: string; bytes: number }> => {
      const topic = await createTopic(bootstrap, 1);
      const p = new Pipeline({ enforceImmutability: false });
      p.apply(create(Array.from({ length: 100 }, (_, i) => i)))
        .apply(map((i: number): KafkaWriteRecord<string, string> => ({ key: `k${i}`, value })))
        .apply(writeToKafka<string, string>({ bootstrapServers: bootstrap, topic, keySerializer: "string", valueSerializer: "string", producerConfig }));
      expect(await p.run().waitUntilFinish()).toBe("DONE");
      const admin = new Admin({ clientId: "test-admin", bootstrapBrokers: [bootstrap] });
      try {
        const dirs = await admin.describeLogDirs({ topics: [{ name: topic, partitions: [0] }] });
        const bytes = dirs.flatMap((b) => b.results.flatMap((r) => r.topics.filter((t) => t.name === topic).flatMap((t) => t.partitions.map((x) => Number(x.partitionSize)))));
        return { topic, bytes: bytes.reduce((a, b) => a + b, 0) };
      } finally {
        await admin.close();
      }
    };
    const plain = await written({});
    const gzip = await written({ "compression.type": "gzip", "request.timeout.ms": "30000" });
    const lz4 = await written({ compression: "lz4" });
    expect(plain.bytes).toBeGreaterThan(200_000);
    expect(gzip.bytes).toBeLessThan(plain.bytes / 10);
    expect(lz4.bytes).toBeLessThan(plain.bytes / 10);
    const got: string[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    const { output } = p.apply(
      readFromKafka<string, string>({
        bootstrapServers: bootstrap,
        topics: [gzip.topic],
        stopOffset: "latest",
        keyDeserializer: "string",
        valueDeserializer: "string",
        consumerConfig: { "fetch.max.wait.ms": 50, "max.partition.fetch.bytes": 4096, "metadata.max.age.ms": 10_000 },
      }),
    );
    output.apply("Collect", parDo<KafkaRecord<string, string>, never>({ process: (r) => void got.push(r.key!) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(got.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`).sort());
  }, 90_000);

  for (const { line, bootstrap } of BROKERS) {
    it(`writes every element as a record with its key, value and headers through the idempotent producer (Kafka ${line})`, async () => {
      const topic = await createTopic(bootstrap, 2);
      const p = new Pipeline({ enforceImmutability: false });
      p.apply(create(Array.from({ length: 50 }, (_, i) => i)))
        .apply(map((i: number): KafkaWriteRecord<string, string> => ({ key: `k${i}`, value: `v${i}`, headers: [{ key: "n", value: new TextEncoder().encode(String(i)) }] })))
        .apply(writeToKafka<string, string>({ bootstrapServers: bootstrap, topic, keySerializer: "string", valueSerializer: "string" }));
      expect(await p.run().waitUntilFinish()).toBe("DONE");
      const got = await readAll(bootstrap, topic, false);
      expect(got.map((r) => r.value).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`).sort());
      const r7 = got.find((r) => r.key === "k7")!;
      expect(r7.value).toBe("v7");
      expect(r7.headers).toEqual([{ key: "n", value: new TextEncoder().encode("7") }]);
      // Same key, same partition (the client's murmur2 partitioner).
      expect(got.filter((r) => r.key === "k7").map((r) => r.partition)).toHaveLength(1);
    }, 60_000);

    it(`aborts a transaction that a crashed run left open on its transactional id before writing, so read_committed readers go on (Kafka ${line})`, async () => {
      const topic = await createTopic(bootstrap, 1);
      const prefix = `fence-${topic}`;
      // A crashed run's pre-committed transaction that no checkpoint covers: open, never committed.
      const zombie = new Producer({ clientId: "zombie", bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: transactionalIdOf(prefix, 0, 0), timeout: 60_000 });
      const txn = await zombie.beginTransaction();
      await txn.send({ messages: [{ topic, value: "zombie", partition: 0 }] });
      const p = new Pipeline({ enforceImmutability: false });
      p.apply(create(["a", "b"]))
        .apply(map((v: string): KafkaWriteRecord<string, string> => ({ value: v })))
        .apply(writeToKafka<string, string>({ bootstrapServers: bootstrap, topic, valueSerializer: "string", exactlyOnce: true, transactionalIdPrefix: prefix, transactionTimeoutMs: 60_000 }));
      expect(await p.run().waitUntilFinish()).toBe("DONE");
      // Without the fence the last stable offset would stay at the zombie's record for a minute.
      // The commit returns before the markers are in the partition: read until they are.
      let values: string[] = [];
      for (let k = 0; k < 50 && values.length < 2; k++) values = (await readAll(bootstrap, topic, true)).map((r) => r.value!);
      expect(values.sort()).toEqual(["a", "b"]);
      await expect(txn.commit()).rejects.toThrow();
      await zombie.close().catch(() => undefined);
    }, 60_000);

    it(`writes every input record exactly once to the output topic, seen with read_committed, across stops and restores (Kafka ${line})`, async () => {
      const recovered = vi.spyOn(TwoPhaseCommitDoFn.prototype, "recoverCommit");
      const input = await createTopic(bootstrap, 2);
      const output = await createTopic(bootstrap, 2);
      const n = 400;
      const producer = new Producer({ clientId: "test-producer", bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true });
      const sent: string[] = [];
      const produce = (async () => {
        while (sent.length < n) {
          const batch = Array.from({ length: 10 }, (_, j) => `r${sent.length + j}`);
          sent.push(...batch);
          await producer.send({ messages: batch.map((value, j) => ({ topic: input, value, partition: j % 2 })) });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-kafka-eos-"));
      dirs.push(dir);
      const run = (options: Record<string, unknown>) => {
        const p = new Pipeline({ enforceImmutability: false, checkpointDir: dir, checkpointInterval: 20, restoreFrom: "latest", ...options });
        p.apply("Read", readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [input], valueDeserializer: "string", pollMs: 20 }))
          .output.apply("Upper", map((r: KafkaRecord<Uint8Array, string>): KafkaWriteRecord<string, string> => ({ key: r.value!, value: r.value!.toUpperCase() })))
          .apply("Write", writeToKafka<string, string>({ bootstrapServers: bootstrap, topic: output, keySerializer: "string", valueSerializer: "string", exactlyOnce: true, transactionalIdPrefix: `eos-${output}`, transactionTimeoutMs: 60_000 }));
        return p.run().waitUntilFinish();
      };
      for (let k = 0; k < 6; k++) expect(await run({ stopAfterCheckpoint: 2 + (k % 3) })).toBe("CANCELLED");
      await produce;
      await producer.close();
      const expected = sent.map((v) => v.toUpperCase()).sort();
      let got: string[] = [];
      for (let k = 0; k < 15; k++) {
        expect(await run({ stopAfterCheckpoint: 3 })).toBe("CANCELLED");
        got = (await readAll(bootstrap, output, true)).map((r) => r.value!);
        if (got.length >= n) break;
      }
      // The last run stopped after a checkpoint with commits pending: a restore commits them.
      expect(await run({ stopAfterCheckpoint: 1 })).toBe("CANCELLED");
      got = (await readAll(bootstrap, output, true)).map((r) => r.value!);
      expect(recovered).toHaveBeenCalled();
      expect(got.sort()).toEqual(expected);
      // read_uncommitted sees the aborted leftovers too: proof that transactions were fenced, not avoided.
      const uncommitted = await readAll(bootstrap, output, false);
      console.info(`kafka ${line} exactly-once: ${n} records, ${uncommitted.length - got.length} records of aborted transactions in the log`);
      recovered.mockRestore();
    }, 240_000);
  }
});
