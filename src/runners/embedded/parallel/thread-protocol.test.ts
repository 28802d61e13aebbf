import { once } from "node:events";
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Secret } from "../../../model/index.js";
import { fromThreadOptions, toThreadOptions, type ThreadOptions } from "./thread-protocol.js";

/** `value` as a worker thread receives it: through a real port (structured clone). */
async function posted<T>(value: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = once(port2, "message");
    port1.postMessage(value);
    return (await received)[0] as T;
  } finally {
    port1.close();
    port2.close();
  }
}

describe("pipeline options crossing to a worker thread", () => {
  it("arrive with their secret values as Secrets holding the same values, the others as they were", async () => {
    const options = { runner: "embedded", parallelism: 2, apiKey: new Secret("hunter2"), pin: new Secret(1234) };
    const arrived = fromThreadOptions(await posted<ThreadOptions>(toThreadOptions(options)));
    expect(arrived["runner"]).toBe("embedded");
    expect(arrived["parallelism"]).toBe(2);
    expect(arrived["apiKey"]).toBeInstanceOf(Secret);
    expect((arrived["apiKey"] as Secret).reveal()).toBe("hunter2");
    expect((arrived["pin"] as Secret<number>).reveal()).toBe(1234);
    expect(JSON.stringify(arrived)).not.toContain("hunter2");
  });
});
