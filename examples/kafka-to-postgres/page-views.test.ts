import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { Pipeline, Secret } from "../../src/index.js";
import { CREATE_TABLE, countPageViews, type PageView } from "./page-views.js";

const bootstrap = inject("kafkaBootstrap4");
const postgresUrl = inject("postgresUrl");

describe.skipIf(bootstrap === "" || postgresUrl === "")("examples/kafka-to-postgres", () => {
  it("upserts one row per page and minute with its view count, while the job runs", async () => {
    const topic = `page-views-${process.pid}-${Date.now()}`;
    const admin = new Admin({ clientId: "example", bootstrapBrokers: [bootstrap] });
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    await admin.close();
    // Two minutes of views, an hour ago: pages "/a" (3 per minute) and "/b" (1 per minute).
    const hour = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const views: PageView[] = [0, 1].flatMap((m) => [
      ...[0, 1, 2].map((i) => ({ page: "/a", user: `u${i}`, at: hour + m * 60_000 + i * 1000 })),
      { page: "/b", user: "u9", at: hour + m * 60_000 + 5000 },
    ]);
    const producer = new Producer({ clientId: "example", bootstrapBrokers: [bootstrap], serializers: stringSerializers });
    await producer.send({ messages: views.map((v, i) => ({ topic, value: JSON.stringify(v), partition: i % 2 })) });
    await producer.close();

    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query("DROP TABLE IF EXISTS page_views_per_minute");
      await client.query(CREATE_TABLE);
      const p = new Pipeline({ enforceImmutability: false });
      countPageViews(p, { bootstrapServers: bootstrap, topic, postgresUrl: new Secret(postgresUrl) });
      const result = p.run();
      const rows = async () =>
        (await client.query<{ page: string; window_start: Date; views: string }>("SELECT page, window_start, views FROM page_views_per_minute ORDER BY window_start, page")).rows.map((r) => [
          r.page,
          r.window_start.getTime() - hour,
          Number(r.views),
        ]);
      const deadline = Date.now() + 30_000;
      while ((await rows()).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await result.cancel();
      expect(await rows()).toEqual([
        ["/a", 0, 3],
        ["/b", 0, 1],
        ["/a", 60_000, 3],
        ["/b", 60_000, 1],
      ]);
    } finally {
      await client.end();
    }
  }, 60_000);
});
