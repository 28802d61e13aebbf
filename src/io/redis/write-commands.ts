import { describeValue } from "../../model/index.js";

/**
 * The value each write command takes for a key (the element type of `writeToRedis` is
 * `KV<string, RedisCommandValues[command]>`, or any type with `keyFn`/`valueFn`). The
 * commands of Beam Java's RedisIO.Write.Method, plus HSET and XADD (RedisIO.writeStreams):
 *
 * | command | Redis command | value |
 * | --- | --- | --- |
 * | `set` | SET key value [PX ttl] | string |
 * | `append` | APPEND key value | string |
 * | `lpush` / `rpush` | LPUSH / RPUSH key value | string |
 * | `sadd` | SADD key member | string |
 * | `pfadd` | PFADD key element (HyperLogLog) | string |
 * | `incrby` / `decrby` | INCRBY / DECRBY key n | integer (number or bigint, 64-bit) |
 * | `hset` | HSET key field value … | `{ field: value }`, at least one field |
 * | `xadd` | XADD key [MAXLEN [~] n] * field value … | `{ field: value }`, at least one field |
 */
export interface RedisCommandValues {
  set: string;
  append: string;
  lpush: string;
  rpush: string;
  sadd: string;
  pfadd: string;
  incrby: number | bigint;
  decrby: number | bigint;
  hset: Readonly<Record<string, string>>;
  xadd: Readonly<Record<string, string>>;
}

/** A command `writeToRedis` can write with. */
export type RedisWriteCommand = keyof RedisCommandValues;

/** @internal Every command, for checks and messages. */
export const REDIS_WRITE_COMMANDS: readonly RedisWriteCommand[] = ["set", "append", "lpush", "rpush", "sadd", "pfadd", "incrby", "decrby", "hset", "xadd"];

/** What builds an element's commands besides the key and value. */
export interface CommandSettings {
  readonly command: RedisWriteCommand;
  /** Expiry in ms: SET's PX, or a PEXPIRE after the other commands. */
  readonly ttl: number | undefined;
  /** XADD's MAXLEN (0: no trimming). */
  readonly maxLen: number;
  readonly approximateTrim: boolean;
}

/** Thrown for an element whose key or value the command cannot take: never retried. */
export class InvalidRedisElementError extends Error {
  /** An element does not get better when retried. */
  readonly retryable = false;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function fieldPairs(command: string, value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidRedisElementError(`${command} needs a value of { field: string } pairs, got ${describeValue(value, 80)}`);
  }
  const out: string[] = [];
  for (const [field, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new InvalidRedisElementError(`${command} needs string field values; field ${JSON.stringify(field)} is ${describeValue(v, 80)}`);
    }
    out.push(field, v);
  }
  if (out.length === 0) throw new InvalidRedisElementError(`${command} needs at least one field, got {}`);
  return out;
}

function integer(command: string, value: unknown): string {
  if (typeof value === "bigint") {
    if (value < INT64_MIN || value > INT64_MAX) throw new InvalidRedisElementError(`${command} needs a 64-bit integer, got ${value}n`);
    return value.toString();
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new InvalidRedisElementError(`${command} needs an integer (a safe-integer number or a bigint), got ${describeValue(value, 80)}`);
  }
  return String(value);
}

function text(command: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidRedisElementError(`${command} needs a string value, got ${describeValue(value, 80)}`);
  return value;
}

/**
 * The commands (one, or two with a PEXPIRE) that write `value` at `key`; throws
 * InvalidRedisElementError for a key or value the command cannot take.
 */
export function commandsFor(settings: CommandSettings, key: unknown, value: unknown): string[][] {
  const { command, ttl } = settings;
  const name = command.toUpperCase();
  if (typeof key !== "string") throw new InvalidRedisElementError(`the key must be a string, got ${describeValue(key, 80)}`);
  let main: string[];
  switch (command) {
    case "set":
      return [ttl !== undefined ? ["SET", key, text(name, value), "PX", String(ttl)] : ["SET", key, text(name, value)]];
    case "append":
    case "lpush":
    case "rpush":
    case "sadd":
    case "pfadd":
      main = [name, key, text(name, value)];
      break;
    case "incrby":
    case "decrby":
      main = [name, key, integer(name, value)];
      break;
    case "hset":
      main = ["HSET", key, ...fieldPairs(name, value)];
      break;
    case "xadd": {
      const trim = settings.maxLen > 0 ? ["MAXLEN", settings.approximateTrim ? "~" : "=", String(settings.maxLen)] : [];
      main = ["XADD", key, ...trim, "*", ...fieldPairs(name, value)];
      break;
    }
  }
  return ttl !== undefined ? [main, ["PEXPIRE", key, String(ttl)]] : [main];
}

