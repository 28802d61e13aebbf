import { describe, expect, it } from "vitest";
import { TextCursor } from "./text-cursor.js";

describe("TextCursor", () => {
  it("finds an operator after the cursor, not inside a string, a comment, a call's arguments or a longer operator", () => {
    const text = "SELECT '<' <= f(a < 1) /* < */ -- <\n < b";
    const cursor = new TextCursor(text);
    expect(cursor.operator("<=")).toBe(text.indexOf("<= f"));
    expect(cursor.operator("<")).toBe(text.indexOf("< b"));
    expect(cursor.offset).toBe(text.indexOf(" b"));
    expect(cursor.operator("<")).toBe(-1);
  });

  it("finds an operator after a parenthesis that closes a part opened before the cursor", () => {
    const text = "SELECT (a - 1) - 2";
    const cursor = new TextCursor(text);
    cursor.word("a");
    expect(cursor.operator("-")).toBe(text.indexOf("- 1"));
    expect(cursor.operator("-")).toBe(text.indexOf("- 2"));
  });

  it("places the next literal only when it is the one written, and never one past a TO", () => {
    const text = "SELECT FLOOR(ts TO DAY), 'DAY', 1.50";
    const cursor = new TextCursor(text);
    cursor.word("ts");
    expect(cursor.literal("string", (l) => l === "'DAY'")).toBe(-1);
    cursor.advanceTo(text.indexOf(","));
    expect(cursor.literal("number", (l) => Number(l) === 2)).toBe(-1);
    expect(cursor.literal("string", (l) => l === "'DAY'")).toBe(text.indexOf("'DAY'"));
    expect(cursor.literal("number", (l) => Number(l) === 1.5)).toBe(text.indexOf("1.50"));
  });
});
