/**
 * One suite run against every file system (`for (const fs of FILE_SYSTEMS)`): the local one
 * in a temporary folder, s3:// on moto and gs:// on fake-gcs-server (both started by
 * test/job-services-setup.ts; BEAM_TS_SERVERS without "s3" or "gcs" leaves that one out). The
 * FileSystem contract is src/io/filesystems/file-system.ts; every implementation must give the
 * same answers, so the expected results below are written once.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { Storage } from "@google-cloud/storage";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Secret } from "../../src/model/index.js";
import {
  LocalFileSystem,
  fileSystemFor,
  setDefaultFileSystemOptions,
  type FileSystem,
  type RangedReadableFile,
} from "../../src/io/filesystems/index.js";
import { createS3FileSystem } from "../../src/io/s3/index.js";
import { createGcsFileSystem } from "../../src/io/gcs/index.js";

const s3Server = inject("s3Server");
const gcsEndpoint = inject("gcsEndpoint");
const MiB = 1024 * 1024;
const run = randomBytes(4).toString("hex");

/** A file system under test and the directory (ending in "/") its test files go to. */
interface Subject {
  readonly name: string;
  readonly available: boolean;
  fs: FileSystem;
  root: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

const localDirs: string[] = [];
const FILE_SYSTEMS: Subject[] = [
  {
    name: "local",
    available: true,
    fs: new LocalFileSystem(),
    root: "",
    setUp() {
      const dir = mkdtempSync(path.join(tmpdir(), "beam-ts-fs-contract-"));
      localDirs.push(dir);
      this.root = `${dir}/`;
      return Promise.resolve();
    },
    tearDown() {
      for (const d of localDirs) rmSync(d, { recursive: true, force: true });
      return Promise.resolve();
    },
  },
  {
    name: "s3",
    available: s3Server.endpoint !== "",
    fs: undefined as unknown as FileSystem,
    root: `s3://contract-${run}/t/`,
    async setUp() {
      const client = new S3Client(s3ClientConfig());
      await client.send(new CreateBucketCommand({ Bucket: `contract-${run}` }));
      client.destroy();
      this.fs = await createS3FileSystem(s3Config());
    },
    tearDown: () => Promise.resolve(),
  },
  {
    name: "gs",
    available: gcsEndpoint !== "",
    fs: undefined as unknown as FileSystem,
    root: `gs://contract-${run}/t/`,
    async setUp() {
      await new Storage({ apiEndpoint: gcsEndpoint, projectId: "beam-ts-test" }).createBucket(`contract-${run}`);
      this.fs = await createGcsFileSystem({ endpoint: gcsEndpoint, projectId: "beam-ts-test" });
    },
    tearDown: () => Promise.resolve(),
  },
];

function s3Config() {
  return {
    endpoint: s3Server.endpoint,
    region: s3Server.region,
    accessKeyId: s3Server.accessKeyId,
    secretAccessKey: new Secret(s3Server.secretAccessKey),
    forcePathStyle: true,
  };
}

function s3ClientConfig() {
  return {
    endpoint: s3Server.endpoint,
    region: s3Server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
  };
}

async function writeFile(fs: FileSystem, file: string, bytes: Uint8Array | string): Promise<void> {
  const out = await fs.create(file);
  await out.write(typeof bytes === "string" ? Buffer.from(bytes) : bytes);
  await out.close();
}

async function readAll(fs: FileSystem, file: string): Promise<Buffer> {
  const f = await fs.open(file);
  try {
    const buf = Buffer.alloc(f.metadata.sizeBytes);
    let at = 0;
    while (at < buf.length) {
      const n = await f.read(buf, at, Math.min(64 * 1024, buf.length - at), at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    await f.close();
  }
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The files of the match tests, relative to the subject's root. */
const TREE = [
  "a.txt",
  "b.txt",
  "c.csv",
  ".hidden.txt",
  "data-1.txt",
  "data-2.txt",
  "data-10.txt",
  "lit*star.txt",
  "(1).txt",
  "!bang.txt",
  "dir/x.txt",
  "dir/y.csv",
  "dir/sub/z.txt",
  "dir/.dot/w.txt",
  "other/x.txt",
];

/** Pattern (relative to the root) → the files it matches, sorted. Beam's glob (Java's glob: PathMatcher). */
const MATCHES: [string, string[]][] = [
  ["*.txt", ["!bang.txt", "(1).txt", ".hidden.txt", "a.txt", "b.txt", "data-1.txt", "data-10.txt", "data-2.txt", "lit*star.txt"]],
  ["**/*.txt", ["!bang.txt", "(1).txt", ".hidden.txt", "a.txt", "b.txt", "data-1.txt", "data-10.txt", "data-2.txt", "dir/.dot/w.txt", "dir/sub/z.txt", "dir/x.txt", "lit*star.txt", "other/x.txt"]],
  ["dir/**", ["dir/.dot/w.txt", "dir/sub/z.txt", "dir/x.txt", "dir/y.csv"]],
  ["**/x.txt", ["dir/x.txt", "other/x.txt"]],
  ["{a,b}.txt", ["a.txt", "b.txt"]],
  ["{dir,other}/x.txt", ["dir/x.txt", "other/x.txt"]],
  ["dir/{x.txt,sub/z.txt}", ["dir/sub/z.txt", "dir/x.txt"]],
  ["?.txt", ["a.txt", "b.txt"]],
  ["[ab].txt", ["a.txt", "b.txt"]],
  ["[!ab].*", ["c.csv"]],
  ["data-?.txt", ["data-1.txt", "data-2.txt"]],
  ["data-[0-9]*.txt", ["data-1.txt", "data-10.txt", "data-2.txt"]],
  ["lit\\*star.txt", ["lit*star.txt"]],
  ["(1).txt", ["(1).txt"]],
  ["!bang.txt", ["!bang.txt"]],
  ["dir/*", ["dir/x.txt", "dir/y.csv"]],
  ["dir/*/z.txt", ["dir/sub/z.txt"]],
  ["dir/.*/*", ["dir/.dot/w.txt"]],
  ["a.txt", ["a.txt"]],
  ["dir", []],
  ["nothing*", []],
  ["missing.txt", []],
  ["nowhere/**/*.txt", []],
];

for (const subject of FILE_SYSTEMS) {
  describe.skipIf(!subject.available)(`FileSystem contract: ${subject.name}`, () => {
    let fs: FileSystem;
    let root: string;
    let n = 0;
    /** A fresh directory under the root for one test. */
    const fresh = () => `${root}case-${++n}/`;

    beforeAll(async () => {
      await subject.setUp();
      fs = subject.fs;
      root = subject.root;
    });
    afterAll(() => subject.tearDown());

    it("matches Beam's glob patterns the same way on every file system", async () => {
      const dir = fresh();
      for (const f of TREE) await writeFile(fs, `${dir}${f}`, f);
      for (const [pattern, expected] of MATCHES) {
        const got = (await fs.match(`${dir}${pattern}`)).map((m) => m.path.slice(dir.length));
        expect({ pattern, got }).toEqual({ pattern, got: expected });
      }
    });

    it("gives a file's metadata, and undefined for a missing file or a directory", async () => {
      const dir = fresh();
      await writeFile(fs, `${dir}sub/m.bin`, new Uint8Array(1234));
      const m = await fs.metadata(`${dir}sub/m.bin`);
      expect(m?.path).toBe(`${dir}sub/m.bin`);
      expect(m?.sizeBytes).toBe(1234);
      expect(m?.lastModifiedMillis).toBeGreaterThan(Date.parse("2020-01-01"));
      expect(await fs.metadata(`${dir}sub/missing.bin`)).toBeUndefined();
      expect(await fs.metadata(`${dir}sub`)).toBeUndefined();
      const [matched] = await fs.match(`${dir}sub/*.bin`);
      expect(matched?.sizeBytes).toBe(1234);
    });

    it("reads any byte range of a file as the bytes written", async () => {
      const file = `${fresh()}ranges.bin`;
      const bytes = randomBytes(3 * MiB + 123);
      await writeFile(fs, file, bytes);
      const f = await fs.open(file);
      try {
        expect(f.metadata.sizeBytes).toBe(bytes.length);
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: bytes.length + 10 }), fc.integer({ min: 0, max: 300_000 }), async (position, length) => {
            const buf = Buffer.alloc(length + 8);
            const got = await f.read(buf, 8, length, position);
            const want = bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length));
            expect(got).toBe(want.length);
            expect(buf.subarray(8, 8 + got).equals(want)).toBe(true);
          }),
          { numRuns: 40 },
        );
      } finally {
        await f.close();
      }
    });

