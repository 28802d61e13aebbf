/**
 * The pipeline of `npm run bench:kafka` (bench/kafka.ts): readFromKafka (bounded at the
 * input's end) → map → writeToKafka (idempotent producer). Also the module worker threads
 * import at --parallelism 2 (closures cannot cross threads): imported there, it builds the
 * pipeline from BENCH_KAFKA_* and runs it (the run is captured in a worker thread).
 */
import { isMainThread } from "node:worker_threads";
import { Pipeline, map } from "../src/index.js";
import { readFromKafka, writeToKafka, type KafkaRecord, type KafkaWriteRecord } from "../src/io/kafka/index.js";

/** Where the pipeline reads and writes, from the environment the benchmark sets. */
export function benchTopics(): { bootstrap: string; input: string; output: string } {
  const get = (name: string) => {
    const v = process.env[name];
    if (v === undefined || v === "") throw new Error(`${name} is not set: run bench/kafka.ts`);
    return v;
  };
  return { bootstrap: get("BENCH_KAFKA_BOOTSTRAP"), input: get("BENCH_KAFKA_INPUT"), output: get("BENCH_KAFKA_OUTPUT") };
}

/** The map step of both the pipeline and the plain client loop: the value upper-cased, keyed by itself. */
export function transform(value: string): { key: string; value: string } {
  return { key: value.slice(0, 8), value: value.toUpperCase() };
}

export function buildBenchPipeline(p: Pipeline): void {
  const { bootstrap, input, output } = benchTopics();
  p.apply("Read", readFromKafka<Uint8Array, string>({ bootstrapServers: bootstrap, topics: [input], stopOffset: "latest", valueDeserializer: "string", pollMs: 50 }))
    .output.apply("Upper", map((r: KafkaRecord<Uint8Array, string>): KafkaWriteRecord<string, string> => transform(r.value!)))
    .apply("Write", writeToKafka<string, string>({ bootstrapServers: bootstrap, topic: output, keySerializer: "string", valueSerializer: "string" }));
}

if (!isMainThread) {
  const p = new Pipeline({ parallelism: Number(process.env["BENCH_KAFKA_PARALLELISM"] ?? 2) });
  buildBenchPipeline(p);
  await p.run().waitUntilFinish();
}
