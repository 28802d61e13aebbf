import { once } from "node:events";
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { IllegalMutationError, Secret, UserCodeError } from "../../../model/index.js";
import { classifyFailure } from "../../../runtime/index.js";
import { fromFailure, fromThreadOptions, toFailure, toThreadOptions, type ThreadFailure, type ThreadOptions } from "./thread-protocol.js";

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

describe("a worker thread's failure crossing to the main thread", () => {
  it("arrives as the beam-ts error class it was thrown as, with its fields and its cause chain", async () => {
    const original = new TypeError("x.price is undefined");
    const thrown = new UserCodeError("Price", "{\"id\":7}", "GlobalWindow", 'Transform "Price" failed while processing element {"id":7}', { cause: original });
    const arrived = fromFailure(await posted<ThreadFailure>(toFailure(thrown)), 1);
    expect(arrived).toBeInstanceOf(UserCodeError);
    const err = arrived as UserCodeError;
    expect(err.message).toBe('Transform "Price" failed while processing element {"id":7} (in worker thread 1)');
    expect([err.code, err.transform, err.element, err.window]).toEqual(["USER_CODE", "Price", '{"id":7}', "GlobalWindow"]);
    expect(err.cause).toBeInstanceOf(Error);
    expect((err.cause as Error).name).toBe("TypeError");
    expect((err.cause as Error).message).toBe("x.price is undefined");
  });

  it("keeps what the retry policy reads: an IllegalMutationError stays permanent", async () => {
    const thrown = new IllegalMutationError("Negate", '{"n":1}', '{"n":-1}', "Negate changed its input element");
    const arrived = fromFailure(await posted<ThreadFailure>(toFailure(thrown)), 2);
    expect(arrived).toBeInstanceOf(IllegalMutationError);
    expect((arrived as IllegalMutationError).before).toBe('{"n":1}');
    expect(classifyFailure(arrived).permanent).toBe(true);
  });
});
