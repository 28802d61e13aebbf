/**
 * Failure injection with Kafka (issue #21): a child process runs readFromKafka (an input
 * topic of four partitions, filled beforehand) → a stateful count and a windowed sum →
 * writeToKafka exactly once, with checkpoints; it is killed with SIGKILL at 20 random points
 * (delays, and the runner's crash points inside a snapshot, a checkpoint's write and a held
 * commit) and restored each time, at --parallelism 1 and 2. The output topic, read with
 * read_committed, must then equal the reference: no duplicates, no gaps. One broker line
 * (Kafka 4.x) bounds the time. BEAM_TS_SERVERS without "kafka" skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, describe, expect, inject, it } from "vitest";
import { committedValues, createTopic, topicValues } from "../io/fixtures/kafka-topics.js";
import { INPUT_PARTITIONS, expectedOutput, inputValue } from "./kafka-checkpoint-job.js";
import { killPoints, runJob } from "./kill-runs.js";

const bootstrap = inject("kafkaBootstrap4");
const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "kafka-kill-job.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


/** Fills `topic` with records 0..n-1, record i in partition i % INPUT_PARTITIONS (so each partition is in index order). */
async function fill(topic: string, n: number): Promise<void> {
  const producer = new Producer({ clientId: "test-fill", bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true });
  try {
    for (let from = 0; from < n; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, n - from) }, (_, j) => from + j);
      await producer.send({ messages: batch.map((i) => ({ topic, value: inputValue(i), partition: i % INPUT_PARTITIONS })) });
    }
  } finally {
    await producer.close();
  }
}

describe.skipIf(bootstrap === "").each([1, 2])("failure injection with Kafka at --parallelism %i", (parallelism) => {
  it("killed with SIGKILL at 20 random points and restored each time, the output topic read with read_committed equals the reference: no duplicates, no gaps", async () => {
    const n = 5000;
    const input = await createTopic(bootstrap, "kill-in", INPUT_PARTITIONS);
    const output = await createTopic(bootstrap, "kill-out", 2);
    await fill(input, n);
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-kafka-kill-"));
    dirs.push(dir);
    const args = [
      `--bootstrap=${bootstrap}`,
      `--input=${input}`,
      `--output=${output}`,
      `--n=${n}`,
      `--rate=${500 / parallelism}`,
      `--checkpointDir=${path.join(dir, "checkpoints")}`,
      "--checkpointInterval=100ms",
      "--restoreFrom=latest",
      `--parallelism=${parallelism}`,
    ];
    // The job is paced by the wall clock (10 s of input in all), so it outlives 20 kills; a
    // run whose kill point never came simply finishes (drained once it has read everything;
    // a run restored from that final checkpoint is done at once), and the loop goes on.
    const kills = killPoints(20261207 + 7 * parallelism, 50, { minMs: 500, maxMs: 1600, paneRenames: false });
    let killed = 0;
    let runs = 0;
    const started = Date.now();
    for (const kill of kills) {
      if (killed === 20) break;
      runs++;
      const state = await runJob(fixture, args, kill);
      if (state === "KILLED") killed++;
      else expect(["DRAINED", "DONE"]).toContain(state);
    }
    expect(killed).toBe(20);
    expect(["DRAINED", "DONE"]).toContain(await runJob(fixture, args, undefined));
    const expected = expectedOutput(n);
    const got = (await committedValues(bootstrap, output, expected.length)).sort();
    const uncommitted = await topicValues(bootstrap, output, false);
    console.info(`kafka failure injection, parallelism ${parallelism}: ${runs} runs, ${killed} kills, ${((Date.now() - started) / 1000).toFixed(1)} s; ${uncommitted.length - got.length} records of aborted transactions in the log`);
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
  }, 180_000);
});
