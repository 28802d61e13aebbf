import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint-file.js";
import { LocalCheckpointStorage } from "./checkpoint-storage.js";

const header = { id: 3, kind: "checkpoint" as const, createdAt: "2026-12-07T00:00:00Z", job: "j", finished: false, stages: [] };

describe("checkpoint files", () => {
  it("round-trip any parts, and any single damaged byte is detected", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 4 }), fc.nat(), (parts, at) => {
        const bytes = encodeCheckpoint(header, parts);
        const decoded = decodeCheckpoint(bytes, "x");
        expect(decoded.parts.map((p) => [...p])).toEqual(parts.map((p) => [...p]));
        expect(decoded.header.parts).toEqual(parts.map((p) => p.length));
        const damaged = Uint8Array.from(bytes);
        damaged[at % damaged.length]! ^= 0x01;
        expect(() => decodeCheckpoint(damaged, "x")).toThrow(/cannot be used/);
      }),
    );
  });

  it("refuses a newer format version and a truncated file", () => {
    const bytes = Buffer.from(encodeCheckpoint(header, [new Uint8Array([1])]));
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 3), "cut")).toThrow(/Checkpoint cut cannot be used/);
    const newer = Buffer.from(bytes);
    newer.writeUInt32BE(99, 8);
    expect(() => decodeCheckpoint(newer, "newer")).toThrow(/format version 99, newer than this beam-ts reads/);
  });

  it("local storage lists only complete files, removes leftovers of interrupted writes, and keeps ids in order", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-storage-"));
    try {
      const storage = new LocalCheckpointStorage(dir);
      await storage.write(2, "checkpoint", new Uint8Array([2]));
      await storage.write(10, "savepoint", new Uint8Array([10]));
      writeFileSync(path.join(dir, ".chk-000011.beamckpt.123.tmp"), "partial");
      expect(storage.list().map((c) => [c.id, c.kind])).toEqual([
        [2, "checkpoint"],
        [10, "savepoint"],
      ]);
      storage.removeIncomplete();
      expect(readdirSync(dir).sort()).toEqual(["chk-000002.beamckpt", "svp-000010.beamckpt"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
