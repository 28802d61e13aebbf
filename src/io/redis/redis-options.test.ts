import { describe, expect, it } from "vitest";
import { ConstructionError } from "../../model/index.js";
import { readFromRedis } from "./read-from-redis.js";
import { writeToRedis } from "./write-to-redis.js";

describe("Redis IO construction", () => {
  it("checks options when the pipeline is built", () => {
    const connection = { port: 6379 };
    expect(() => writeToRedis({ connection, command: "set", maxLen: 3 } as never)).toThrow('maxLen and approximateTrim trim streams and apply only to command "xadd", not "set"');
    expect(() => writeToRedis({ connection, command: "set", ttl: 0 })).toThrow("ttl is in milliseconds and must be a positive integer");
    expect(() => writeToRedis({ connection, command: "get" as never })).toThrow('command must be one of "set", "append"');
    expect(() => writeToRedis({ connection, command: "set", keyFn: (s: string) => s } as never)).toThrow("give both keyFn and valueFn");
    expect(() => writeToRedis({ connection, command: "set", batchSize: 0 })).toThrow(ConstructionError);
    expect(() => readFromRedis({ connection, keyPattern: "" })).toThrow("keyPattern must be a non-empty string");
    expect(() => readFromRedis({ connection, batchSize: 1.5 })).toThrow("batchSize must be a positive integer, got 1.5");
  });
});
