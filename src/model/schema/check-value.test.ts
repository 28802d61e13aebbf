import { describe, expect, it } from "vitest";
import { schema, t, type RowOf } from "./index.js";

const Order = schema(
  {
    id: t.int64(),
    customer: t.string(),
    amount: t.decimal(),
    at: t.timestamp(),
    tags: t.array(t.string()),
    address: t.row({ street: t.string(), zip: t.string() }).nullable(),
  },
  { name: "Order" },
);
type Order = RowOf<typeof Order>;
const good: Order = {
  id: 1n,
  customer: "c",
  amount: { unscaledValue: 999n, scale: 2 },
  at: 1_700_000_000_000,
  tags: ["a"],
  address: { street: "Main St", zip: "12345" },
};

describe("schema value checks", () => {
  it("accepts a row of the schema, and null or a missing value for a nullable field", () => {
    expect(Order.mismatch(good)).toBeUndefined();
    expect(Order.mismatch({ ...good, address: null })).toBeUndefined();
    const { address: _, ...withoutAddress } = good;
    expect(Order.mismatch(withoutAddress)).toBeUndefined();
  });

  it("names the field path, the expected type and the value", () => {
    expect(Order.mismatch({ ...good, address: { street: "Main St", zip: 12345 } })).toBe("Order.address.zip: expected string, got 12345");
    expect(Order.mismatch({ ...good, id: 1 })).toBe("Order.id: expected int64 (bigint), got 1");
    expect(Order.mismatch({ ...good, tags: ["a", 2] })).toBe("Order.tags[1]: expected string, got 2");
    expect(Order.mismatch({ ...good, customer: null })).toBe("Order.customer: expected string, got null");
    expect(Order.mismatch("x")).toBe('Order: expected a row {id, customer, amount, at, tags, address}, got "x"');
  });

  it("checks ranges and logical types' values", () => {
    const S = schema({
      b: t.byte().nullable(),
      i: t.int32().nullable(),
      c: t.fixedChar(3).nullable(),
      v: t.varBytes(2).nullable(),
      e: t.enumeration("RED", "GREEN").nullable(),
      u: t.uuid().nullable(),
      o: t.oneOf({ n: t.int32(), s: t.string() }).nullable(),
      m: t.map(t.string(), t.int64()).nullable(),
      tm: t.time().nullable(),
    });
    expect(S.mismatch({ b: 128 })).toBe("row.b: expected nullable byte (integer number), got 128");
    expect(S.mismatch({ i: 1.5 })).toBe("row.i: expected nullable int32 (integer number), got 1.5");
    expect(S.mismatch({ c: "ab" })).toBe('row.c: expected nullable fixed_char(3), got "ab"');
    expect(S.mismatch({ v: new Uint8Array(3) })).toBe("row.v: expected nullable var_bytes(2), got bytes[3]");
    expect(S.mismatch({ e: "BLUE" })).toBe('row.e: expected nullable enumeration of "RED" | "GREEN", got "BLUE"');
    expect(S.mismatch({ u: "not-a-uuid" })).toBe('row.u: expected nullable uuid (string, 8-4-4-4-12 hex digits), got "not-a-uuid"');
    expect(S.mismatch({ o: { case: "s", value: 1 } })).toBe("row.o.s: expected string, got 1");
    expect(S.mismatch({ o: { case: "x", value: 1 } })).toMatch(/^row\.o: expected nullable one_of \{ case: "n" \| "s", value \}/);
    expect(S.mismatch({ m: new Map([["k", 1]]) })).toBe('row.m["k"]: expected int64 (bigint), got 1');
    expect(S.mismatch({ m: { k: 1n } })).toMatch(/^row\.m: expected nullable map<string, int64 \(bigint\)> \(a Map\)/);
    expect(S.mismatch({ tm: 86_400_000_000_000 })).toMatch(/^row\.tm: expected nullable time/);
    expect(S.mismatch({ e: "GREEN", u: "123e4567-e89b-12d3-a456-426614174000", o: { case: "n", value: 3 }, m: new Map([["k", 1n]]) })).toBeUndefined();
  });

  it("refuses bad DSL arguments when the schema is defined", () => {
    expect(() => t.fixedChar(-1)).toThrow(/t\.fixedChar\(-1\): the length must be an integer/);
    expect(() => t.enumeration("A", "A")).toThrow(/distinct names/);
  });
});
