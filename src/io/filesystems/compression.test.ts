import { execFileSync } from "node:child_process";
import * as zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCompression, compressionSuffix, createCompressor, decompress, detectCompression, resolveCompression, type Compression } from "./compression.js";

/** The bytes as a stream of chunks cut at the given sizes (the rest as one last chunk). */
async function* chunked(bytes: Buffer, sizes: readonly number[] = []): AsyncGenerator<Buffer> {
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    yield bytes.subarray(at, at + size);
    at += size;
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

const COMPRESS: Record<"GZIP" | "DEFLATE" | "BROTLI", (b: Buffer) => Buffer> = {
  GZIP: (b) => zlib.gzipSync(b),
  DEFLATE: (b) => zlib.deflateSync(b),
  BROTLI: (b) => zlib.brotliCompressSync(b),
};

function zstdCompress(b: Buffer): Buffer | undefined {
  try {
    return execFileSync("zstd", ["-c", "-q"], { input: b });
  } catch {
    return undefined; // no zstd command here
  }
}

describe("Compression", () => {
  it("detects Beam's extensions, ignoring case, and reads any other name as uncompressed", () => {
    expect(detectCompression("a/b.json.gz")).toBe("GZIP");
    expect(detectCompression("A.TXT.GZ")).toBe("GZIP");
    expect(detectCompression("x.deflate")).toBe("DEFLATE");
    expect(detectCompression("x.zlib")).toBe("DEFLATE");
    expect(detectCompression("x.bz2")).toBe("BZIP2");
    expect(detectCompression("x.zst")).toBe("ZSTD");
    expect(detectCompression("x.zstd")).toBe("ZSTD");
    expect(detectCompression("x.zip")).toBe("ZIP");
    expect(detectCompression("x.lzo")).toBe("LZOP");
    expect(detectCompression("x.lzo_deflate")).toBe("LZO");
    expect(detectCompression("x.br")).toBe("BROTLI");
    expect(detectCompression("x.gzip")).toBe("UNCOMPRESSED");
    expect(detectCompression("gz")).toBe("UNCOMPRESSED");
    expect(resolveCompression("AUTO", "s3://b/k.gz")).toBe("GZIP");
    expect(resolveCompression("UNCOMPRESSED", "s3://b/k.gz")).toBe("UNCOMPRESSED");
    expect(compressionSuffix("GZIP")).toBe(".gz");
    expect(compressionSuffix("UNCOMPRESSED")).toBe("");
  });

  it("decompresses what node:zlib compressed, however the compressed bytes are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.constantFrom<"GZIP" | "DEFLATE" | "BROTLI">("GZIP", "DEFLATE", "BROTLI"),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 8 }),
        async (data, compression, sizes) => {
          const plain = Buffer.from(data);
          const out = await collect(decompress(chunked(COMPRESS[compression](plain), sizes), compression, "f"));
          expect(out.equals(plain)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("compresses with createCompressor into bytes node:zlib decompresses", async () => {
    const plain = Buffer.from("line 1\nline 2\n".repeat(100));
    for (const c of ["GZIP", "DEFLATE", "BROTLI"] as const) {
      const compressor = createCompressor(c, "test")!;
      const done = collect(compressor as AsyncIterable<Buffer>);
      compressor.end(plain);
      const bytes = await done;
      expect(await collect(decompress(chunked(bytes), c, "f"))).toEqual(plain);
    }
    expect(createCompressor("UNCOMPRESSED", "test")).toBeUndefined();
  });

  it("reads every member of a concatenated gzip file, as Beam does", async () => {
    const bytes = Buffer.concat([zlib.gzipSync("first\n"), zlib.gzipSync("second\n")]);
    expect((await collect(decompress(chunked(bytes, [7]), "GZIP", "two.gz"))).toString()).toBe("first\nsecond\n");
  });

  it("passes a GZIP file without the gzip magic bytes through unchanged (an object store served it decompressed)", async () => {
    const out = await collect(decompress(chunked(Buffer.from("plain text\n"), [1]), "GZIP", "served.gz"));
    expect(out.toString()).toBe("plain text\n");
    expect((await collect(decompress(chunked(Buffer.alloc(0)), "GZIP", "empty.gz"))).length).toBe(0);
  });

  it("fails on a truncated file naming the file, the compression and the compressed byte offset", async () => {
    const plain = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n"));
    for (const c of ["GZIP", "DEFLATE", "BROTLI"] as const) {
      const whole = COMPRESS[c](plain);
      const cut = whole.subarray(0, Math.floor(whole.length / 2));
      const err = await collect(decompress(chunked(cut, [100]), c, "/data/cut.file")).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain(`"/data/cut.file" as ${c}`);
      expect((err as Error).message).toMatch(/at compressed byte offset \d+/);
      expect((err as { code?: string }).code).toBe("IO");
    }
  });

  it("reads ZSTD files (node:zlib or the fzstd package) and fails on a truncated one", async () => {
    const plain = Buffer.from("zstd line\n".repeat(500));
    const zst = zstdCompress(plain);
    if (zst === undefined) return; // the zstd command makes the fixture; without it there is nothing to read
    expect(await collect(decompress(chunked(zst, [5, 17]), "ZSTD", "a.zst"))).toEqual(plain);
    const err = await collect(decompress(chunked(zst.subarray(0, zst.length - 9)), "ZSTD", "cut.zst")).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`"cut.zst" as ZSTD`);
    expect((err as Error).message).toMatch(/compressed byte offset \d+/);
  });

  it("refuses BZIP2, ZIP and LZO naming the file and what to do", async () => {
    for (const c of ["BZIP2", "ZIP", "LZO", "LZOP"] as const) {
      const err = await collect(decompress(chunked(Buffer.from("x")), c, "/in/f")).catch((e: unknown) => e);
      expect((err as Error).message).toContain(`Cannot read "/in/f": ${c} compression is not supported`);
      expect((err as Error).message).toContain("Recompress");
      expect((err as { code?: string }).code).toBe("UNSUPPORTED");
    }
  });

  it("refuses at construction what cannot be read or written", () => {
    expect(() => checkCompression("AUTO", "write", "writeText")).toThrow(/writeText: AUTO compression applies to reading only/);
    expect(() => checkCompression("BZIP2", "read", "readMatches")).toThrow(/readMatches: BZIP2 compression is not supported/);
    expect(() => checkCompression("gzip" as Compression, "read", "readMatches")).toThrow(/must be one of AUTO, UNCOMPRESSED, GZIP/);
    expect(() => checkCompression("GZIP", "read", "readMatches")).not.toThrow();
  });
});
