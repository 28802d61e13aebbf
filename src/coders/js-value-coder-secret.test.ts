import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { CoderError, Secret } from "../model/index.js";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
import { deterministicJsValueCoder, jsValueCoder } from "./js-value-coder.js";

describe("the JS value coder and Secret", () => {
  it("decodes a Secret inside an element as a Secret holding the same value", () => {
    const element = { id: 7, options: { runner: "embedded", apiKey: new Secret("hunter2"), pin: new Secret(1234) } };
    const decoded = decodeFromBytes(jsValueCoder, encodeToBytes(jsValueCoder, element)) as typeof element;
    expect(decoded.id).toBe(7);
    expect(decoded.options.runner).toBe("embedded");
    expect(decoded.options.apiKey).toBeInstanceOf(Secret);
    expect(decoded.options.apiKey.reveal()).toBe("hunter2");
    expect(decoded.options.pin.reveal()).toBe(1234);
    expect(inspect(decoded, { depth: 5 })).not.toContain("hunter2");
    expect(JSON.stringify(decoded)).not.toContain("hunter2");
  });

  it("encodes equal Secrets to equal bytes in deterministic mode (a Secret may be part of a key)", () => {
    const a = encodeToBytes(deterministicJsValueCoder, { k: new Secret("x"), n: 1 });
    const b = encodeToBytes(deterministicJsValueCoder, { n: 1, k: new Secret("x") });
    expect(a).toEqual(b);
    expect(encodeToBytes(deterministicJsValueCoder, new Secret("x"))).not.toEqual(encodeToBytes(deterministicJsValueCoder, "x"));
  });

  it("refuses a Secret holding a value it cannot encode without describing that value", () => {
    class Credentials {
      constructor(readonly token: string) {}
    }
    let err: unknown;
    try {
      encodeToBytes(jsValueCoder, { key: new Secret(new Credentials("tok-hunter2")) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoderError);
    expect((err as Error).message).toMatch(/cannot encode the value inside a Secret \(not shown\)/);
    expect((err as Error).message).not.toContain("hunter2");
  });
});
