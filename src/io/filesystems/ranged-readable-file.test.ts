import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rangedReadableFile } from "./ranged-readable-file.js";

function objectOf(size: number) {
  const bytes = new Uint8Array(size).map((_, i) => (i * 7 + 3) % 251);
  const fetched: [number, number][] = [];
  const fetch = (start: number, end: number) => {
    fetched.push([start, end]);
    return Promise.resolve(bytes.slice(start, end));
  };
  return { bytes, fetched, meta: { path: "s3://b/k", sizeBytes: size, lastModifiedMillis: 0 }, fetch };
}

describe("ranged readable file", () => {
  it("reads any range as the object's bytes, whatever the window", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5100 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 20 }),
        async (size, windowBytes, reads) => {
          const o = objectOf(size);
          const f = rangedReadableFile(o.meta, o.fetch, { windowBytes });
          for (const [position, length] of reads) {
            const buf = Buffer.alloc(length);
            const n = await f.read(buf, 0, length, position);
            const want = o.bytes.subarray(Math.min(position, size), Math.min(position + length, size));
            expect(n).toBe(want.length);
            expect(Buffer.from(buf.subarray(0, n)).equals(Buffer.from(want))).toBe(true);
          }
          for (const [, end] of o.fetched) expect(end).toBeLessThanOrEqual(size);
        },
      ),
    );
  });

  it("serves small sequential reads from one window per request", async () => {
    const o = objectOf(10_000);
    const f = rangedReadableFile(o.meta, o.fetch, { windowBytes: 4096 });
    const buf = Buffer.alloc(100);
    for (let at = 0; at < 10_000; at += 100) await f.read(buf, 0, 100, at);
    expect(o.fetched).toEqual([
      [0, 4096],
      [4096, 8192],
      [8192, 10_000],
    ]);
    expect(f.requests).toBe(3);
  });

  it("fetches a region once when reads of it run concurrently", async () => {
    const o = objectOf(10_000);
    const f = rangedReadableFile(o.meta, o.fetch, { windowBytes: 4096 });
    const reads = Array.from({ length: 8 }, (_, i) => f.read(Buffer.alloc(10), 0, 10, i * 10));
    expect(await Promise.all(reads)).toEqual(Array(8).fill(10));
    expect(o.fetched).toHaveLength(1);
  });

  it("stops at the end of a shorter object than its metadata said, instead of looping", async () => {
    const o = objectOf(100);
    const f = rangedReadableFile({ ...o.meta, sizeBytes: 200 }, o.fetch, { windowBytes: 50 });
    const buf = Buffer.alloc(200);
    expect(await f.read(buf, 0, 200, 0)).toBe(100);
  });
});
