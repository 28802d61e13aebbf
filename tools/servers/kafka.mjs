#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
// Starts a throwaway Apache Kafka broker for tests and benchmarks: one KRaft node that is
// both broker and controller, listening on 127.0.0.1 at free ports, its log folder a new
// temporary folder. The jars come from Maven Central (kafka_2.13 with its runtime
// dependencies), resolved with mvn once and cached like the Flink job server
// (tools/runners/job-services.mjs, `ensureClasspath`).
//
//   node tools/servers/kafka.mjs [4|3.9]   # starts one, prints its address, stops on Ctrl-C
//
// Optionally with security listeners next to the PLAINTEXT one (which stays the inter-broker
// listener): SSL from a PEM certificate and key (ssl.keystore.type=PEM, Kafka 2.7+), and
// SASL_PLAINTEXT with PLAIN and SCRAM-SHA-256 users (the SCRAM credentials written by
// `kafka-storage format --add-scram`, KRaft 3.5+).
//
// Two lines are supported because Kafka 4.0 removed old protocol versions and ZooKeeper: a
// client must work against both a 3.9 broker and a 4.x one.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canConnect, ensureClasspath, freePort } from "../runners/job-services.mjs";

const HOST = "127.0.0.1";

/** The broker versions `startKafka` knows, by line: both are served by Maven Central. */
export const KAFKA_VERSIONS = {
  "3.9": process.env.BEAM_TS_KAFKA39_VERSION ?? "3.9.1",
  "4": process.env.BEAM_TS_KAFKA4_VERSION ?? "4.1.1",
};

