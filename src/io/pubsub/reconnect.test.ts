import { describe, expect, it } from "vitest";
import { callWithRetry, type OutageStats } from "./reconnect.js";

/** A gRPC-style error with a status code, as @google-cloud/pubsub rejects with. */
const grpcError = (code: number) => Object.assign(new Error(`${code} status`), { code });

/** A call that fails with each of `codes` in turn, then resolves "ok"; `calls` counts attempts. */
function failing(...codes: number[]) {
  const state = { calls: 0 };
  const call = (): Promise<string> => {
    const code = codes[state.calls++];
    return code === undefined ? Promise.resolve("ok") : Promise.reject(grpcError(code));
  };
  return { call, state };
}

describe("callWithRetry", () => {
  it("waits for a server that went away, through NOT_FOUND while it restarts empty, and counts the retries and one reconnect", async () => {
    const stats: OutageStats = { retries: 0, reconnects: 0 };
    const { call, state } = failing(14, 5);
    expect(await callWithRetry(call, true, 5, stats)).toBe("ok");
    expect(state.calls).toBe(3);
    expect(stats).toEqual({ retries: 2, reconnects: 1 });
  });

  it("fails at once when the server was never reached (down from the start)", async () => {
    const stats: OutageStats = { retries: 0, reconnects: 0 };
    const { call, state } = failing(14);
    await expect(callWithRetry(call, false, 5, stats)).rejects.toMatchObject({ code: 14 });
    expect(state.calls).toBe(1);
    expect(stats).toEqual({ retries: 0, reconnects: 0 });
  });

  it("fails at once on NOT_FOUND outside an outage (a missing topic or subscription)", async () => {
    const { call, state } = failing(5);
    await expect(callWithRetry(call, true, 5, { retries: 0, reconnects: 0 })).rejects.toMatchObject({ code: 5 });
    expect(state.calls).toBe(1);
  });

  it("gives up after reconnectRetries more attempts with the last error", async () => {
    const stats: OutageStats = { retries: 0, reconnects: 0 };
    const { call, state } = failing(14, 14, 14);
    await expect(callWithRetry(call, true, 2, stats)).rejects.toMatchObject({ code: 14 });
    expect(state.calls).toBe(3);
    expect(stats).toEqual({ retries: 2, reconnects: 0 });
  });
});
