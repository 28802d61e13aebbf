import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { fileSystemFor, writableFileStream, type CreateOptions } from "../filesystems/index.js";
import { TextIOError, messageOf } from "./text-io-error.js";

/** How written files are compressed. */
export type WriteCompression = "none" | "gzip";

/** Characters buffered before a write to the stream. */
const FLUSH_CHARS = 64 * 1024;

/**
 * Writes lines, each terminated by "\n", to a new file (never an existing one) on the file
 * system of its path, possibly gzipped. `write` returns a promise only when the stream asks
 * to wait (backpressure). The file becomes visible when `close` resolves.
 */
export class ShardWriter {
  private chunks: string[] = [];
  private size = 0;

  private constructor(
    readonly file: string,
    private readonly sink: Writable,
    private readonly done: Promise<void>,
  ) {}

  static async open(file: string, compression: WriteCompression, header: string | undefined, options: CreateOptions = {}): Promise<ShardWriter> {
    let out: Writable;
    try {
      // create makes the parent directories (a no-op on object stores, whose directories are prefixes).
      out = writableFileStream(await (await fileSystemFor(file)).create(file, { mimeType: "text/plain", exclusive: true, ...options }));
    } catch (err) {
      throw new TextIOError(`Cannot create "${file}": ${messageOf(err)}`, { cause: err });
    }
    let sink: Writable = out;
    let done: Promise<void>;
    if (compression === "gzip") {
      const gzip = createGzip();
      sink = gzip;
      done = pipeline(gzip, out);
    } else {
      done = finished(out);
    }
    done.catch(() => {
      // Awaited (and reported) by write/close; this only marks the rejection handled.
    });
    const writer = new ShardWriter(file, sink, done);
    if (header !== undefined) writer.buffer(header);
    return writer;
  }

  write(line: string): void | Promise<void> {
    this.buffer(line);
    if (this.size >= FLUSH_CHARS) return this.flush();
  }

  /** Flushes, ends the file and waits until it is fully written. */
  async close(footer: string | undefined): Promise<void> {
    if (footer !== undefined) this.buffer(footer);
    await this.flush();
    this.sink.end();
    try {
      await this.done;
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** Stops writing and deletes the file (after a failure): destroying the stream aborts the file. */
  async abort(): Promise<void> {
    this.sink.destroy();
    await this.done.catch(() => undefined);
  }

  private buffer(line: string): void {
    this.chunks.push(line, "\n");
    this.size += line.length + 1;
  }

  private flush(): void | Promise<void> {
    if (this.chunks.length === 0) return;
    const data = this.chunks.join("");
    this.chunks = [];
    this.size = 0;
    if (this.sink.write(data)) return;
    return Promise.race([once(this.sink, "drain").then(() => undefined), this.done]).catch((err: unknown) => {
      throw this.failure(err);
    });
  }

  private failure(err: unknown): TextIOError {
    return err instanceof TextIOError ? err : new TextIOError(`Cannot write "${this.file}": ${messageOf(err)}`, { cause: err });
  }
}