/** Classpath of the Kafka broker `version` (kafka_2.13 and its runtime dependencies). */
export function ensureKafka(version) {
  // slf4j-simple: the 3.9 broker logs through slf4j and would print nothing without a binding.
  return ensureClasspath(`kafka-${version}`, [`org.apache.kafka:kafka_2.13:${version}`, "org.slf4j:slf4j-simple:2.0.16"]);
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding (what kafka-storage
 * random-uuid prints). Never one starting with "-": `format -t -x...` would read it as an
 * option and fail (1 start in 64); Kafka's own Uuid.randomUuid skips those too.
 */
function clusterId() {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** A JAAS value quoted for a properties file (backslashes and quotes escaped). */
function jaasQuote(value) {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The extra listeners' lines of server.properties: SSL from one PEM file (key then chain), SASL with JAAS per mechanism. */
function securityProperties({ dir, tls, sasl, sslPort, saslPort }) {
  const lines = [];
  if (tls !== undefined) {
    const keystore = join(dir, "keystore.pem");
    // A PEM keystore: the (unencrypted PKCS#8) private key followed by the certificate chain.
    writeFileSync(keystore, `${readFileSync(tls.keyFile, "utf8").trim()}\n${readFileSync(tls.certFile, "utf8").trim()}\n`, { mode: 0o600 });
    lines.push("ssl.keystore.type=PEM", `ssl.keystore.location=${keystore}`);
    if (tls.clientCaFile !== undefined) lines.push("ssl.truststore.type=PEM", `ssl.truststore.location=${tls.clientCaFile}`, "ssl.client.auth=required");
  }
  if (sasl !== undefined) {
    const users = Object.entries(sasl.users).map(([u, pw]) => `user_${u}=${jaasQuote(pw)}`).join(" ");
    lines.push(
      "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${users};`,
      "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
    );
  }
  const listeners = [
    ...(sslPort !== undefined ? [`SSL://${HOST}:${sslPort}`] : []),
    ...(saslPort !== undefined ? [`SASL_PLAINTEXT://${HOST}:${saslPort}`] : []),
  ];
  return { lines, listeners };
}

function serverProperties({ dir, port, controllerPort, tls, sasl, sslPort, saslPort }) {
  const security = securityProperties({ dir, tls, sasl, sslPort, saslPort });
  const extra = security.listeners.map((l) => `,${l}`).join("");
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${HOST}:${controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}${extra}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port}${extra}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    ...security.lines,
    `log.dirs=${join(dir, "data")}`,
    // One node: every internal topic has one replica, and a group starts at once.
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=4",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=4",
    "group.initial.rebalance.delay.ms=0",
    // Tests read from the start of topics: nothing is ever deleted by age.
    "log.retention.ms=-1",
    "num.partitions=1",
    "auto.create.topics.enable=true",
    "",
  ].join("\n");
}

const JAVA_OPTS = ["-Xms128m", "-Xmx768m", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"];

/**
 * Starts a single-node KRaft Kafka broker in a new temporary folder. `line` is "4" (default)
 * or "3.9". Resolves when the broker accepts connections on its PLAINTEXT listener (about
 * 3-6 s, plus the first mvn resolution).
 *
 * `tls` adds an SSL listener serving that PEM certificate and unencrypted PKCS#8 key (and
 * requiring client certificates signed by `clientCaFile` when given); `sasl` adds a
 * SASL_PLAINTEXT listener where each user may log in with PLAIN or SCRAM-SHA-256.
 *
 * @param {{ line?: "4" | "3.9", timeoutMs?: number, tls?: { certFile: string, keyFile: string, clientCaFile?: string }, sasl?: { users: Record<string, string> } }} [options]
 * `kill` then `restart` brings it back on the same ports and logs: a broker that goes away mid-job.
 *
 * @returns {Promise<{ host: string, port: number, bootstrap: string, tlsBootstrap?: string, saslBootstrap?: string, version: string, pid: number, stop: () => Promise<void>, kill: (signal?: NodeJS.Signals) => Promise<void>, restart: () => Promise<void> }>}
 */
export async function startKafka(options = {}) {
  const line = options.line ?? "4";
  const version = KAFKA_VERSIONS[line];
  if (version === undefined) throw new Error(`unknown Kafka line ${line}; expected one of ${Object.keys(KAFKA_VERSIONS).join(", ")}`);
  const classpath = await ensureKafka(version);
  const dir = mkdtempSync(join(tmpdir(), `beam-ts-kafka-${line}-`));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const sslPort = options.tls !== undefined ? await freePort() : undefined;
  const saslPort = options.sasl !== undefined ? await freePort() : undefined;
  const config = join(dir, "server.properties");
  writeFileSync(config, serverProperties({ dir, port, controllerPort, tls: options.tls, sasl: options.sasl, sslPort, saslPort }));
  // SCRAM users live in the cluster metadata: written at format time, before the broker first starts.
  const scram = Object.entries(options.sasl?.users ?? {}).flatMap(([u, pw]) => ["--add-scram", `SCRAM-SHA-256=[name=${u},password=${pw}]`]);
  const format = spawnSync(
    "java",
    [...JAVA_OPTS, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", config, "--ignore-formatted", ...scram],
    { encoding: "utf8" },
  );
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka-storage format failed (${format.status ?? format.signal}):\n${format.stdout}\n${format.stderr}`);
  }
  let child;
  let exited;
  /** Spawns the broker on the folder's config and logs and waits until its listener accepts connections. */
  const launch = async () => {
    child = spawn("java", [...JAVA_OPTS, "-cp", classpath, "kafka.Kafka", config], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const started = child;
    let log = "";
    const keep = (chunk) => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    started.stdout.on("data", keep);
    started.stderr.on("data", keep);
    exited = new Promise((resolve) => started.once("exit", resolve));
    let gone = false;
    started.once("exit", () => (gone = true));
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    try {
      for (;;) {
        if (gone) throw new Error(`Kafka ${version} exited at start:\n${log}`);
        if (await canConnect(port)) break;
        if (Date.now() > deadline) throw new Error(`Kafka ${version} did not accept connections on ${HOST}:${port} in time:\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch (err) {
      started.kill("SIGKILL");
      await exited;
      throw err;
    }
  };
  await launch().catch((err) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  /**
   * Ends the broker by `signal` and waits; its logs stay, for `restart`. SIGTERM is a
   * controlled shutdown; SIGKILL a crash, which the next start recovers from its logs.
   */
  const kill = async (signal = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const server = {
    host: HOST,
    port,
    bootstrap: `${HOST}:${port}`,
    ...(sslPort !== undefined ? { tlsBootstrap: `${HOST}:${sslPort}` } : {}),
    ...(saslPort !== undefined ? { saslBootstrap: `${HOST}:${saslPort}` } : {}),
    version,
    pid: child.pid,
    stop: async () => {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill,
    /** Starts the killed broker again on the same ports and logs. */
    restart: async () => {
      await launch();
      server.pid = child.pid;
    },
  };
  return server;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startKafka({ line: process.argv[2] ?? "4" });
  console.log(`Kafka ${server.version} at ${server.bootstrap} (pid ${server.pid}); Ctrl-C stops it and removes its folder.`);
  const done = () => void server.stop().then(() => process.exit(0));
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
}
