import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { describeValue } from "./errors.js";
import { Secret } from "./secret.js";

const VALUE = "hunter2";

describe("Secret", () => {
  const secret = new Secret(VALUE);

  it("yields its value only through reveal()", () => {
    expect(secret.reveal()).toBe(VALUE);
    expect(new Secret(1234).reveal()).toBe(1234);
    expect(Object.keys(secret)).toEqual([]);
    expect({ ...secret }).toEqual({});
  });

  it("prints as **** under util.inspect, console.log formats, String(), template literals, + and JSON.stringify", () => {
    const shown = [
      inspect(secret),
      inspect({ options: { apiKey: secret } }, { depth: 5 }),
      inspect(secret, { showHidden: true }),
      // Node prints an uncaught error's properties with custom inspection off.
      inspect({ apiKey: secret }, { customInspect: false, showHidden: true }),
      format("%s %o %O %j", secret, secret, secret, secret),
      format(secret),
      String(secret),
      `${secret}`,
      "key=" + secret,
      JSON.stringify({ apiKey: secret }),
      describeValue({ apiKey: secret }),
      describeValue(secret),
      Object.prototype.toString.call(secret),
    ];
    for (const text of shown) {
      expect(text).toContain("****");
      expect(text).not.toContain(VALUE);
    }
    expect(JSON.stringify({ apiKey: secret })).toBe('{"apiKey":"****"}');
  });

  it("crosses structuredClone (worker postMessage) as an empty object, never as its value", () => {
    const cloned: unknown = structuredClone({ apiKey: secret });
    expect(cloned).toEqual({ apiKey: {} });
    expect(inspect(cloned)).not.toContain(VALUE);
  });

  it("is recognised by isSecret, also from another loaded copy of its class (by its brand)", () => {
    expect(Secret.isSecret(secret)).toBe(true);
    expect(Secret.isSecret(VALUE)).toBe(false);
    expect(Secret.isSecret({ reveal: () => VALUE })).toBe(false);
    const foreign = Object.create(Object.getPrototypeOf(secret) as object) as object;
    expect(Secret.isSecret(foreign)).toBe(true);
  });

  it("cannot be changed after it is made", () => {
    expect(Object.isFrozen(secret)).toBe(true);
  });
});
