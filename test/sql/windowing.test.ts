import { describe, expect, it } from "vitest";
import { Pipeline, SqlError, TestStream, Triggers, create, fixedWindows, parDo, schema, sql, t, windowInto, type PCollection, type SqlRow } from "../../src/index.js";

// Beam SQL's windowing: TUMBLE, HOP and SESSION in GROUP BY with their _START/_END, and joins
// of unbounded inputs per window (BeamCoGBKJoinRel), refused when a window could fire twice.

const Event = schema({ k: t.string(), v: t.int32(), ts: t.timestamp() }, { name: "Event" });
type Event = { readonly k: string; readonly v: number; readonly ts: number };
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const ev = (k: string, v: number, ts: number): Event => ({ k, v, ts });

async function run(build: (p: Pipeline) => PCollection<SqlRow>): Promise<SqlRow[]> {
  const out: SqlRow[] = [];
  const p = new Pipeline();
  build(p).apply(parDo<SqlRow, never>({ process: (r) => void out.push(r) }));
  await p.run().waitUntilFinish();
  return out;
}

const byText = (rows: readonly SqlRow[]) => rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v))).sort();

/** An unbounded input of events, at their own times, in fixed windows of `size` (DefaultTrigger). */
function streamOf(p: Pipeline, label: string, events: readonly Event[], size = MINUTE): PCollection<Event> {
  let s = TestStream.create<Event>();
  for (const e of events) s = s.addElements({ value: e, timestamp: e.ts });
  return p
    .apply(label, s.advanceWatermarkToInfinity())
    .withSchema(Event)
    .apply(`${label}Windows`, windowInto(fixedWindows(size))) as PCollection<Event>;
}

