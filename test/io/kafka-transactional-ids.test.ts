/**
 * The exactly-once Kafka sink's transactional ids against a real broker (Kafka 4.x of
 * test/job-services-setup.ts): one pool per executor, and slots held by pre-committed
 * transactions across a teardown. BEAM_TS_SERVERS without "kafka" skips it.
 */
import { describe, expect, inject, it } from "vitest";
import { resolveKafkaConnection } from "../../src/io/kafka/kafka-connection.js";
import { serializerOf } from "../../src/io/kafka/serde.js";
import { KafkaTransactionalSink, type KafkaTxnHandle } from "../../src/io/kafka/transactional-sink.js";
import type { WriteSettings } from "../../src/io/kafka/write-to-kafka.js";
import type { DoFnMetrics, ExecutorIdentity } from "../../src/transforms/index.js";
import { committedValues, createTopic } from "./fixtures/kafka-topics.js";

const bootstrap = inject("kafkaBootstrap4");

const metrics: DoFnMetrics = {
  counter: () => ({ inc() {}, dec() {} }),
  distribution: () => ({ update() {} }),
  gauge: () => ({ set() {} }),
  stringSet: () => ({ add() {} }),
};

function sinkFor(topic: string, prefix: string): KafkaTransactionalSink<string, string> {
  const settings: WriteSettings<string, string> = {
    connection: resolveKafkaConnection("test", { bootstrapServers: bootstrap }),
    topic,
    key: serializerOf<string>("test", "string"),
    value: serializerOf<string>("test", "string"),
    compression: undefined,
  };
  return new KafkaTransactionalSink(settings, "Test/Write", prefix, 4, 60_000);
}

/** One bundle through the sink, up to its pre-commit. */
async function preCommitted(sink: KafkaTransactionalSink<string, string>, executor: ExecutorIdentity, value: string): Promise<KafkaTxnHandle> {
  const txn = await sink.begin({ metrics, executor });
  sink.write(txn, { value });
  return sink.preCommit(txn);
}

describe.skipIf(bootstrap === "")("the exactly-once Kafka sink's transactional ids", () => {
  it("gives each executor its own ids: two executors' pending transactions both commit", async () => {
    const topic = await createTopic(bootstrap, "txn-ids", 1);
    const prefix = `ids-${topic}`;
    // Two executors of one job: each rebuilds the pipeline, so each has its own sink object.
    const [a, b] = [sinkFor(topic, prefix), sinkFor(topic, prefix)];
    const ha = await preCommitted(a, { index: 0, count: 2 }, "from-0");
    const hb = await preCommitted(b, { index: 1, count: 2 }, "from-1");
    expect(ha.transactionalId).not.toBe(hb.transactionalId);
    await a.commit(ha);
    await b.commit(hb);
    await Promise.all([a.teardown(), b.teardown()]);
    expect((await committedValues(bootstrap, topic, 2)).sort()).toEqual(["from-0", "from-1"]);
  }, 60_000);

  it("keeps the slot of a pre-committed transaction across a teardown, so the next bundle does not abort it", async () => {
    const topic = await createTopic(bootstrap, "txn-slot", 1);
    const sink = sinkFor(topic, `slot-${topic}`);
    const executor = { index: 0, count: 1 };
    const first = await preCommitted(sink, executor, "before-failure");
    // A later bundle failed: the runner tears the DoFn instance down and makes a new one.
    await sink.teardown();
    const second = await preCommitted(sink, executor, "after-failure");
    expect(second.transactionalId).not.toBe(first.transactionalId);
    // The checkpoint covering both completes: both commits run (the first by protocol, its producer closed).
    await sink.commit(first);
    await sink.commit(second);
    await sink.teardown();
    expect((await committedValues(bootstrap, topic, 2)).sort()).toEqual(["after-failure", "before-failure"]);
  }, 60_000);
});
