import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { clientOptions, resolveKafkaConnection, unreachable } from "./kafka-connection.js";

describe("resolveKafkaConnection tls", () => {
  it("passes the CA, client certificate, revealed key and passphrase to the client, and plaintext when tls is absent or false", () => {
    const c = resolveKafkaConnection("writeToKafka", {
      bootstrapServers: "127.0.0.1:9093",
      tls: { ca: "CA PEM", cert: new TextEncoder().encode("CERT PEM"), key: new Secret("KEY PEM"), passphrase: new Secret("pp"), servername: "kafka.internal", rejectUnauthorized: true },
    });
    const tls = clientOptions(c, "writer").tls!;
    expect(tls["ca"]).toBe("CA PEM");
    expect(Buffer.isBuffer(tls["cert"]) && tls["cert"].toString()).toBe("CERT PEM");
    expect([tls["key"], tls["passphrase"], tls["servername"], tls["rejectUnauthorized"]]).toEqual(["KEY PEM", "pp", "kafka.internal", true]);
    expect(clientOptions(resolveKafkaConnection("t", { bootstrapServers: "h:1", tls: true }), "x").tls).toEqual({});
    expect(clientOptions(resolveKafkaConnection("t", { bootstrapServers: "h:1", tls: false }), "x").tls).toBeUndefined();
    expect(clientOptions(resolveKafkaConnection("t", { bootstrapServers: "h:1" }), "x").tls).toBeUndefined();
  });

  it("refuses a client certificate without its key, and unknown tls options, naming the transform", () => {
    expect(() => resolveKafkaConnection("writeToKafka", { bootstrapServers: "h:1", tls: { cert: "C" } })).toThrow(/writeToKafka: tls\.cert and tls\.key go together/);
    expect(() => resolveKafkaConnection("readFromKafka", { bootstrapServers: "h:1", tls: { caFile: "x" } as never })).toThrow(/readFromKafka: tls has unknown option\(s\) caFile/);
  });

  it("names an authentication failure without the password, and marks it not retryable", () => {
    const c = resolveKafkaConnection("t", { bootstrapServers: "h:1", sasl: { mechanism: "SCRAM-SHA-256", username: "u", password: new Secret("pw-123") } });
    const inner = Object.assign(new Error("SASL authentication failed."), { code: "PLT_KFK_AUTHENTICATION" });
    const err = unreachable("Step", c, "write", Object.assign(new Error("failed 4 times"), { errors: [inner] }));
    expect(err.message).toMatch(/^"Step" could not write at h:1: authentication failed \(SASL SCRAM-SHA-256 as user "u"\): SASL authentication failed\. Check sasl\.username/);
    expect(err.message).not.toContain("pw-123");
    expect(err.retryable).toBe(false);
  });
});