    it("writes 20 MiB (a multipart or resumable upload on object stores) and reads the same bytes back", async () => {
      const file = `${fresh()}big.bin`;
      const bytes = randomBytes(20 * MiB + 17);
      const out = await fs.create(file);
      // Uneven chunks, as writers produce them.
      for (let at = 0; at < bytes.length; ) {
        const size = Math.min(bytes.length - at, 700_001);
        await out.write(bytes.subarray(at, at + size));
        at += size;
      }
      await out.close();
      expect((await fs.metadata(file))?.sizeBytes).toBe(bytes.length);
      expect(sha(await readAll(fs, file))).toBe(sha(bytes));
    });

    it("costs few requests to read a large file sequentially in 64 KiB pieces (object stores read ahead)", async () => {
      if (subject.name === "local") return;
      const file = `${fresh()}seq.bin`;
      const bytes = randomBytes(20 * MiB);
      await writeFile(fs, file, bytes);
      const f = (await fs.open(file)) as RangedReadableFile;
      const buf = Buffer.alloc(64 * 1024);
      for (let at = 0; at < bytes.length; at += buf.length) await f.read(buf, 0, buf.length, at);
      await f.close();
      // 20 MiB in 8 MiB windows: 3 GETs instead of 320.
      expect(f.requests).toBe(3);
    });

