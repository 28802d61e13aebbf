import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GroupTable } from "./group-table.js";

describe("GroupTable", () => {
  it("gives equal bytes one id and different bytes different ids, across rehashes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 2000 }), (groups) => {
        const table = new GroupTable();
        const ids = new Map<string, number>();
        for (const g of groups) {
          const id = table.idOf(g);
          const hex = Buffer.from(g).toString("hex");
          expect(id).toBe(ids.get(hex) ?? ids.size);
          ids.set(hex, id);
        }
        expect(table.count).toBe(ids.size);
        for (const [hex, id] of ids) expect(Buffer.from(table.group(id)).toString("hex")).toBe(hex);
      }),
      { numRuns: 100 },
    );
  });

  it("copies the bytes it is given, so a caller may reuse its scratch array", () => {
    const table = new GroupTable();
    const scratch = Uint8Array.of(1, 2, 3);
    const first = table.idOf(scratch);
    scratch[0] = 9;
    const second = table.idOf(scratch);
    expect(second).not.toBe(first);
    expect([...table.group(first)]).toEqual([1, 2, 3]);
    expect(table.idOf(Uint8Array.of(1, 2, 3))).toBe(first);
  });

  it("lists its ids in byte order of their groups", () => {
    const table = new GroupTable();
    for (const s of ["b", "a", "ab", "", "b\u0000"]) table.idOf(Buffer.from(s, "latin1"));
    expect([...table.sorted()].map((id) => Buffer.from(table.group(id)).toString("latin1"))).toEqual(["", "a", "ab", "b", "b\u0000"]);
  });
});
