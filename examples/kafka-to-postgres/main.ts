/**
 * Kafka → one-minute page-view counts → PostgreSQL (upsert). See README.md for starting a
 * broker and a database.
 *
 *   npx tsx examples/kafka-to-postgres/main.ts --bootstrapServers=127.0.0.1:9092 \
 *     --postgresUrl=postgresql://postgres:<password>@127.0.0.1:5432/postgres \
 *     --checkpointDir=/tmp/page-views --restoreFrom=latest
 */
import pg from "pg";
import { Pipeline, defineOptions, option } from "../../src/index.js";
import { CREATE_TABLE, countPageViews } from "./page-views.js";

const Options = defineOptions({
  bootstrapServers: option.string({ description: "Kafka bootstrap servers (host:port,...)", default: "127.0.0.1:9092" }),
  topic: option.string({ description: "Topic of JSON page views { page, user, at }", default: "page-views" }),
  postgresUrl: option.string({ description: "postgresql:// URL of the database (the table is created if missing)", secret: true }),
});

const options = Options.parseOrExit(process.argv.slice(2), "kafka-to-postgres");
if (options.postgresUrl === undefined) throw new Error("kafka-to-postgres needs --postgresUrl=postgresql://...");
const client = new pg.Client({ connectionString: options.postgresUrl.reveal() });
await client.connect();
await client.query(CREATE_TABLE);
await client.end();

const p = new Pipeline(options);
countPageViews(p, { bootstrapServers: options.bootstrapServers, topic: options.topic, postgresUrl: options.postgresUrl });
// Unbounded: runs until Ctrl-C, which drains (every open window fires and is written).
const state = await p.run().waitUntilFinish();
console.log(`kafka-to-postgres: ${state}`);
