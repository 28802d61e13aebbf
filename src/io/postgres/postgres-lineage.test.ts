import { describe, expect, it } from "vitest";
import { JobMetricsStore, Lineage, MetricsContainer, MetricsEnvironment } from "../../metrics/index.js";
import { Secret } from "../../model/index.js";
import { postgresLineage } from "./postgres-lineage.js";

function recorded(f: () => void): { sources: string[]; sinks: string[] } {
  const c = new MetricsContainer("Step");
  const previous = MetricsEnvironment.enter(c);
  try {
    f();
  } finally {
    MetricsEnvironment.exit(previous);
  }
  const store = new JobMetricsStore();
  store.record([c], true);
  return { sources: Lineage.query(store, "sources"), sinks: Lineage.query(store, "sinks") };
}

describe("PostgreSQL lineage", () => {
  it("names a table by host:port, database, schema (public by default) and table", () => {
    expect(recorded(() => postgresLineage("sources", { host: "db", database: "shop", user: "etl" }, "orders")).sources).toEqual(["postgres:`db:5432`.shop.public.orders"]);
    expect(recorded(() => postgresLineage("sinks", { host: "db", port: 6543, database: "shop" }, "sales.orders")).sinks).toEqual(["postgres:`db:6543`.shop.sales.orders"]);
  });

  it("reads host, port and database from a secret connection string, never its password", () => {
    const { sources } = recorded(() => postgresLineage("sources", { connectionString: new Secret("postgresql://u:hunter2@pg.internal:5433/warehouse") }, "t"));
    expect(sources).toEqual(["postgres:`pg.internal:5433`.warehouse.public.t"]);
    expect(sources.join()).not.toContain("hunter2");
  });
});
