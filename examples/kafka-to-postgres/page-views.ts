/**
 * The job of examples/kafka-to-postgres: page views read from Kafka, counted per page in
 * one-minute event-time windows, and upserted into PostgreSQL (one row per page and window,
 * rewritten by each later pane of the same window).
 */
import { Secret, combinePerKey, count, fixedWindows, kv, map, parDo, windowInto, type KV, type PCollection, type Pipeline } from "../../src/index.js";
import { readFromKafka, type KafkaRecord } from "../../src/io/kafka/index.js";
import { writeToPostgres, type PostgresConnection } from "../../src/io/postgres/index.js";

/** A page view as producers write it: JSON values on the input topic. */
export interface PageView {
  readonly page: string;
  readonly user: string;
  /** When the page was viewed (ms since the epoch): the event time. */
  readonly at: number;
}

/** A row of the page_views_per_minute table. */
export interface PageViewCount {
  readonly page: string;
  /** The window's start, as a Date (timestamptz). */
  readonly window_start: Date;
  readonly views: number;
}

/** The table the job upserts into; the primary key is the upsert's conflict target. */
export const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS page_views_per_minute (
  page text NOT NULL,
  window_start timestamptz NOT NULL,
  views bigint NOT NULL,
  PRIMARY KEY (page, window_start)
)`;

/** Where the job reads and writes. */
export interface PageViewSettings {
  readonly bootstrapServers: string;
  readonly topic: string;
  /** A Secret, so that the password never shows in the graph or logs. */
  readonly postgresUrl: Secret<string>;
}

/** The pipeline: read → window → count per page → upsert. Returns the rows it writes. */
export function countPageViews(p: Pipeline, s: PageViewSettings): PCollection<PageViewCount> {
  const { output } = p.apply(
    "ReadViews",
    readFromKafka<Uint8Array, PageView>({
      bootstrapServers: s.bootstrapServers,
      topics: [s.topic],
      valueDeserializer: "json",
      // Event time from the view itself; views may arrive up to 5 s out of order.
      timestampPolicy: { timestampFn: (r) => (JSON.parse(new TextDecoder().decode(r.value!)) as PageView).at, maxDelayMs: 5_000 },
      // A quiet partition must not hold the windows back.
      idleTimeoutMs: 2_000,
    }),
  );
  const counts = output
    .apply("ByPage", map((r: KafkaRecord<Uint8Array, PageView>) => kv(r.value!.page, 1)))
    .apply("Minutes", windowInto(fixedWindows(60_000)))
    .apply("Count", combinePerKey(count()))
    .apply(
      "AsRow",
      parDo<KV<string, number>, PageViewCount>({
        process(e, ctx) {
          ctx.output({ page: e.key, window_start: new Date((ctx.window as unknown as { start: number }).start), views: e.value });
        },
      }),
    );
  const connection: PostgresConnection = { connectionString: s.postgresUrl };
  // Upsert: a restored job that writes a window again, or a late pane, overwrites the row.
  counts.apply("Upsert", writeToPostgres<PageViewCount>({ connection, table: "page_views_per_minute", columns: ["page", "window_start", "views"], mode: "upsert", keys: ["page", "window_start"] }));
  return counts;
}
