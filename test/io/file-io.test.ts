import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as zlib from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, create, map, type PCollection } from "../../src/index.js";
import { decodeFromBytes, encodeToBytes } from "../../src/coders/index.js";
import {
  fileMetadataCoder,
  matchAll,
  matchFiles,
  readMatches,
  readableFileHandleCoder,
  ReadableFileHandle,
  type FileMetadata,
} from "../../src/io/files/index.js";
import { LocalFileSystem } from "../../src/io/filesystems/index.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-fileio-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded" });
  build(p);
  await p.run().waitUntilFinish();
}

function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

async function put(rel: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function matched(pattern: string, options: Parameters<typeof matchFiles>[1] = {}): Promise<FileMetadata[]> {
  const out: FileMetadata[] = [];
  await run((p) => collect(p.apply(matchFiles(pattern, options)), out));
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

describe("matchFiles and matchAll", () => {
  it("emits each matching file's path, size and modification time", async () => {
    const a = await put("a.csv", "1,2\n");
    const b = await put("sub/b.csv", "hello");
    await put("c.txt", "no");
    const files = await matched(path.join(dir, "**/*.csv"));
    expect(files.map((f) => f.path)).toEqual([a, b]);
    expect(files.map((f) => f.sizeBytes)).toEqual([4, 5]);
    for (const f of files) expect(f.lastModifiedMillis).toBeGreaterThan(0);
  });

  it("fails naming the pattern when nothing matches, by default (DISALLOW, as Beam's FileIO.match)", async () => {
    const pattern = path.join(dir, "*.none");
    await expect(matched(pattern)).rejects.toThrow(`no file matches the pattern "${pattern}"`);
    await expect(matched(pattern)).rejects.toThrow(/emptyMatchTreatment is DISALLOW/);
  });

  it("fails naming a missing literal path", async () => {
    const missing = path.join(dir, "missing.csv");
    await expect(matched(missing)).rejects.toThrow(`"${missing}"`);
  });

  it("matches nothing without failing under ALLOW, and under ALLOW_IF_WILDCARD only for a wildcard", async () => {
    expect(await matched(path.join(dir, "*.none"), { emptyMatchTreatment: "ALLOW" })).toEqual([]);
    expect(await matched(path.join(dir, "missing.csv"), { emptyMatchTreatment: "ALLOW" })).toEqual([]);
    expect(await matched(path.join(dir, "*.none"), { emptyMatchTreatment: "ALLOW_IF_WILDCARD" })).toEqual([]);
    await expect(matched(path.join(dir, "missing.csv"), { emptyMatchTreatment: "ALLOW_IF_WILDCARD" })).rejects.toThrow(/missing\.csv/);
  });

  it("matchAll matches every pattern of its input, defaulting to ALLOW_IF_WILDCARD", async () => {
    const a = await put("x/a.json", "{}");
    const b = await put("y/b.json", "[]");
    const out: FileMetadata[] = [];
    await run((p) => collect(p.apply(create([path.join(dir, "x/*"), path.join(dir, "y/*.json"), path.join(dir, "z/*")])).apply(matchAll()), out));
    expect(out.map((f) => f.path).sort()).toEqual([a, b]);
    const missing = path.join(dir, "nope.json");
    await expect(run((p) => void p.apply(create([missing])).apply(matchAll()))).rejects.toThrow(`"${missing}"`);
  });

  it("refuses an unknown scheme and bad options when the pipeline is built", () => {
    expect(() => matchFiles("hdfs://nn/x/*")).toThrow(/no file system serves the scheme "hdfs"/);
    expect(() => matchFiles("")).toThrow(/non-empty file pattern/);
    expect(() => matchFiles("a", { emptyMatchTreatment: "allow" as never })).toThrow(/ALLOW, DISALLOW, ALLOW_IF_WILDCARD/);
    expect(() => matchFiles("a").continuously({ interval: -1 })).toThrow(/interval must be/);
    expect(() => readMatches({ compression: "BZIP2" })).toThrow(/BZIP2 compression is not supported/);
    expect(() => readMatches({ directoryTreatment: "FAIL" as never })).toThrow(/directoryTreatment/);
  });

  it("equals a brute-force filter of all files by the glob, for random file sets and patterns", async () => {
    const names = ["a", "b", "ab", "a.b"];
    const segment = fc.constantFrom(...names);
    const filePath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"));
    const patternSegment = fc.constantFrom("*", "?", "a*", "*b", "{a,b}", "a", "b", "ab", "a.b", "?b", "*.*");
    const pattern = fc.tuple(fc.array(patternSegment, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([s, deep]) => (deep ? ["**", ...s] : s).join("/"));
    const fs = new LocalFileSystem();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(filePath, { maxLength: 8 }), pattern, async (files, glob) => {
        const root = path.join(dir, `r${round++}`);
        // A path that is a file cannot also be a directory: keep the first of such pairs.
        const kept = files.filter((f) => !files.some((g) => g !== f && (g.startsWith(`${f}/`) || f.startsWith(`${g}/`) && files.indexOf(g) < files.indexOf(f))));
        for (const f of kept) {
          await mkdir(path.dirname(path.join(root, f)), { recursive: true });
          await writeFile(path.join(root, f), f);
        }
        const expected = kept.filter((f) => bruteForceGlob(glob).test(f)).map((f) => path.join(root, f)).sort();
        // matchFiles in a pipeline, and the file system's match it runs.
        expect((await matched(path.join(root, glob), { emptyMatchTreatment: "ALLOW" })).map((m) => m.path)).toEqual(expected);
        expect((await fs.match(path.join(root, glob))).map((m) => m.path)).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});

/** A reference glob: `**` any segments (none included), `*` and `?` within a segment, `{x,y}` literal alternatives. */
function bruteForceGlob(glob: string): RegExp {
  const segment = (s: string) => {
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === "*") out += "[^/]*";
      else if (c === "?") out += "[^/]";
      else if (c === "{") {
        const end = s.indexOf("}", i);
        out += `(?:${s.slice(i + 1, end).split(",").map((alt) => alt.replace(/[.+^$()|[\]\\]/g, "\\$&")).join("|")})`;
        i = end;
      } else out += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
    }
    return out;
  };
  const parts = glob.split("/");
  let re = "";
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    if (parts[i] === "**") re += last ? ".*" : "(?:[^/]+/)*";
    else re += segment(parts[i]!) + (last ? "" : "/");
  }
  return new RegExp(`^${re}$`);
}

describe("readMatches", () => {
  const text = "first line\nsecond line\n".repeat(200);

  async function readAll(pattern: string, options: Parameters<typeof readMatches>[0] = {}): Promise<Map<string, string>> {
    const out: [string, string][] = [];
    await run((p) =>
      collect(
        p
          .apply(matchFiles(pattern))
          .apply(readMatches(options))
          .apply(
            "Read",
            map(async (f: ReadableFileHandle) => [path.basename(f.metadata.path), `${f.compression}:${await f.readFullyAsUTF8String()}`] as [string, string]),
          ),
        out,
      ),
    );
    return new Map(out);
  }

  it("decompresses gzip, deflate and brotli files by their extension and reads plain files as they are", async () => {
    await put("in/plain.txt", text);
    await put("in/a.txt.gz", zlib.gzipSync(text));
    await put("in/b.txt.deflate", zlib.deflateSync(text));
    await put("in/c.txt.br", zlib.brotliCompressSync(text));
    const got = await readAll(path.join(dir, "in/*"));
    expect(got).toEqual(
      new Map([
        ["plain.txt", `UNCOMPRESSED:${text}`],
        ["a.txt.gz", `GZIP:${text}`],
        ["b.txt.deflate", `DEFLATE:${text}`],
        ["c.txt.br", `BROTLI:${text}`],
      ]),
    );
  });

  it("uses one given compression for every file, whatever the extension", async () => {
    await put("in/data.bin", zlib.gzipSync("zipped"));
    expect(await readAll(path.join(dir, "in/*"), { compression: "GZIP" })).toEqual(new Map([["data.bin", "GZIP:zipped"]]));
  });

  it("fails on a truncated gzip file naming the file and the compressed byte offset", async () => {
    const whole = zlib.gzipSync(text);
    const file = await put("in/cut.txt.gz", whole.subarray(0, whole.length - 20));
    await expect(readAll(path.join(dir, "in/*"))).rejects.toThrow(new RegExp(`"${file.replace(/[.\\]/g, "\\$&")}" as GZIP: .* at compressed byte offset \\d+`));
  });

  it("fails on bytes that are not UTF-8 naming the file and the offset", async () => {
    const file = await put("in/latin1.txt", Buffer.concat([Buffer.from("café "), Buffer.from([0xe9, 0x0a])]));
    await expect(readAll(path.join(dir, "in/*"))).rejects.toThrow(`"${file}" is not valid UTF-8: byte 0xe9 at offset 6`);
  });

  it("opens uncompressed files for random access and refuses compressed ones", async () => {
    const plain = await put("s/plain.txt", "0123456789");
    const handle = new ReadableFileHandle((await new LocalFileSystem().metadata(plain))!, "UNCOMPRESSED");
    const f = await handle.openSeekable();
    const buf = Buffer.alloc(3);
    expect(await f.read(buf, 0, 3, 7)).toBe(3);
    await f.close();
    expect(buf.toString()).toBe("789");
    const gz = new ReadableFileHandle({ path: plain, sizeBytes: 10, lastModifiedMillis: 1 }, "GZIP");
    await expect(gz.openSeekable()).rejects.toThrow(/only uncompressed files are seekable/);
  });

  it("skips directories by default and fails on them under PROHIBIT", async () => {
    const dirEntry: FileMetadata = { path: "s3://bucket/folder/", sizeBytes: 0, lastModifiedMillis: 1 };
    const out: ReadableFileHandle[] = [];
    await run((p) => collect(p.apply(create([dirEntry], { coder: fileMetadataCoder })).apply(readMatches()), out));
    expect(out).toEqual([]);
    await expect(run((p) => void p.apply(create([dirEntry], { coder: fileMetadataCoder })).apply(readMatches({ directoryTreatment: "PROHIBIT" })))).rejects.toThrow(
      /"s3:\/\/bucket\/folder\/" is a directory/,
    );
  });

  it("encodes handles and metadata so they cross threads and stages, and reads them after decoding", async () => {
    const file = await put("e/x.txt.gz", zlib.gzipSync("across threads"));
    const metadata = (await new LocalFileSystem().metadata(file))!;
    const handle = new ReadableFileHandle({ ...metadata, checksum: "abc" }, "GZIP");
    const decoded = decodeFromBytes(readableFileHandleCoder, encodeToBytes(readableFileHandleCoder, handle));
    expect(decoded).toBeInstanceOf(ReadableFileHandle);
    expect(decoded).toEqual(handle);
    expect(await decoded.readFullyAsUTF8String()).toBe("across threads");
    expect(decodeFromBytes(fileMetadataCoder, encodeToBytes(fileMetadataCoder, metadata))).toEqual(metadata);
  });
});
