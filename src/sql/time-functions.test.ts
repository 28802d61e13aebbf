import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bindExpr, type Column } from "./bind-expression.js";
import { compileExpression } from "./compile-expression.js";
import { parseSql } from "./parse.js";
import { SqlError } from "./sql-error.js";
import { addUnits, ceilTo, diffUnits, extract, floorTo, formatTimestamp, parseTimestamp } from "./time-functions.js";
import { rewriteTimeSyntax } from "./time-syntax.js";

const columns: Column[] = [
  { table: "t", name: "ts", type: { name: "TIMESTAMP", nullable: true } },
  { table: "t", name: "d", type: { name: "DATE", nullable: true } },
  { table: "t", name: "n", type: { name: "INTEGER", nullable: true } },
];

function evaluate(expression: string, row: readonly unknown[]): unknown {
  const query = `SELECT ${expression} FROM t`;
  const statement = parseSql(query);
  if (statement.query.kind !== "select" || statement.query.items[0]?.kind !== "expr") throw new Error("not a select");
  return compileExpression(bindExpr(statement.query.items[0].expr, { query, columns, clause: "SELECT" }))(row);
}

const at = (text: string): number => parseTimestamp(text);
// Instants from 1900 to 2200, to the millisecond.
const instant = fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) });
const unit = fc.constantFrom("MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR" as const);

describe("date/time arithmetic", () => {
  it("extracts fields in UTC, Sunday as day 1 and ISO weeks", () => {
    const ts = at("2024-02-29 13:45:07.250");
    expect([extract("YEAR", ts), extract("QUARTER", ts), extract("MONTH", ts), extract("DAY", ts)]).toEqual([2024n, 1n, 2n, 29n]);
    expect([extract("HOUR", ts), extract("MINUTE", ts), extract("SECOND", ts), extract("MILLISECOND", ts)]).toEqual([13n, 45n, 7n, 7250n]);
    expect([extract("DOW", ts), extract("ISODOW", ts), extract("DOY", ts)]).toEqual([5n, 4n, 60n]);
    expect(extract("WEEK", at("2021-01-03 00:00:00"))).toBe(53n);
    expect(extract("WEEK", at("2021-01-04 00:00:00"))).toBe(1n);
    expect(extract("EPOCH", at("1969-12-31 23:59:59.500"))).toBe(-1n);
  });

  it("floors to a unit's start and ceils to the next start unless already on one", () => {
    fc.assert(
      fc.property(instant, unit, (ms, u) => {
        const f = floorTo(u, ms);
        const c = ceilTo(u, ms);
        expect(f).toBeLessThanOrEqual(ms);
        expect(addUnits(u, 1, f)).toBeGreaterThan(ms);
        expect(floorTo(u, f)).toBe(f);
        expect(c === ms ? f === ms : c === addUnits(u, 1, f)).toBe(true);
      }),
    );
    expect(formatTimestamp(floorTo("WEEK", at("2024-03-07 10:00:00")))).toBe("2024-03-04 00:00:00");
    expect(formatTimestamp(floorTo("QUARTER", at("2024-05-17 10:00:00")))).toBe("2024-04-01 00:00:00");
  });

  it("adds calendar months clamping to the month's last day, and TIMESTAMPDIFF counts whole units back", () => {
    expect(formatTimestamp(addUnits("MONTH", 1, at("2023-01-31 08:00:00")))).toBe("2023-02-28 08:00:00");
    expect(formatTimestamp(addUnits("YEAR", -1, at("2024-02-29 00:00:00")))).toBe("2023-02-28 00:00:00");
    fc.assert(
      fc.property(instant, unit, fc.integer({ min: -500, max: 500 }), (ms, u, n) => {
        // Whole units from a to a + n units are n, except where a month's end was clamped.
        const later = addUnits(u, n, ms);
        const d = diffUnits(u, ms, later);
        if (u === "MONTH" || u === "QUARTER" || u === "YEAR") expect(Math.abs(Number(d) - n)).toBeLessThanOrEqual(1);
        else expect(d).toBe(BigInt(n));
      }),
    );
    expect(diffUnits("MONTH", at("2024-01-31 00:00:00"), at("2024-02-29 00:00:00"))).toBe(0n);
    expect(diffUnits("MONTH", at("2024-01-15 00:00:00"), at("2024-03-14 23:59:59"))).toBe(1n);
    expect(diffUnits("SECOND", at("2024-01-01 00:00:01"), at("2024-01-01 00:00:00.500"))).toBe(0n);
  });

  it("refuses timestamps that do not exist rather than rolling them over", () => {
    expect(parseTimestamp("2023-02-29 00:00:00")).toBeNaN();
    expect(parseTimestamp("2023-13-01")).toBeNaN();
    expect(parseTimestamp("2023-12-01 24:00:00")).toBeNaN();
    expect(formatTimestamp(parseTimestamp("2023-12-01T10:11:12.5Z"))).toBe("2023-12-01 10:11:12.500");
  });
});

