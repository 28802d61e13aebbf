import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MetricsContainer } from "./container.js";
import { MetricsEnvironment } from "./environment.js";
import { JobMetricsStore } from "./results.js";
import { Lineage, fileLineage, lineageName, parseLineageName, wrapSegment } from "./lineage.js";

describe("Lineage", () => {
  it("names datasets as Beam does: system, then segments joined by dots, reserved characters in backticks", () => {
    expect(lineageName("bigquery", ["project", "dataset", "table"])).toBe("bigquery:project.dataset.table");
    expect(lineageName("filesystem", ["localhost", "/tmp/a.txt"])).toBe("filesystem:localhost.`/tmp/a.txt`");
    expect(lineageName("postgres", ["db:5432", "shop", "public", "orders"])).toBe("postgres:`db:5432`.shop.public.orders");
    expect(wrapSegment("a`b")).toBe("`a``b`");
    expect(lineageName("kafka", ["broker", "topic"], "topic")).toBe("kafka:topic:broker.topic");
  });

  it("parses back every name it builds", () => {
    const segment = fc.string({ minLength: 1, maxLength: 12 });
    const system = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    fc.assert(
      fc.property(system, fc.array(segment, { minLength: 1, maxLength: 5 }), (sys, segments) => {
        const parsed = parseLineageName(lineageName(sys, segments));
        expect(parsed.system).toBe(sys);
        expect(parsed.segments).toEqual(segments);
      }),
    );
  });

  it("records reads and writes of the running step as the lineage string sets, and reads them back", () => {
    const store = new JobMetricsStore();
    const c = new MetricsContainer("Read");
    const previous = MetricsEnvironment.enter(c);
    try {
      Lineage.read("kafka", ["broker:9092", "events"]);
      fileLineage("sinks", "/out/part-0.txt");
      fileLineage("sources", "s3://bucket/key/a.csv");
    } finally {
      MetricsEnvironment.exit(previous);
    }
    store.record([c], true);
    expect(Lineage.query(store, "sources")).toEqual(["kafka:`broker:9092`.events", "s3:bucket.`key/a.csv`"]);
    expect(Lineage.query(store, "sinks")).toEqual(["filesystem:localhost.`/out/part-0.txt`"]);
  });

  it("records nothing outside a running step", () => {
    Lineage.read("kafka", ["b", "t"]);
    expect(Lineage.query(new JobMetricsStore(), "sources")).toEqual([]);
  });
});
