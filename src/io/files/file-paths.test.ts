import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { basenameOf, dirnameOf, joinPath, pathSegments, resolveOutputPath } from "./file-paths.js";

const segment = fc.string({ unit: fc.constantFrom("a", "b", "-", ".", "_", "é"), minLength: 1, maxLength: 5 }).filter((s) => s !== "." && s !== "..");

describe("output path arithmetic", () => {
  it("keeps an object store's scheme and bucket whole where node:path would fold them into a local folder", () => {
    expect(dirnameOf("s3://bucket/out/counts")).toBe("s3://bucket/out");
    expect(dirnameOf("gs://bucket/counts")).toBe("gs://bucket/");
    expect(joinPath("s3://bucket/out", ".temp-beam-x", "owner.json")).toBe("s3://bucket/out/.temp-beam-x/owner.json");
    expect(joinPath("gs://bucket/", "a")).toBe("gs://bucket/a");
    expect(basenameOf("s3://bucket/out/counts-00000-of-00001.txt")).toBe("counts-00000-of-00001.txt");
    expect(resolveOutputPath("s3://bucket/out/x")).toBe("s3://bucket/out/x");
    expect(pathSegments("s3://b/out/.temp-beam-1/f")).toContain(".temp-beam-1");
    expect(resolveOutputPath("file:///tmp/out/x")).toBe("/tmp/out/x");
  });

  it("joins, splits and names any object key as the local rules do a path under the same directories", () => {
    fc.assert(
      fc.property(fc.constantFrom("s3", "gs", "mem"), segment, fc.array(segment, { minLength: 1, maxLength: 4 }), (scheme, bucket, keys) => {
        const local = path.join("/root", ...keys);
        const object = joinPath(`${scheme}://${bucket}`, ...keys);
        expect(object).toBe(`${scheme}://${bucket}/${keys.join("/")}`);
        expect(basenameOf(object)).toBe(path.basename(local));
        expect(dirnameOf(object)).toBe(keys.length === 1 ? `${scheme}://${bucket}/` : `${scheme}://${bucket}/${keys.slice(0, -1).join("/")}`);
        expect(joinPath(dirnameOf(object), basenameOf(object))).toBe(object);
      }),
    );
  });

  it("resolves a relative local prefix against the working directory, as node:path does", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 3 }), (keys) => {
        const p = keys.join("/");
        expect(resolveOutputPath(p)).toBe(path.resolve(p));
        expect(dirnameOf(p)).toBe(path.dirname(p));
        expect(basenameOf(p)).toBe(path.basename(p));
      }),
    );
  });
});