    it("shows nothing of a file before it is closed", async () => {
      const dir = fresh();
      const out = await fs.create(`${dir}pending.txt`);
      await out.write(Buffer.from("not yet"));
      if (subject.name !== "local") {
        expect(await fs.metadata(`${dir}pending.txt`)).toBeUndefined();
        expect(await fs.match(`${dir}*`)).toEqual([]);
      }
      await out.close();
      expect((await fs.match(`${dir}*`)).map((m) => m.path)).toEqual([`${dir}pending.txt`]);
    });

    it("leaves nothing visible when a write is aborted, small or multipart", async () => {
      const dir = fresh();
      const small = await fs.create(`${dir}small.bin`);
      await small.write(randomBytes(1000));
      await small.abort();
      const big = await fs.create(`${dir}big.bin`);
      await big.write(randomBytes(12 * MiB));
      await big.write(randomBytes(1 * MiB));
      await big.abort();
      expect(await fs.match(`${dir}*`)).toEqual([]);
      expect(await fs.metadata(`${dir}big.bin`)).toBeUndefined();
      expect(await fs.list(dir)).toEqual([]);
      if (subject.name === "s3") {
        const client = new S3Client(s3ClientConfig());
        const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: `contract-${run}`, Prefix: dir.slice(`s3://contract-${run}/`.length) }));
        client.destroy();
        expect(uploads.Uploads ?? []).toEqual([]);
      }
    });

    it("renames, copies, lists, deletes files and deletes directories", async () => {
      const dir = fresh();
      await writeFile(fs, `${dir}a.txt`, "A");
      await writeFile(fs, `${dir}b.txt`, "B");
      await writeFile(fs, `${dir}sub/c.txt`, "C");
      await writeFile(fs, `${dir}sub/deeper/d.txt`, "D");
      expect(await fs.list(dir)).toEqual(["a.txt", "b.txt", "sub"]);
      expect(await fs.list(`${dir}sub`)).toEqual(["c.txt", "deeper"]);
      expect(await fs.list(`${dir}nothing-here`)).toEqual([]);

      await fs.rename([{ from: `${dir}a.txt`, to: `${dir}moved/a2.txt` }]);
      expect(await fs.metadata(`${dir}a.txt`)).toBeUndefined();
      expect((await readAll(fs, `${dir}moved/a2.txt`)).toString()).toBe("A");

      await fs.copy([{ from: `${dir}b.txt`, to: `${dir}b-copy.txt` }]);
      expect((await readAll(fs, `${dir}b.txt`)).toString()).toBe("B");
      expect((await readAll(fs, `${dir}b-copy.txt`)).toString()).toBe("B");

      // Replacing an existing destination.
      await fs.rename([{ from: `${dir}b-copy.txt`, to: `${dir}moved/a2.txt` }]);
      expect((await readAll(fs, `${dir}moved/a2.txt`)).toString()).toBe("B");

      await fs.delete([`${dir}b.txt`, `${dir}never-existed.txt`]);
      expect(await fs.metadata(`${dir}b.txt`)).toBeUndefined();

      await fs.deleteDirectory(`${dir}sub`);
      expect(await fs.list(dir)).toEqual(["moved"]);
      await fs.deleteDirectory(`${dir}not-a-dir`);

      expect(fs.join(dir, "x", "y.txt")).toBe(`${dir}x/y.txt`);
      expect(fs.basename(`${dir}moved/a2.txt`)).toBe("a2.txt");
      expect(fs.dirname(`${dir}moved/a2.txt`)).toBe(`${dir}moved`);
    });

    it("deletes more files than one request takes (1000 keys) in batches", async () => {
      const dir = fresh();
      // GCS has no batch delete in its Node client (one request per object, 16 at a time): fewer files there.
      const count = subject.name === "gs" ? 120 : 1005;
      const files = Array.from({ length: count }, (_, i) => `${dir}f/${String(i).padStart(4, "0")}.txt`);
      if (subject.name !== "local") {
        // Written concurrently: a thousand sequential round trips would dominate the suite.
        for (let i = 0; i < files.length; i += 50) await Promise.all(files.slice(i, i + 50).map((f) => writeFile(fs, f, "x")));
      } else {
        for (const f of files) await writeFile(fs, f, "x");
      }
      expect(await fs.match(`${dir}f/*.txt`)).toHaveLength(count);
      await fs.delete(files);
      expect(await fs.match(`${dir}f/*.txt`)).toEqual([]);
    });

    it("treats a rename retried after it happened as done, and fails on a missing source naming it", async () => {
      const dir = fresh();
      await writeFile(fs, `${dir}src.txt`, "payload");
      const moves = [{ from: `${dir}src.txt`, to: `${dir}dst.txt` }];
      await fs.rename(moves);
      await fs.rename(moves);
      expect((await readAll(fs, `${dir}dst.txt`)).toString()).toBe("payload");
      await expect(fs.rename([{ from: `${dir}gone.txt`, to: `${dir}also-gone.txt` }])).rejects.toThrow(`${dir}gone.txt`);
      await expect(fs.copy([{ from: `${dir}gone.txt`, to: `${dir}also-gone.txt` }])).rejects.toThrow(`${dir}gone.txt`);
    });

    it("fails to open a missing file with an error naming the path", async () => {
      const file = `${fresh()}no-such-file.txt`;
      await expect(fs.open(file)).rejects.toThrow(path.basename(file));
    });
  });
}

