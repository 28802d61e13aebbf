import { describe, expect, it } from "vitest";
import { ConnectionHistory } from "./connection-history.js";

describe("ConnectionHistory", () => {
  it("lets a step wait for its server only once it was connected or lost its connection", () => {
    const h = new ConnectionHistory();
    expect(h.mayWait("Read 127.0.0.1:6379")).toBe(false);
    expect(h.noteConnected("Read 127.0.0.1:6379", 0)).toBe(false);
    expect(h.mayWait("Read 127.0.0.1:6379")).toBe(true);
    expect(h.mayWait("Read 127.0.0.1:6380")).toBe(false);
    h.noteLost("Write 127.0.0.1:6379");
    expect(h.mayWait("Write 127.0.0.1:6379")).toBe(true);
  });

  it("counts a reconnection after a noted loss, or after failed attempts of a step connected before", () => {
    const h = new ConnectionHistory();
    expect(h.noteConnected("s", 2)).toBe(false); // the first connection, late: not a reconnection
    expect(h.noteConnected("s", 0)).toBe(false); // a new instance, server up
    expect(h.noteConnected("s", 1)).toBe(true); // the server was waited for
    h.noteLost("s");
    expect(h.noteConnected("s", 0)).toBe(true);
    expect(h.noteConnected("s", 0)).toBe(false); // the loss was counted once
  });
});
