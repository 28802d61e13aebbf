import { describe, expect, it } from "vitest";
import { InvalidRedisElementError, commandsFor, type CommandSettings, type RedisWriteCommand } from "./write-commands.js";

const settings = (command: RedisWriteCommand, extra: Partial<CommandSettings> = {}): CommandSettings => ({
  command,
  ttl: undefined,
  maxLen: 0,
  approximateTrim: true,
  ...extra,
});

describe("Redis write commands", () => {
  it("writes SET with PX when there is a TTL, and a PEXPIRE after the other commands", () => {
    expect(commandsFor(settings("set", { ttl: 500 }), "k", "v")).toEqual([["SET", "k", "v", "PX", "500"]]);
    expect(commandsFor(settings("set"), "k", "v")).toEqual([["SET", "k", "v"]]);
    expect(commandsFor(settings("sadd", { ttl: 500 }), "k", "m")).toEqual([["SADD", "k", "m"], ["PEXPIRE", "k", "500"]]);
  });

  it("writes integers of INCRBY and DECRBY as numbers or 64-bit bigints", () => {
    expect(commandsFor(settings("incrby"), "k", -3)).toEqual([["INCRBY", "k", "-3"]]);
    expect(commandsFor(settings("decrby"), "k", 2n ** 63n - 1n)).toEqual([["DECRBY", "k", "9223372036854775807"]]);
  });

  it("writes HSET and XADD field pairs, XADD with MAXLEN ~ or = when maxLen is set", () => {
    expect(commandsFor(settings("hset"), "h", { a: "1", b: "2" })).toEqual([["HSET", "h", "a", "1", "b", "2"]]);
    expect(commandsFor(settings("xadd"), "s", { a: "1" })).toEqual([["XADD", "s", "*", "a", "1"]]);
    expect(commandsFor(settings("xadd", { maxLen: 10 }), "s", { a: "1" })).toEqual([["XADD", "s", "MAXLEN", "~", "10", "*", "a", "1"]]);
    expect(commandsFor(settings("xadd", { maxLen: 10, approximateTrim: false }), "s", { a: "1" })[0]!.slice(2, 5)).toEqual(["MAXLEN", "=", "10"]);
  });

  it("refuses keys and values the command cannot take", () => {
    const bad = (command: RedisWriteCommand, key: unknown, value: unknown) => () => commandsFor(settings(command), key, value);
    expect(bad("set", 1, "v")).toThrow(InvalidRedisElementError);
    expect(bad("set", "k", 1)).toThrow("SET needs a string value, got 1");
    expect(bad("incrby", "k", 1.5)).toThrow("INCRBY needs an integer");
    expect(bad("incrby", "k", 2 ** 60)).toThrow("INCRBY needs an integer");
    expect(bad("incrby", "k", 2n ** 63n)).toThrow("INCRBY needs a 64-bit integer");
    expect(bad("hset", "k", {})).toThrow("HSET needs at least one field");
    expect(bad("hset", "k", { a: 1 })).toThrow('HSET needs string field values; field "a" is 1');
    expect(bad("xadd", "k", ["a", "1"])).toThrow("XADD needs a value of { field: string } pairs");
  });
});
