import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalFileSystem, checkFileSystemPath, fileSystemFor, registerFileSystem, registeredSchemes, schemeOf } from "./index.js";

describe("file system registry", () => {
  it("reads the scheme of object-store paths and treats plain and file:// paths as local", () => {
    expect(schemeOf("s3://bucket/key")).toBe("s3");
    expect(schemeOf("GS://bucket/key")).toBe("gs");
    expect(schemeOf("/tmp/x")).toBe("file");
    expect(schemeOf("relative/dir/x.txt")).toBe("file");
    expect(schemeOf("file:///tmp/x")).toBe("file");
    // A Windows-like drive or a colon in a name is not a scheme without "//".
    expect(schemeOf("c:data.txt")).toBe("file");
  });

  it("knows file, s3 and gs out of the box", () => {
    expect(registeredSchemes()).toEqual(expect.arrayContaining(["file", "gs", "s3"]));
  });

  it("refuses a path whose scheme nobody serves, naming the transform, the scheme and the known ones", () => {
    expect(() => checkFileSystemPath("hdfs://namenode/out/part", "WriteText")).toThrow(
      /WriteText: no file system serves the scheme "hdfs" of "hdfs:\/\/namenode\/out\/part"\. Known schemes: .*file.*gs.*s3.*registerFileSystem\("hdfs"/,
    );
    expect(() => checkFileSystemPath("s3://bucket/out", "WriteText")).not.toThrow();
    expect(() => checkFileSystemPath("out/counts", "WriteText")).not.toThrow();
  });

  it("serves a registered scheme and retries a factory that failed", async () => {
    let calls = 0;
    registerFileSystem("flaky", () => {
      calls++;
      if (calls === 1) throw new Error("install flaky-client");
      return new LocalFileSystem();
    });
    await expect(fileSystemFor("flaky://x/y")).rejects.toThrow("install flaky-client");
    expect((await fileSystemFor("flaky://x/y")).scheme).toBe("file");
    expect(calls).toBe(2);
  });
});

describe("LocalFileSystem", () => {
  let dir: string;
  const fs = new LocalFileSystem();
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-localfs-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts file:// paths without URL-decoding them (a % or ? stays a name character or glob)", async () => {
    await writeFile(path.join(dir, "a%20b.txt"), "x");
    const m = await fs.metadata(`file://${dir}/a%20b.txt`);
    expect(m?.path).toBe(path.join(dir, "a%20b.txt"));
    expect((await fs.match(`file://${dir}/a%20?.txt`)).map((f) => f.path)).toEqual([path.join(dir, "a%20b.txt")]);
  });

  it("treats a retried rename whose first attempt went through as done", async () => {
    await writeFile(path.join(dir, "tmp"), "data");
    const move = { from: path.join(dir, "tmp"), to: path.join(dir, "out", "final") };
    await fs.rename([move]);
    await fs.rename([move]);
    expect(await readFile(move.to, "utf8")).toBe("data");
    await expect(fs.rename([{ from: path.join(dir, "gone"), to: path.join(dir, "nowhere") }])).rejects.toThrow(/ENOENT/);
  });

  it("refuses to replace a file created exclusively, and removes an aborted one", async () => {
    const file = path.join(dir, "x");
    const w = await fs.create(file, { exclusive: true, durable: true });
    await w.write(Buffer.from("hello"));
    await w.close();
    await expect(fs.create(file, { exclusive: true })).rejects.toThrow(/EEXIST/);
    const aborted = await fs.create(path.join(dir, "y"));
    await aborted.write(Buffer.from("partial"));
    await aborted.abort();
    expect(await fs.metadata(path.join(dir, "y"))).toBeUndefined();
    expect(await fs.list(dir)).toEqual(["x"]);
  });
});
