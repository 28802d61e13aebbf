import { mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConstructionError, Pipeline, create, map } from "../../src/index.js";
import { readAvro, writeAvro } from "../../src/io/avro/index.js";

// Issue #18: reading data written with another schema follows Avro's resolution, and an
// incompatible change is refused before the job reads data, naming the field and both types.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-avro-evolution-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const V1 = { type: "record", name: "User", fields: [{ name: "id", type: "long" }, { name: "score", type: "long" }, { name: "nick", type: "string" }] };
/** score narrowed to int, email added without a default: two incompatibilities. */
const INCOMPATIBLE = {
  type: "record",
  name: "User",
  fields: [{ name: "id", type: "long" }, { name: "score", type: "int" }, { name: "email", type: "string" }],
};
/** What the job must say: the file, each field with both types, the kind, a fix. */
const REFUSAL =
  /readAvro: the reader schema cannot read ".*v1-00000-of-00001\.avro".*field "score" is long in the file's writer schema and int in the reader schema \(TYPE_MISMATCH.*field "email" is absent from the file's writer schema and string in the reader schema \(READER_FIELD_MISSING_DEFAULT_VALUE.*"default"/;

async function writeV1(prefix: string, n: number): Promise<void> {
  const users = Array.from({ length: n }, (_, i) => ({ id: BigInt(i), score: BigInt(i * 10), nick: `u${i}` }));
  const p = new Pipeline();
  p.apply(create(users)).apply(writeAvro(prefix, { schema: V1, numShards: 1 }));
  await p.run().waitUntilFinish();
}

describe("readAvro schema evolution", () => {
  it("reads a renamed field through its alias, a widened type and an added field with its default", async () => {
    await writeV1(path.join(dir, "v1"), 3);
    const v2 = {
      type: "record",
      name: "User",
      fields: [
        { name: "id", type: "long" },
        { name: "score", type: "double" },
        { name: "name", aliases: ["nick"], type: "string" },
        { name: "email", type: ["null", "string"], default: null },
      ],
    };
    const read: unknown[] = [];
    const p = new Pipeline();
    p.apply(readAvro(path.join(dir, "v1-*.avro"), { readerSchema: v2 })).apply(map((r: Record<string, unknown>) => void read.push(r)));
    await p.run().waitUntilFinish();
    expect(read).toContainEqual({ id: 2n, score: 20, name: "u2", email: null });
    expect(read).toHaveLength(3);
  });

  it("refuses an incompatible reader schema at construction when the files are local, naming the file, the fields and both types", async () => {
    await writeV1(path.join(dir, "v1"), 3);
    const p = new Pipeline();
    expect(() => p.apply(readAvro(path.join(dir, "v1-*.avro"), { readerSchema: INCOMPATIBLE }))).toThrow(ConstructionError);
    expect(() => new Pipeline().apply(readAvro(path.join(dir, "v1-00000-of-00001.avro"), { readerSchema: INCOMPATIBLE }))).toThrow(REFUSAL);
  });

  it("refuses files matched only when the job runs before any record of any file is read", async () => {
    // Neither file exists at construction: "a" (many records) the reader schema reads as written, "v1" it cannot read.
    const staged = path.join(dir, "staged");
    await writeV1(path.join(staged, "v1"), 3);
    const rows = Array.from({ length: 5_000 }, (_, i) => ({ id: BigInt(i), score: i, email: `u${i}@example.com` }));
    const w = new Pipeline();
    w.apply(create(rows)).apply(writeAvro(path.join(staged, "a"), { schema: INCOMPATIBLE, numShards: 1 }));
    await w.run().waitUntilFinish();

    const read: unknown[] = [];
    const p = new Pipeline();
    p.apply(readAvro(path.join(dir, "in", "*.avro"), { readerSchema: INCOMPATIBLE })).apply(map((r: unknown) => void read.push(r)));
    await rename(staged, path.join(dir, "in"));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(REFUSAL);
    expect(read).toEqual([]);
  });
});