describe.skipIf(s3Server.endpoint === "")("S3 file system configuration", () => {
  const bucket = `config-${run}`;
  beforeAll(async () => {
    const client = new S3Client(s3ClientConfig());
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  });
  afterAll(() => setDefaultFileSystemOptions({}));

  it("takes the endpoint, region and credentials from the pipeline options set as defaults", async () => {
    setDefaultFileSystemOptions({
      s3Endpoint: s3Server.endpoint,
      s3Region: s3Server.region,
      s3AccessKeyId: s3Server.accessKeyId,
      s3SecretAccessKey: new Secret(s3Server.secretAccessKey),
      s3ForcePathStyle: true,
    });
    const fs = await fileSystemFor(`s3://${bucket}/x.txt`);
    expect(fs.scheme).toBe("s3");
    await writeFile(fs, `s3://${bucket}/x.txt`, "via options");
    expect((await readAll(fs, `s3://${bucket}/x.txt`)).toString()).toBe("via options");
  });

  it("fails a read of an object replaced since it was opened, naming it, instead of mixing two versions", async () => {
    const fs = await createS3FileSystem({ ...s3Config(), readWindowBytes: 1024 });
    const file = `s3://${bucket}/replaced.bin`;
    await writeFile(fs, file, new Uint8Array(4096).fill(1));
    const f = await fs.open(file);
    expect(await f.read(Buffer.alloc(100), 0, 100, 0)).toBe(100);
    await writeFile(fs, file, new Uint8Array(4096).fill(2));
    await expect(f.read(Buffer.alloc(100), 0, 100, 2048)).rejects.toThrow(file);
  });

  it("never shows the secret access key in an error, however the call fails", async () => {
    const secret = s3Server.secretAccessKey;
    const closedPort = `http://127.0.0.1:1`;
    const errors: unknown[] = [];
    const unreachable = await createS3FileSystem({ ...s3Config(), endpoint: closedPort });
    const onServer = await createS3FileSystem(s3Config());
    for (const attempt of [
      () => unreachable.open(`s3://${bucket}/x.txt`),
      () => unreachable.match(`s3://${bucket}/*.txt`),
      () => onServer.open(`s3://no-such-bucket-${run}/x.txt`),
      () => onServer.match(`s3://no-such-bucket-${run}/*.txt`),
      () => createS3FileSystem({ ...s3Config(), accessKeyId: undefined }),
    ]) {
      await attempt().then(
        () => errors.push(new Error("did not fail")),
        (err: unknown) => errors.push(err),
      );
    }
    expect(errors).toHaveLength(5);
    for (const err of errors) {
      expect(err).toBeInstanceOf(Error);
      const shown = `${(err as Error).message}\n${inspect(err, { depth: 6 })}\n${JSON.stringify(err)}`;
      expect(shown).not.toContain(secret);
    }
    expect((errors[0] as Error).message).toContain(`s3://${bucket}/x.txt`);
    expect((errors[2] as Error).message).toContain(`s3://no-such-bucket-${run}/x.txt`);
    expect((errors[4] as Error).message).toContain("--s3SecretAccessKey");
  });
});

