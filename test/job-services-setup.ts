import type { TestProject } from "vitest/node";
import { startFlink, startPrism, startSpark, type JobService } from "../tools/runners/job-services.mjs";
import { startPostgres } from "../tools/servers/postgres.mjs";
import { startKafka } from "../tools/servers/kafka.mjs";
import { startRedis } from "../tools/servers/redis.mjs";
import { startNats } from "../tools/servers/nats.mjs";
import { startRabbitMq } from "../tools/servers/rabbitmq.mjs";
import { startPubSub } from "../tools/servers/pubsub.mjs";
import { startS3 } from "../tools/servers/s3.mjs";
import { startGcs } from "../tools/servers/gcs.mjs";

const services: Pick<JobService, "stop">[] = [];

const STARTERS = {
  prism: () => startPrism(),
  flink: () => startFlink({ javaOpts: ["-Xmx2g"] }),
  spark: () => startSpark({ javaOpts: ["-Xmx2g"] }),
} as const;

type ServiceName = keyof typeof STARTERS;

/**
 * Starts one Prism, one Flink (embedded local Flink) and one Spark (local master) job
 * service for the whole run and hands their endpoints to the conformance suite, which then
 * runs its scenarios on them too (test/conformance/runners.ts). Prism is built from the Go
 * module proxy and the Java job servers resolved from Maven on first use; all are cached
 * (tools/runners/README.md). For a quicker local loop, BEAM_TS_JOB_SERVICES=prism (a comma
 * list) starts fewer; CI always starts all three.
 */
export async function setup(project: TestProject): Promise<void> {
  const wanted = (process.env["BEAM_TS_JOB_SERVICES"] ?? "prism,flink,spark").split(",").map((s) => s.trim());
  const names = (Object.keys(STARTERS) as ServiceName[]).filter((n) => wanted.includes(n));
  const started = await Promise.all(names.map((n) => STARTERS[n]()));
  services.push(...started);
  const endpoint = (n: ServiceName) => started[names.indexOf(n)]?.endpoint ?? "";
  project.provide("prismEndpoint", endpoint("prism"));
  project.provide("flinkEndpoint", endpoint("flink"));
  project.provide("sparkEndpoint", endpoint("spark"));
  // Database and broker servers for the connectors' tests (tools/servers). BEAM_TS_SERVERS
  // (a comma list, e.g. "postgres") starts fewer; default all; "" none.
  const servers = (process.env["BEAM_TS_SERVERS"] ?? "postgres,redis,kafka,nats,rabbitmq,pubsub,s3,gcs").split(",").map((s) => s.trim());
  if (servers.includes("postgres")) {
    const pg = await startPostgres();
    services.push({ stop: pg.stop });
    project.provide("postgresUrl", pg.url);
  } else {
    project.provide("postgresUrl", "");
  }
  if (servers.includes("redis")) {
    const redis = await startRedis();
    services.push({ stop: redis.stop });
    project.provide("redisUrl", redis.url);
  } else {
    project.provide("redisUrl", "");
  }
  if (servers.includes("nats")) {
    const nats = await startNats();
    services.push({ stop: nats.stop });
    project.provide("natsServer", { url: nats.url, user: nats.user, password: nats.password });
  } else {
    project.provide("natsServer", { url: "", user: "", password: "" });
  }
  if (servers.includes("rabbitmq")) {
    const rabbitmq = await startRabbitMq();
    services.push({ stop: rabbitmq.stop });
    project.provide("rabbitmqUrl", rabbitmq.url);
  } else {
    project.provide("rabbitmqUrl", "");
  }
  if (servers.includes("pubsub")) {
    const pubsub = await startPubSub();
    services.push({ stop: pubsub.stop });
    project.provide("pubsubEmulatorHost", pubsub.emulatorHost);
  } else {
    project.provide("pubsubEmulatorHost", "");
  }
  if (servers.includes("s3")) {
    const s3 = await startS3();
    services.push({ stop: s3.stop });
    project.provide("s3Server", { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  } else {
    project.provide("s3Server", { endpoint: "", region: "", accessKeyId: "", secretAccessKey: "" });
  }
  if (servers.includes("gcs")) {
    const gcs = await startGcs();
    services.push({ stop: gcs.stop });
    project.provide("gcsEndpoint", gcs.endpoint);
  } else {
    project.provide("gcsEndpoint", "");
  }
  if (servers.includes("kafka")) {
    // Both broker lines at once: Kafka 4 dropped old protocol versions, so the connector is tested on each.
    const [k39, k4] = await Promise.all([startKafka({ line: "3.9" }), startKafka({ line: "4" })]);
    services.push({ stop: k39.stop }, { stop: k4.stop });
    project.provide("kafkaBootstrap39", k39.bootstrap);
    project.provide("kafkaBootstrap4", k4.bootstrap);
  } else {
    project.provide("kafkaBootstrap39", "");
    project.provide("kafkaBootstrap4", "");
  }
}

export async function teardown(): Promise<void> {
  await Promise.all(services.map((s) => s.stop()));
}

declare module "vitest" {
  export interface ProvidedContext {
    /** "127.0.0.1:port", or "" when BEAM_TS_JOB_SERVICES left the service out. */
    prismEndpoint: string;
    flinkEndpoint: string;
    sparkEndpoint: string;
    /** postgresql://postgres:<password>@127.0.0.1:<port>/postgres (tools/servers/postgres.mjs), or "" when BEAM_TS_SERVERS left it out. */
    postgresUrl: string;
    /** redis://:<password>@127.0.0.1:<port> (tools/servers/redis.mjs), or "" when BEAM_TS_SERVERS left it out. */
    redisUrl: string;
    /** "127.0.0.1:<port>" of a Kafka 3.9 / 4.x KRaft broker (tools/servers/kafka.mjs), or "" when BEAM_TS_SERVERS left kafka out. */
    kafkaBootstrap39: string;
    kafkaBootstrap4: string;
    /** nats://127.0.0.1:<port> of a nats-server with JetStream (tools/servers/nats.mjs) and its user and password; url "" when BEAM_TS_SERVERS left nats out. */
    natsServer: { url: string; user: string; password: string };
    /** amqp://<user>:<password>@127.0.0.1:<port> of a RabbitMQ broker (tools/servers/rabbitmq.mjs), or "" when BEAM_TS_SERVERS left rabbitmq out. */
    rabbitmqUrl: string;
    /** "127.0.0.1:<port>" of Google's pstest Pub/Sub fake (tools/servers/pubsub.mjs), or "" when BEAM_TS_SERVERS left pubsub out. */
    pubsubEmulatorHost: string;
    /** http://127.0.0.1:<port> of moto's S3 server (tools/servers/s3.mjs, path-style) and the region and credentials tests use; endpoint "" when BEAM_TS_SERVERS left s3 out. */
    s3Server: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
    /** http://127.0.0.1:<port> of fake-gcs-server (tools/servers/gcs.mjs), or "" when BEAM_TS_SERVERS left gcs out. */
    gcsEndpoint: string;
  }
}
