import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { finished, pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createGzip, gunzipSync } from "node:zlib";
import { afterEach, beforeEach, expect, it } from "vitest";
import { LocalFileSystem } from "./local-file-system.js";
import { writableFileStream } from "./writable-file-stream.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-writable-stream-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("writes a piped stream's bytes in order and closes the file when the stream ends", async () => {
  const file = path.join(dir, "a.gz");
  const chunks = Array.from({ length: 200 }, (_, i) => `chunk ${i}\n`);
  await pipeline(Readable.from(chunks), createGzip(), writableFileStream(await new LocalFileSystem().create(file)));
  expect(gunzipSync(await readFile(file)).toString("utf8")).toBe(chunks.join(""));
});

it("aborts the file when the stream is destroyed before it ends, so nothing is left", async () => {
  const file = path.join(dir, "partial.txt");
  const out = writableFileStream(await new LocalFileSystem().create(file));
  await new Promise<void>((resolve) => out.write("some bytes", () => resolve()));
  const done = finished(out);
  out.destroy(new Error("the writer failed"));
  await expect(done).rejects.toThrow("the writer failed");
  expect(await readdir(dir)).toEqual([]);
});
