/**
 * readFromKafka's options against a real broker (Kafka 4.x of test/job-services-setup.ts):
 * topicPattern with partitions and topics found while the job runs, startTimestamp,
 * maxRecords and maxReadTime, an idle partition that does not hold the watermark, the
 * backlog of a partition; writeToKafka's topicFn and Avro values both ways.
 * BEAM_TS_SERVERS without "kafka" skips it.
 */
import { Producer, stringSerializers } from "@platformatic/kafka";
import { describe, expect, inject, it } from "vitest";
import { MIN_TIMESTAMP, Pipeline, combinePerKey, count, create, fixedWindows, kv, map, parDo, windowInto, type KV } from "../../src/index.js";
import { readFromKafka, writeToKafka, type KafkaRecord, type KafkaWriteRecord, type RawKafkaRecord } from "../../src/io/kafka/index.js";
import { resolveKafkaConnection } from "../../src/io/kafka/kafka-connection.js";
import { PartitionWatermarkEstimator } from "../../src/io/kafka/kafka-watermark.js";
import { ReadPartitionFn } from "../../src/io/kafka/read-partition-fn.js";
import { OffsetRange, UNBOUNDED_OFFSET, type SplittableProcessContext } from "../../src/transforms/index.js";
import { committedValues, createTopic, growTopic } from "./fixtures/kafka-topics.js";

const bootstrap = inject("kafkaBootstrap4");

function producer() {
  return new Producer({ clientId: "test-producer", bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true });
}

async function send(topic: string, messages: { value: string; partition: number; timestamp?: bigint }[]): Promise<void> {
  const p = producer();
  try {
    await p.send({ messages: messages.map((m) => ({ topic, ...m })) });
  } finally {
    await p.close();
  }
}

