/**
 * Kafka's TLS and SASL options against a real broker (issue #20, "For all"): one KRaft
 * broker of its own (tools/servers/kafka.mjs), started once for this file with an SSL
 * listener (a throwaway CA and a server certificate for 127.0.0.1 made with openssl) and a
 * SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256). Each job writes with writeToKafka and
 * reads back with readFromKafka through the connector's options; a wrong CA or password
 * fails at once naming the brokers and the cause, never printing the password or key.
 * Like test/io/tls.test.ts it starts its own server, so BEAM_TS_SERVERS does not gate it;
 * BEAM_TS_TLS_SERVERS without "kafka" skips it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, Secret, create, parDo } from "../../src/index.js";
import { readFromKafka, writeToKafka, type KafkaConnection, type KafkaRecord } from "../../src/io/kafka/index.js";
import { startKafka, type KafkaServer } from "../../tools/servers/kafka.mjs";
import { failureOf, fullText, makeCertificates, type Certificates } from "./tls-certificates.js";

const enabled = (process.env["BEAM_TS_TLS_SERVERS"] ?? "kafka").split(",").map((s) => s.trim()).includes("kafka");

const USER = "beam";
const PASSWORD = "s3cret-pw-4711";

let seq = 0;
let broker: KafkaServer;

/** Writes 20 records to a new topic through `connection`, reads them back through it, and returns what was read. */
async function roundTrip(connection: KafkaConnection): Promise<string[]> {
  const topic = `security-${process.pid}-${seq++}`;
  // The topic first, over the plaintext listener: the producer does not create topics.
  const admin = new Admin({ clientId: "test-admin", bootstrapBrokers: [broker.bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  } finally {
    await admin.close();
  }
  const w = new Pipeline({ runner: "embedded" });
  w.apply(create(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })))).apply(
    writeToKafka<string, string>({ ...connection, topic, keySerializer: "string", valueSerializer: "string" }),
  );
  expect(await w.run().waitUntilFinish()).toBe("DONE");
  const got: string[] = [];
  const r = new Pipeline({ runner: "embedded", enforceImmutability: false });
  r.apply(readFromKafka<string, string>({ ...connection, topics: [topic], keyDeserializer: "string", valueDeserializer: "string", stopOffset: "latest", pollMs: 50 })).output.apply(
    parDo<KafkaRecord<string, string>, never>({
      process(rec) {
        got.push(`${rec.key}=${rec.value}`);
      },
    }),
  );
  expect(await r.run().waitUntilFinish()).toBe("DONE");
  return got.sort();
}

const expected = Array.from({ length: 20 }, (_, i) => `k${i}=v${i}`).sort();

describe.skipIf(!enabled)("Kafka over TLS and SASL", () => {
  let dir: string;
  let certs: Certificates;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "beam-ts-kafka-security-"));
    certs = makeCertificates(dir);
    broker = await startKafka({ tls: { certFile: certs.certFile, keyFile: certs.keyFile }, sasl: { users: { [USER]: PASSWORD } } });
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes and reads back over TLS trusting the broker's CA given as tls.ca", async () => {
    expect(await roundTrip({ bootstrapServers: broker.tlsBootstrap!, tls: { ca: certs.ca } })).toEqual(expected);
  }, 60_000);

  it("refuses a broker certificate signed by another CA at once, naming the brokers and tls.ca, never printing the key", async () => {
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
    p.apply(create([{ value: "x" }])).apply(writeToKafka<string, string>({ bootstrapServers: broker.tlsBootstrap!, tls: { ca: certs.otherCa, cert: readFileSync(certs.certFile, "utf8"), key: new Secret(certs.key) }, topic: "never", valueSerializer: "string" }));
    const text = fullText(await failureOf(p.run()));
    expect(text).toMatch(new RegExp(`could not write 1 records to topic "never" at ${broker.tlsBootstrap!.replace(/\./g, "\\.")}: the broker's TLS certificate was not accepted .*tls\\.ca`));
    expect(text).not.toContain("PRIVATE KEY");
  }, 60_000);

  it("writes and reads back over SASL PLAIN", async () => {
    expect(await roundTrip({ bootstrapServers: broker.saslBootstrap!, sasl: { mechanism: "PLAIN", username: USER, password: new Secret(PASSWORD) } })).toEqual(expected);
  }, 60_000);

  it("writes and reads back over SASL SCRAM-SHA-256", async () => {
    expect(await roundTrip({ bootstrapServers: broker.saslBootstrap!, sasl: { mechanism: "SCRAM-SHA-256", username: USER, password: new Secret(PASSWORD) } })).toEqual(expected);
  }, 60_000);

  for (const mechanism of ["PLAIN", "SCRAM-SHA-256"] as const) {
    it(`fails at once on a wrong ${mechanism} password, naming the brokers and saying authentication failed, never printing the password`, async () => {
      const wrong = "wrong-pw-0815";
      const r = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      r.apply(readFromKafka<string, string>({ bootstrapServers: broker.saslBootstrap!, sasl: { mechanism, username: USER, password: new Secret(wrong) }, topics: ["never"], stopOffset: "latest" }));
      const readText = fullText(await failureOf(r.run()));
      expect(readText).toMatch(new RegExp(`could not list the partitions to read at ${broker.saslBootstrap!.replace(/\./g, "\\.")}: authentication failed \\(SASL ${mechanism} as user "${USER}"\\).*sasl\\.password`));

      const w = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
      w.apply(create([{ value: "x" }])).apply(writeToKafka<string, string>({ bootstrapServers: broker.saslBootstrap!, sasl: { mechanism, username: USER, password: wrong }, topic: "never", valueSerializer: "string" }));
      const writeText = fullText(await failureOf(w.run()));
      expect(writeText).toMatch(new RegExp(`could not write 1 records to topic "never" at ${broker.saslBootstrap!.replace(/\./g, "\\.")}: authentication failed`));
      for (const text of [readText, writeText]) {
        expect(text).not.toContain(wrong);
        expect(text).not.toContain(PASSWORD);
      }
    }, 60_000);
  }
});
