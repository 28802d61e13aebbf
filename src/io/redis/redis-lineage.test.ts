import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { parseLineageName } from "../../metrics/index.js";
import { resolveRedisConnection } from "./redis-connection.js";
import { redisLineageName } from "./redis-lineage.js";

describe("redisLineageName", () => {
  it("names host:port, the database number and the key pattern", () => {
    expect(redisLineageName({ host: "cache", port: 6380, db: 2 }, "session:*")).toBe("redis:`cache:6380`.2.`session:*`");
  });

  it("names the whole database when no keys are given (a write)", () => {
    expect(redisLineageName({ host: "cache", port: 6379, db: 0 })).toBe("redis:`cache:6379`.0");
  });

  it("never holds the password of a url Secret or of the password setting", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), (password) => {
        const fromUrl = resolveRedisConnection("t", { url: new Secret(`redis://user:${password}@db.example:6390/3`) });
        const fromField = resolveRedisConnection("t", { host: "db.example", password: new Secret(password) });
        const name = redisLineageName(fromUrl, "k");
        expect(parseLineageName(name).segments).toEqual(["db.example:6390", "3", "k"]);
        expect(name).not.toContain(password);
        expect(redisLineageName(fromField, "k")).not.toContain(password);
      }),
    );
  });
});
