import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { loadAmqpModule, resolveRabbitMqConnection } from "./rabbitmq-connection.js";

describe("RabbitMQ connection settings", () => {
  it("prints the address with the password masked, default port and vhost", () => {
    const c = resolveRabbitMqConnection("readFromRabbitMq", { url: new Secret("amqp://beam:hunter2@mq.internal") });
    expect(c.address).toBe("amqp://beam:****@mq.internal:5672/");
    expect(resolveRabbitMqConnection("w", { url: "amqps://u@h:5999/prod" }).address).toBe("amqps://u@h:5999/prod");
    expect(JSON.stringify(c)).not.toContain("hunter2");
  });

  it("refuses urls that are not AMQP without printing them", () => {
    expect(() => resolveRabbitMqConnection("w", { url: "http://u:hunter2@h" })).toThrow(/amqp:\/\/ or amqps:\/\//);
    expect(() => resolveRabbitMqConnection("w", { url: "not a url hunter2" })).toThrow(/not a URL \(the value is not shown/);
    expect(() => resolveRabbitMqConnection("w", { url: "not a url hunter2" })).not.toThrow(/hunter2/);
  });

  it("says which package to install when amqplib is missing", async () => {
    const missing = Object.assign(new Error("Cannot find package 'amqplib'"), { code: "ERR_MODULE_NOT_FOUND" });
    await expect(loadAmqpModule("Read", () => Promise.reject(missing))).rejects.toThrow(/npm install amqplib@\^2\.3\.1/);
  });
});
