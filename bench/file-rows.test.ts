import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { CSV_HEADER, RowChecksum, benchRow, csvLine, expectedChecksum, median } from "./file-rows.js";

describe("the file benchmark's rows", () => {
  it("writes CSV lines that csv-parse reads back as the same values, quoted notes and nulls included", () => {
    const rows = Array.from({ length: 12 }, (_, i) => benchRow(i));
    const text = [CSV_HEADER, ...rows.map(csvLine)].join("\n") + "\n";
    const records = parse(text, { from_line: 2 }) as string[][];
    expect(records.map((r) => ({ id: BigInt(r[0]!), name: r[1], price: Number(r[2]), qty: Number(r[3]), at: Date.parse(r[4]!), active: r[5] === "true", note: r[6] === "" ? null : r[6] }))).toEqual(rows);
    expect(rows.some((r) => r.note === null) && rows.some((r) => r.note?.includes(",")) && rows.some((r) => r.note?.includes('"'))).toBe(true);
  });

  it("gives a checksum that changes when one value of one row changes", () => {
    const sum = new RowChecksum();
    for (let i = 0; i < 99; i++) sum.add(benchRow(i));
    sum.add({ ...benchRow(99), qty: benchRow(99).qty + 1 });
    expect(sum.value()).not.toBe(expectedChecksum(100));
    expect(expectedChecksum(100)).toBe(expectedChecksum(100));
  });

  it("takes the median of an odd or even number of values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(() => median([])).toThrow(/no values/);
  });
});