function sqlErrorOf(build: () => unknown): SqlError {
  try {
    build();
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error("expected a SqlError");
}

describe("windowed SQL aggregates", () => {
  it("gives each TUMBLE window's start and end", async () => {
    const rows = await run((p) =>
      p
        .apply(create([ev("a", 1, 10 * SECOND), ev("a", 2, 50 * SECOND), ev("a", 4, 70 * SECOND)]))
        .withSchema(Event)
        .apply(sql("SELECT k, SUM(v) AS s, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS ws, TUMBLE_END(ts, INTERVAL '1' MINUTE) AS we FROM PCOLLECTION GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)")),
    );
    expect(byText(rows)).toEqual(byText([{ k: "a", s: 3n, ws: 0, we: MINUTE }, { k: "a", s: 4n, ws: MINUTE, we: 2 * MINUTE }]));
  });

  it("puts each row in every HOP window that holds it: HOP(ts, slide, size), as Beam SQL", async () => {
    const rows = await run((p) =>
      p
        .apply(create([ev("a", 1, 30 * SECOND), ev("a", 2, 90 * SECOND)]))
        .withSchema(Event)
        .apply(
          sql(
            "SELECT COUNT(*) AS n, SUM(v) AS s, HOP_START(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE) AS ws, HOP_END(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE) AS we FROM PCOLLECTION GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)",
          ),
        ),
    );
    expect(byText(rows)).toEqual(
      byText([
        { n: 1n, s: 1n, ws: -MINUTE, we: MINUTE },
        { n: 2n, s: 3n, ws: 0, we: 2 * MINUTE },
        { n: 1n, s: 2n, ws: MINUTE, we: 3 * MINUTE },
      ]),
    );
  });

  it("merges rows closer than the gap into one SESSION per key, ending a gap after its last row", async () => {
    const rows = await run((p) =>
      p
        .apply(create([ev("a", 1, 0), ev("a", 2, 30 * SECOND), ev("a", 4, 200 * SECOND), ev("b", 8, 20 * SECOND)]))
        .withSchema(Event)
        .apply(sql("SELECT k, SUM(v) AS s, SESSION_START(ts, INTERVAL '1' MINUTE) AS ws, SESSION_END(ts, INTERVAL '1' MINUTE) AS we FROM PCOLLECTION GROUP BY k, SESSION(ts, INTERVAL '1' MINUTE)")),
    );
    expect(byText(rows)).toEqual(
      byText([
        { k: "a", s: 3n, ws: 0, we: 90 * SECOND },
        { k: "a", s: 4n, ws: 200 * SECOND, we: 260 * SECOND },
        { k: "b", s: 8n, ws: 20 * SECOND, we: 80 * SECOND },
      ]),
    );
  });

  it("refuses a window function's _START without its GROUP BY, and two window functions, at their position", () => {
    const p = new Pipeline();
    const events = p.apply(create([ev("a", 1, 0)])).withSchema(Event);
    const wrong = sqlErrorOf(() => events.apply(sql("SELECT k, HOP_START(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE) FROM PCOLLECTION GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)")));
    expect(wrong.message).toContain("HOP_START needs GROUP BY HOP");
    expect(wrong.position).toMatchObject({ line: 1, column: 11 });
    const two = sqlErrorOf(() => events.apply("Two", sql("SELECT k FROM PCOLLECTION GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE), SESSION(ts, INTERVAL '1' MINUTE)")));
    expect(two.message).toContain("more than one window function");
  });
});

describe("joins of unbounded inputs", () => {
  it("join rows per window: equal keys in different windows do not meet", async () => {
    const rows = await run((p) => {
      const left = streamOf(p, "Left", [ev("a", 1, 10 * SECOND), ev("a", 2, 70 * SECOND), ev("b", 3, 20 * SECOND)]);
      const right = streamOf(p, "Right", [ev("a", 10, 40 * SECOND), ev("a", 20, 130 * SECOND), ev("b", 30, 30 * SECOND)]);
      return sql("SELECT l.k, l.v AS lv, r.v AS rv FROM l JOIN r ON l.k = r.k", { l: left, r: right });
    });
    expect(byText(rows)).toEqual(byText([{ k: "a", lv: 1, rv: 10 }, { k: "b", lv: 3, rv: 30 }]));
  });

  it("joins two windowed aggregates per window, as Beam SQL joins windowed subqueries", async () => {
    const rows = await run((p) => {
      const left = streamOf(p, "Left", [ev("a", 1, 10 * SECOND), ev("a", 2, 20 * SECOND), ev("a", 4, 70 * SECOND)]);
      const right = streamOf(p, "Right", [ev("a", 10, 40 * SECOND), ev("a", 20, 80 * SECOND), ev("a", 40, 90 * SECOND)]);
      return sql(
        "SELECT l.k, l.s AS ls, r.s AS rs, l.ws FROM (SELECT k, SUM(v) AS s, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS ws FROM lhs GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)) l " +
          "JOIN (SELECT k, SUM(v) AS s FROM rhs GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)) r ON l.k = r.k",
        { lhs: left, rhs: right },
      );
    });
    expect(byText(rows)).toEqual(byText([{ k: "a", ls: 3n, rs: 10n, ws: 0 }, { k: "a", ls: 4n, rs: 60n, ws: MINUTE }]));
  });

  it("refuses unbounded inputs in the global window, windowed differently, or with a trigger that fires more than once, at the join", () => {
    const query = "SELECT l.k FROM l\n  JOIN r ON l.k = r.k";
    const p = new Pipeline();
    const global = (label: string) => p.apply(label, TestStream.create<Event>().advanceWatermarkToInfinity()).withSchema(Event);
    const globalErr = sqlErrorOf(() => sql(query, { l: global("L1"), r: global("R1") }));
    expect(globalErr.message).toMatch(/global window/);
    expect(globalErr.position).toMatchObject({ line: 2, column: 8 }); // the joined input
    expect(globalErr.message).toContain("Fix:");

    const differently = sqlErrorOf(() => sql(query, { l: streamOf(p, "L2", [], MINUTE), r: streamOf(p, "R2", [], 2 * MINUTE) }, { name: "Differently" }));
    expect(differently.message).toMatch(/windowed differently/);

    const early = streamOf(p, "L3", []).apply("EarlyFirings", windowInto(fixedWindows(MINUTE), { trigger: Triggers.afterWatermark({ early: Triggers.afterCount(1) }), accumulationMode: "DISCARDING" })) as PCollection<Event>;
    const earlyErr = sqlErrorOf(() => sql(query, { l: early, r: streamOf(p, "R3", []) }, { name: "Early" }));
    expect(earlyErr.message).toMatch(/once per window/);

    const late = streamOf(p, "L4", []).apply("Lateness", windowInto(fixedWindows(MINUTE), { allowedLateness: MINUTE })) as PCollection<Event>;
    expect(sqlErrorOf(() => sql(query, { l: late, r: streamOf(p, "R4", []) }, { name: "Late" })).message).toMatch(/allowed lateness/);
  });
});