describe.skipIf(gcsEndpoint === "")("GCS file system configuration", () => {
  afterAll(() => setDefaultFileSystemOptions({}));

  const bucket = `gcs-config-${run}`;
  beforeAll(async () => {
    await new Storage({ apiEndpoint: gcsEndpoint, projectId: "beam-ts-test" }).createBucket(bucket);
  });

  it("takes the endpoint and project from the pipeline options set as defaults", async () => {
    setDefaultFileSystemOptions({ gcsEndpoint, gcpProject: "beam-ts-test" });
    const fs = await fileSystemFor(`gs://${bucket}/x.txt`);
    expect(fs.scheme).toBe("gs");
    await writeFile(fs, `gs://${bucket}/x.txt`, "via options");
    expect((await readAll(fs, `gs://${bucket}/x.txt`)).toString()).toBe("via options");
  });

  it("fails a read of an object replaced since it was opened, naming it, instead of mixing two versions", async () => {
    const fs = await createGcsFileSystem({ endpoint: gcsEndpoint, projectId: "beam-ts-test", readWindowBytes: 1024 });
    const file = `gs://${bucket}/replaced.bin`;
    await writeFile(fs, file, new Uint8Array(4096).fill(1));
    const f = await fs.open(file);
    expect(await f.read(Buffer.alloc(100), 0, 100, 0)).toBe(100);
    await writeFile(fs, file, new Uint8Array(4096).fill(2));
    await expect(f.read(Buffer.alloc(100), 0, 100, 2048)).rejects.toThrow(file);
  });
});
