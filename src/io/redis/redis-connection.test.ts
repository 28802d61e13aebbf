import { describe, expect, it } from "vitest";
import { ConstructionError, Secret } from "../../model/index.js";
import { clientName, loadRedisModule, resolveRedisConnection } from "./redis-connection.js";
import { RedisIOError } from "./redis-io-error.js";

describe("Redis connection settings", () => {
  it("takes host, port, user, password, database and TLS from a url, and prints it without the password", () => {
    const c = resolveRedisConnection("readFromRedis", { url: new Secret("rediss://alice:p%40ss@cache.internal:6380/3") });
    expect(c).toMatchObject({ host: "cache.internal", port: 6380, username: "alice", password: "p@ss", db: 3, tls: {} });
    expect(c.address).toBe("rediss://alice:****@cache.internal:6380/3");
  });

  it("defaults to 127.0.0.1:6379, database 0, no TLS, and lets settings next to the url override its parts", () => {
    expect(resolveRedisConnection("w", {}).address).toBe("redis://127.0.0.1:6379/0");
    const c = resolveRedisConnection("w", { url: "redis://h:1/1", port: 2, db: 4, password: new Secret("pw") });
    expect(c.address).toBe("redis://:****@h:2/4");
    expect(Secret.isSecret(c.password)).toBe(true);
  });

  it("refuses a url it cannot parse without showing it, a wrong scheme, a bad port and a bad database", () => {
    const bad = (connection: object) => () => resolveRedisConnection("writeToRedis", connection);
    expect(bad({ url: "::user:hunter2" })).toThrow(ConstructionError);
    expect(bad({ url: "::user:hunter2" })).not.toThrow(/hunter2/);
    expect(bad({ url: "http://h:1" })).toThrow("writeToRedis: connection.url must start with redis:// or rediss://, got http://…");
    expect(bad({ port: 70000 })).toThrow("connection.port must be an integer from 1 to 65535, got 70000");
    expect(bad({ url: "redis://h/x" })).toThrow("path must be a database number");
    expect(bad({ db: -1 })).toThrow("connection.db must be an integer >= 0, got -1");
    expect(() => resolveRedisConnection("readFromRedis", undefined)).toThrow("readFromRedis needs a connection");
  });

  it("names the package to install when node-redis is missing", async () => {
    const missing = Object.assign(new Error("Cannot find package 'redis'"), { code: "ERR_MODULE_NOT_FOUND" });
    const err = await loadRedisModule("W/Write", () => Promise.reject(missing)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisIOError);
    expect((err as RedisIOError).message).toContain("npm install redis@^6.3.1");
    expect((err as RedisIOError).retryable).toBe(false);
  });

  it("names clients after the step with only the characters CLIENT SETNAME takes", () => {
    expect(clientName("Write users/Write")).toBe("beam-ts:Write_users/Write");
  });
});