/** Waits until `done()` or `ms` pass, polling. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe.skipIf(bootstrap === "")("readFromKafka options and writeToKafka's topicFn and Avro (Kafka 4)", () => {
  it("reads the topics a pattern matches, and a partition and a topic added while the job runs", async () => {
    const first = await createTopic(bootstrap, "pattern-x", 1);
    const seen = new Set<string>();
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topicPattern: new RegExp(`pattern-x-${process.pid}-.*`), valueDeserializer: "string", pollMs: 50, partitionDiscoveryIntervalMs: 200 }))
      .output.apply("Collect", parDo<KafkaRecord<Uint8Array, string>, never>({ process: (r) => void seen.add(`${r.topic === first ? "first" : "second"}/${r.partition}/${r.value}`) }));
    await send(first, [{ value: "a", partition: 0 }]);
    const result = p.run();
    await until(() => seen.size === 1, 20_000);
    await growTopic(bootstrap, first, 2);
    await send(first, [{ value: "b", partition: 1 }]);
    const second = await createTopic(bootstrap, "pattern-x", 1);
    await send(second, [{ value: "c", partition: 0 }]);
    await until(() => seen.size === 3, 20_000);
    await result.cancel();
    expect([...seen].sort()).toEqual(["first/0/a", "first/1/b", "second/0/c"]);
  }, 60_000);

  it("starts each partition at its first record at or after startTimestamp", async () => {
    const topic = await createTopic(bootstrap, "start-ts", 2);
    await send(topic, [1000n, 2000n, 3000n].flatMap((t) => [0, 1].map((partition) => ({ value: `${partition}@${t}`, partition, timestamp: t }))));
    const got: string[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [topic], startTimestamp: 2000, stopOffset: "latest", valueDeserializer: "string", pollMs: 50 }))
      .output.apply("Collect", parDo<KafkaRecord<Uint8Array, string>, never>({ process: (r) => void got.push(r.value!) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(got.sort()).toEqual(["0@2000", "0@3000", "1@2000", "1@3000"]);
  }, 60_000);

  it("ends a read after maxRecords records in all, or after maxReadTime", async () => {
    const topic = await createTopic(bootstrap, "max", 3);
    await send(topic, Array.from({ length: 30 }, (_, i) => ({ value: `v${i}`, partition: i % 3 })));
    const got: string[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [topic], maxRecords: 7, valueDeserializer: "string", pollMs: 50 }))
      .output.apply("Collect", parDo<KafkaRecord<Uint8Array, string>, never>({ process: (r) => void got.push(r.value!) }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect(got).toHaveLength(7);
    expect(new Set(got).size).toBe(7);

    const timed: string[] = [];
    const started = Date.now();
    const q = new Pipeline({ enforceImmutability: false });
    q.apply(readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [topic], maxReadTime: 1500, valueDeserializer: "string", pollMs: 50 }))
      .output.apply("Collect", parDo<KafkaRecord<Uint8Array, string>, never>({ process: (r) => void timed.push(r.value!) }));
    // Nothing ends this read but its time: the topic never gets to an end.
    expect(await q.run().waitUntilFinish()).toBe("DONE");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(timed.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
  }, 60_000);

  it("fires event-time windows while an idle partition gets no records, once it has been idle for idleTimeoutMs", async () => {
    const topic = await createTopic(bootstrap, "idle", 2);
    // Partition 1 stays empty; partition 0's records are a minute old, all in one window.
    const base = Date.now() - 60_000;
    await send(topic, [0, 1, 2].map((i) => ({ value: `v${i}`, partition: 0, timestamp: BigInt(base + i) })));
    const fired: KV<string, number>[] = [];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [topic], valueDeserializer: "string", timestampPolicy: "createTime", idleTimeoutMs: 300, idleLagMs: 0, pollMs: 50 }))
      .output.apply("Key", map((r: KafkaRecord<Uint8Array, string>) => kv("all", r.value!)))
      .apply("Windows", windowInto(fixedWindows(10_000)))
      .apply("Count", combinePerKey(count()))
      .apply("Collect", parDo<KV<string, number>, never>({ process: (e) => void fired.push(e) }));
    const result = p.run();
    // The job is unbounded: the window can only fire because the watermark passed it.
    await until(() => fired.length > 0, 20_000);
    await result.cancel();
    expect(fired).toEqual([kv("all", 3)]);
  }, 60_000);

  it("reports the backlog of an unbounded partition: its end offset at the last fetch less the position", async () => {
    const topic = await createTopic(bootstrap, "backlog", 1);
    await send(topic, Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: 0 })));
    const fn = new ReadPartitionFn(
      { connection: resolveKafkaConnection("test", { bootstrapServers: bootstrap }), readCommitted: false, timestampPolicy: "logAppendTime", pollMs: 50, maxBytesPerFetch: 1, minBytesPerFetch: 1, idleLagMs: 0, idleTimeoutMs: 0, commitGroup: undefined },
      "Test/Read",
    );
    await fn.setup();
    try {
      const d = { topic, partition: 0, startOffset: 0, stopOffset: undefined };
      const range = new OffsetRange(0, UNBOUNDED_OFFSET);
      const tracker = fn.newTracker(d, range);
      // Before any fetch the end is unknown: no backlog to report.
      expect(fn.getSize(d, range)).toBe(0);
      const emitted: RawKafkaRecord[] = [];
      const ctx = {
        tracker,
        watermarkEstimator: new PartitionWatermarkEstimator({ watermark: MIN_TIMESTAMP, maxEventTime: MIN_TIMESTAMP }, 0, 0),
        processingTime: Date.now(),
        outputWithTimestamp: (r: RawKafkaRecord) => void emitted.push(r),
        bundleFinalizer: { afterBundleCommit: () => undefined },
      } as unknown as SplittableProcessContext<RawKafkaRecord, OffsetRange, number>;
      await fn.process(d, ctx);
      const read = emitted.length;
      expect(read).toBeGreaterThan(0);
      expect(fn.getSize(d, new OffsetRange(read, UNBOUNDED_OFFSET))).toBe(40 - read);
      expect(tracker.getProgress()).toEqual({ workCompleted: read - 1, workRemaining: 40 - (read - 1) });
    } finally {
      await fn.teardown();
    }
  }, 60_000);

  it("writes each record to the topic topicFn names", async () => {
    const [even, odd] = [await createTopic(bootstrap, "even", 1), await createTopic(bootstrap, "odd", 1)];
    const p = new Pipeline({ enforceImmutability: false });
    p.apply(create([1, 2, 3, 4, 5]))
      .apply(map((i: number): KafkaWriteRecord<string, string> => ({ value: String(i) })))
      .apply(writeToKafka<string, string>({ bootstrapServers: bootstrap, topicFn: (r) => (Number(r.value) % 2 === 0 ? even : odd), valueSerializer: "string", exactlyOnce: true, transactionalIdPrefix: `topicfn-${even}` }));
    expect(await p.run().waitUntilFinish()).toBe("DONE");
    expect((await committedValues(bootstrap, even, 2)).sort()).toEqual(["2", "4"]);
    expect((await committedValues(bootstrap, odd, 3)).sort()).toEqual(["1", "3", "5"]);
  }, 60_000);

  it("writes and reads Avro values with a schema, in Confluent's wire format", async () => {
    const topic = await createTopic(bootstrap, "avro", 1);
    const schema = { type: "record", name: "Order", fields: [{ name: "id", type: "int" }, { name: "item", type: "string" }] };
    const format = { avroSchema: schema, confluentWireFormat: { schemaId: 7 } };
    type Order = { id: number; item: string };
    const orders: Order[] = [{ id: 1, item: "tea" }, { id: 2, item: "milk" }];
    const w = new Pipeline({ enforceImmutability: false });
    w.apply(create(orders))
      .apply(map((o: Order): KafkaWriteRecord<string, Order> => ({ value: o })))
      .apply(writeToKafka<string, Order>({ bootstrapServers: bootstrap, topic, valueSerializer: format }));
    expect(await w.run().waitUntilFinish()).toBe("DONE");
    const got: Order[] = [];
    const r = new Pipeline({ enforceImmutability: false });
    r.apply(readFromKafka<Uint8Array, Order>({ bootstrapServers: bootstrap, topics: [topic], stopOffset: "latest", valueDeserializer: format, pollMs: 50 }))
      .output.apply("Collect", parDo<KafkaRecord<Uint8Array, Order>, never>({ process: (rec) => void got.push({ ...rec.value! }) }));
    expect(await r.run().waitUntilFinish()).toBe("DONE");
    expect(got.sort((a, b) => a.id - b.id)).toEqual(orders);
  }, 60_000);
});