describe("date/time SQL", () => {
  const ts = at("2024-02-29 13:45:07.250");
  const row = [ts, 19_782, 3];

  it("rewrites FLOOR(ts TO unit) and TIMESTAMPADD(unit, ...) keeping every offset, and leaves strings alone", () => {
    fc.assert(
      fc.property(fc.constantFrom("FLOOR(ts TO HOUR)", "CEIL( ts  TO  day )", "TIMESTAMPADD( MINUTE , 5, ts)", "TIMESTAMPDIFF(SECOND,a,b)", "' TO HOUR)'", "x"), fc.nat(5), (call, pad) => {
        const text = `SELECT ${" ".repeat(pad)}${call}, nme FROM t`;
        const out = rewriteTimeSyntax(text);
        expect(out).toHaveLength(text.length);
        expect(out.indexOf("nme")).toBe(text.indexOf("nme"));
      }),
    );
    expect(rewriteTimeSyntax("SELECT 'a TO b)' FROM t")).toBe("SELECT 'a TO b)' FROM t");
  });

  it("computes EXTRACT, FLOOR/CEIL TO, TIMESTAMPADD, TIMESTAMPDIFF and interval arithmetic", () => {
    expect(evaluate("EXTRACT(HOUR FROM ts)", row)).toBe(13n);
    expect(evaluate("EXTRACT(YEAR FROM d)", row)).toBe(2024n);
    expect(evaluate("FLOOR(ts TO HOUR)", row)).toBe(at("2024-02-29 13:00:00"));
    expect(evaluate("CEIL(ts TO DAY)", row)).toBe(at("2024-03-01 00:00:00"));
    expect(evaluate("FLOOR(d TO MONTH)", row)).toBe(19_782 - 28);
    expect(evaluate("TIMESTAMPADD(MONTH, n, ts)", row)).toBe(at("2024-05-29 13:45:07.250"));
    expect(evaluate("TIMESTAMPDIFF(DAY, TIMESTAMP '2024-01-01 00:00:00', ts)", row)).toBe(59n);
    expect(evaluate("ts + INTERVAL '2' HOUR", row)).toBe(at("2024-02-29 15:45:07.250"));
    expect(evaluate("ts - INTERVAL '1' DAY < DATE '2024-02-29'", row)).toBe(true);
    expect(evaluate("d = DATE '2024-02-29'", row)).toBe(true);
    expect(evaluate("CAST(ts AS VARCHAR)", row)).toBe("2024-02-29 13:45:07.250");
    expect(evaluate("CAST(ts AS DATE)", row)).toBe(19_782);
    expect(evaluate("CAST('2024-03-01' AS DATE) > d", row)).toBe(true);
    expect(evaluate("EXTRACT(DAY FROM ts)", [null, null, null])).toBeNull();
    expect(evaluate("TIMESTAMPADD(HOUR, n, ts)", [ts, null, null])).toBeNull();
  });

  it("refuses clock functions, bad units and non-time arguments at their position", () => {
    expect(() => evaluate("CURRENT_TIMESTAMP", row)).toThrow(/CURRENT_TIMESTAMP is not supported/);
    expect(() => evaluate("EXTRACT(FORTNIGHT FROM ts)", row)).toThrow(SqlError);
    expect(() => evaluate("FLOOR(ts TO DECADE)", row)).toThrow(/FLOOR does not take the unit DECADE/);
    expect(() => evaluate("TIMESTAMPADD(DAY, 1, n)", row)).toThrow(/column 29\): TIMESTAMPADD takes a TIMESTAMP or DATE, got INTEGER/);
    expect(() => evaluate("n + INTERVAL '1' HOUR", row)).toThrow(/an INTERVAL is added to a TIMESTAMP or DATE, got INTEGER/);
    expect(() => evaluate("TIMESTAMP '2023-02-30 00:00:00'", row)).toThrow(/is not a timestamp/);
  });
});
