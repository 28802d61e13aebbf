import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { clientOptions, loadNatsModules, printableServer, resolveNatsConnection } from "./nats-connection.js";

describe("NATS connection settings", () => {
  it("prints servers without the credentials a url holds", () => {
    expect(printableServer("nats://beam:hunter2@10.0.0.1:4222")).toBe("nats://10.0.0.1:4222");
    expect(printableServer("tok@host:4222")).toBe("host:4222");
    const c = resolveNatsConnection("readFromNats", { servers: ["nats://u:p@a:1", "b:2"], user: "u", password: new Secret("hunter2") });
    expect(c.address).toBe("nats://a:1, b:2");
    expect(JSON.stringify(c)).not.toContain("hunter2");
  });

  it("hands the client the revealed password or token, and only one of them", () => {
    expect(clientOptions("s", resolveNatsConnection("w", { servers: "x:1", user: "u", password: new Secret("pw") }))).toMatchObject({ user: "u", pass: "pw" });
    expect(clientOptions("s", resolveNatsConnection("w", { servers: "x:1", token: new Secret("tk") }))).toMatchObject({ token: "tk" });
    expect(() => resolveNatsConnection("w", { servers: "x:1", token: "t", user: "u" })).toThrow(/token or connection.user/);
    expect(() => resolveNatsConnection("w", { servers: [] })).toThrow(/servers must be/);
  });

  it("says which packages to install when the client libraries are missing", async () => {
    const missing = Object.assign(new Error("Cannot find package '@nats-io/transport-node'"), { code: "ERR_MODULE_NOT_FOUND" });
    await expect(loadNatsModules("Read", () => Promise.reject(missing))).rejects.toThrow(/npm install @nats-io\/transport-node@\^3\.3\.1 @nats-io\/jetstream@\^3\.3\.1/);
  });
});
