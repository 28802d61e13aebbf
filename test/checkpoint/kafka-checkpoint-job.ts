import { Admin } from "@platformatic/kafka";
import {
  Pipeline,
  StateSpecs,
  combinePerKey,
  fixedWindows,
  kv,
  map,
  parDo,
  statefulParDo,
  sum,
  windowInto,
  type DoFn,
  type KV,
  type ProcessContext,
} from "../../src/index.js";
import { readFromKafka, writeToKafka, type KafkaRecord, type KafkaWriteRecord, type RawKafkaRecord } from "../../src/io/kafka/index.js";

/** Record i of the input topic: its value, and its event time (10 ms apart). */
export const inputValue = (i: number): string => `v${i}`;
const indexOf = (value: string): number => Number(value.slice(1));
const utf8 = new TextDecoder();

/** What the job takes from its command line. */
export interface KafkaJobArgs {
  readonly bootstrap: string;
  readonly input: string;
  readonly output: string;
  /** Records per second each run may pass on (the wall clock paces the job, so it outlives its kills). */
  readonly rate: number;
}

/** The consumer group the job commits its read offsets to. */
export const readGroupOf = (input: string): string => `kill-job-${input}`;

/** Partitions of the input topic; record i is in partition i % INPUT_PARTITIONS, so each is in index order. */
export const INPUT_PARTITIONS = 4;

/**
 * Whether the job has read all `n` records of `input` into a durable checkpoint: the offsets
 * it committed to its group (after the checkpoint covering them) reached each partition's end.
 */
export async function readToEnd(bootstrap: string, input: string, n: number): Promise<boolean> {
  const admin = new Admin({ clientId: "kill-job-watch", bootstrapBrokers: [bootstrap] });
  try {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [readGroupOf(input)] });
    const partitions = group?.topics.find((t) => t.name === input)?.partitions ?? [];
    return Array.from({ length: INPUT_PARTITIONS }, (_, p) => p).every((p) => {
      const end = Math.floor(n / INPUT_PARTITIONS) + (p < n % INPUT_PARTITIONS ? 1 : 0);
      return Number(partitions.find((x) => x.partitionIndex === p)?.committedOffset ?? -1n) >= end;
    });
  } finally {
    await admin.close();
  }
}

/**
 * The streaming job the Kafka failure-injection suite kills and restores: an unbounded
 * readFromKafka over every partition of `input` (event time from the
 * record's index, 10 ms each), paced to `rate` records a second; then a stateful running
 * count per key (k0..k2) that passes every record on as `e v<i>`, and a windowed sum per
 * key (1 s windows) as `s <key> <window start> <sum>`; both written to `output` by
 * writeToKafka exactly once.
 */
export function buildKafkaJob(p: Pipeline, a: KafkaJobArgs): void {
  const { output } = p.apply(
    "Read",
    readFromKafka<Uint8Array, string>({
      bootstrapServers: a.bootstrap,
      topics: [a.input],
      valueDeserializer: "string",
      pollMs: 20,
      maxBytesPerFetch: 4096,
      // Tells the fixture when every record was read into a durable checkpoint (it then drains the job).
      commitOffsetsInFinalize: { groupId: readGroupOf(a.input) },
      timestampPolicy: { timestampFn: (r: RawKafkaRecord) => indexOf(utf8.decode(r.value!)) * 10, maxDelayMs: 0 },
    }),
  );
  const keyed = output
    .apply("Pace", parDo(pace<KafkaRecord<Uint8Array, string>>(a.rate), { maxConcurrency: 1 }))
    .apply("Key", map((r: KafkaRecord<Uint8Array, string>) => kv(`k${indexOf(r.value!) % 3}`, indexOf(r.value!))));
  const write = (name: string) =>
    writeToKafka<string, string>({ bootstrapServers: a.bootstrap, topic: a.output, valueSerializer: "string", exactlyOnce: true, transactionalIdPrefix: `kill-${name}-${a.output}`, transactionTimeoutMs: 120_000 });
  keyed
    .apply(
      "RunningCount",
      statefulParDo({
        state: { count: StateSpecs.value<number>() },
        process(e: KV<string, number>, ctx) {
          ctx.state.count.write((ctx.state.count.read() ?? 0) + 1);
          ctx.output(`e ${inputValue(e.value)}`);
        },
      }),
    )
    .apply("AsRecord", map((line: string): KafkaWriteRecord<string, string> => ({ value: line })))
    .apply("WriteElements", write("elements"));
  keyed
    .apply("Windows", windowInto(fixedWindows(1000)))
    .apply("Sum", combinePerKey(sum()))
    .apply(
      "Format",
      parDo<KV<string, number>, KafkaWriteRecord<string, string>>({
        process(e, ctx) {
          ctx.output({ value: `s ${e.key} ${(ctx.window as unknown as { start: number }).start} ${e.value}` });
        },
      }),
    )
    .apply("WriteSums", write("sums"));
}

/** The output topic's values the job must leave, read with read_committed, sorted. */
export function expectedOutput(n: number): string[] {
  const lines: string[] = [];
  const sums = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    lines.push(`e ${inputValue(i)}`);
    const at = `k${i % 3} ${Math.floor((i * 10) / 1000) * 1000}`;
    sums.set(at, (sums.get(at) ?? 0) + i);
  }
  for (const [at, s] of sums) lines.push(`s ${at} ${s}`);
  return lines.sort();
}

/** Passes elements on at no more than `rate` a second since the instance's first element. */
function pace<T>(rate: number): DoFn<T, T> & { started?: number; passed?: number } {
  return {
    async process(e: T, ctx: ProcessContext<T>) {
      this.started ??= Date.now();
      this.passed = (this.passed ?? 0) + 1;
      const due = this.started + (this.passed * 1000) / rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      ctx.output(e);
    },
  };
}
