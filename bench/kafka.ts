/**
 * `npm run bench:kafka`: Kafka read → map → Kafka write, events/s, on one and two threads
 * (--parallelism 1 and 2), against the client library's own loop measured in the same run:
 * @platformatic/kafka's consumer stream → the same map → its producer (idempotent, acks all),
 * batches of 500. A throwaway Kafka 4.x broker (tools/servers/kafka.mjs); BENCH_KAFKA_EVENTS
 * records (default 200 000) of about 60 bytes in 4 partitions, the same input for every
 * run; each run writes to a fresh output topic and is checked to have written every record.
 * BENCH_KAFKA_REPEATS (default 3; the best is reported). Job start is included.
 */
import { fileURLToPath } from "node:url";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { Pipeline } from "../src/index.js";
import { startKafka } from "../tools/servers/kafka.mjs";
import { buildBenchPipeline, transform } from "./kafka-pipeline.js";

const EVENTS = Number(process.env["BENCH_KAFKA_EVENTS"] ?? 200_000);
const REPEATS = Number(process.env["BENCH_KAFKA_REPEATS"] ?? 3);
const PARTITIONS = 4;
const MODULE = fileURLToPath(new URL("./kafka-pipeline.ts", import.meta.url));

const kafka = await startKafka({ line: "4" });
const bootstrapBrokers = [kafka.bootstrap];
const admin = new Admin({ clientId: "bench", bootstrapBrokers });
let topicSeq = 0;

async function topic(name: string): Promise<string> {
  const t = `bench-${name}-${topicSeq++}`;
  await admin.createTopics({ topics: [t], partitions: PARTITIONS, replicas: 1 });
  return t;
}

/** Records in a topic: the sum of its partitions' end offsets (no transactions here). */
async function recordsIn(t: string): Promise<number> {
  const listed = (await admin.listOffsets({ topics: [{ name: t, partitions: Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] }))[0];
  return (listed?.partitions ?? []).reduce((n, p) => n + Number(p.offset), 0);
}

async function fill(input: string): Promise<void> {
  const producer = new Producer({ clientId: "bench-fill", bootstrapBrokers, serializers: stringSerializers, idempotent: true });
  for (let from = 0; from < EVENTS; from += 5000) {
    const n = Math.min(5000, EVENTS - from);
    await producer.send({ messages: Array.from({ length: n }, (_, j) => ({ topic: input, value: `event-${String(from + j).padStart(9, "0")}-payload-abcdefghijklmnopqrstuvwxyz`, partition: (from + j) % PARTITIONS })) });
  }
  await producer.close();
}

/** The client's own loop: consume from the earliest offsets, map, produce in batches, until every record is through. */
async function clientLoop(input: string, output: string): Promise<void> {
  const consumer = new Consumer({ clientId: "bench-loop", bootstrapBrokers, groupId: `bench-loop-${topicSeq++}`, deserializers: stringDeserializers });
  const producer = new Producer({ clientId: "bench-loop", bootstrapBrokers, serializers: stringSerializers, idempotent: true, acks: -1 });
  const stream = await consumer.consume({ topics: [input], mode: "earliest", autocommit: false, maxWaitTime: 50 });
  let seen = 0;
  let batch: { topic: string; key: string; value: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    await producer.send({ messages });
  };
  for await (const message of stream) {
    batch.push({ topic: output, ...transform(message.value) });
    if (batch.length >= 500) await flush();
    if (++seen >= EVENTS) break;
  }
  await flush();
  await stream.close();
  await Promise.all([consumer.close(true), producer.close()]);
}

async function beam(input: string, output: string, parallelism: number): Promise<void> {
  process.env["BENCH_KAFKA_BOOTSTRAP"] = kafka.bootstrap;
  process.env["BENCH_KAFKA_INPUT"] = input;
  process.env["BENCH_KAFKA_OUTPUT"] = output;
  process.env["BENCH_KAFKA_PARALLELISM"] = String(parallelism);
  const p = new Pipeline({ runner: "embedded", enforceImmutability: false, quiet: true, ...(parallelism > 1 ? { parallelism, pipelineModule: MODULE } : {}) });
  buildBenchPipeline(p);
  const state = await p.run().waitUntilFinish();
  if (state !== "DONE") throw new Error(`the pipeline ended ${state}`);
}

async function measure(name: string, input: string, body: (input: string, output: string) => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const output = await topic("out");
    const start = performance.now();
    await body(input, output);
    best = Math.min(best, performance.now() - start);
    const written = await recordsIn(output);
    if (written < EVENTS) throw new Error(`${name} wrote ${written} records, not ${EVENTS}`);
  }
  const rate = EVENTS / (best / 1000);
  console.log(`${name.padEnd(34)} ${Math.round(rate).toLocaleString("en").padStart(10)} events/s  (${best.toFixed(0)} ms for ${EVENTS}, best of ${REPEATS})`);
  return rate;
}

try {
  const input = await topic("in");
  await fill(input);
  const loop = await measure("client loop (consumer → producer)", input, clientLoop);
  const one = await measure("beam-ts, 1 thread", input, (i, o) => beam(i, o, 1));
  const two = await measure("beam-ts, --parallelism 2", input, (i, o) => beam(i, o, 2));
  console.log(`ratio to the client loop: 1 thread ${(one / loop).toFixed(2)}, 2 threads ${(two / loop).toFixed(2)}`);
} finally {
  await admin.close();
  await kafka.stop();
}
