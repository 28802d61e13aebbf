import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { resolveRabbitMqConnection } from "./rabbitmq-connection.js";
import { rabbitMqLineageName } from "./rabbitmq-lineage.js";

describe("rabbitMqLineageName", () => {
  it("names host:port, the default vhost and the queue", () => {
    const c = resolveRabbitMqConnection("t", { url: "amqp://mq.local" });
    expect(rabbitMqLineageName(c, "orders")).toBe("rabbitmq:`mq.local:5672`./.orders");
  });

  it("names the url's vhost, decoded", () => {
    const c = resolveRabbitMqConnection("t", { url: "amqps://mq:5673/shop%2Feu" });
    expect(rabbitMqLineageName(c, "events")).toBe("rabbitmq:`mq:5673`.shop/eu.events");
  });

  it("never holds the url's user or password", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), (password) => {
        const c = resolveRabbitMqConnection("t", { url: new Secret(`amqp://someuser:${password}@mq:5672/v`) });
        const name = rabbitMqLineageName(c, "q");
        expect(name).toBe("rabbitmq:`mq:5672`.v.q");
        expect(name).not.toContain(password);
      }),
    );
  });
});
