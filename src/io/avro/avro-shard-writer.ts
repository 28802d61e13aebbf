import { randomBytes } from "node:crypto";
import { describeValue } from "../../model/index.js";
import type { ShardSink } from "../files/index.js";
import { fileSystemFor, type CreateOptions, type WritableFile } from "../filesystems/index.js";
import { AvroIOError, messageOf } from "./avro-io-error.js";
import type { AvroMapping } from "./avro-values.js";
import type { AvscType } from "./avsc-module.js";
import type { BlockCompress } from "./block-codecs.js";
import { encodeBlock, encodeHeader, type AvroCodec } from "./container-format.js";

/** What every file of one avroSink (or writeAvro) shares. */
export interface AvroShardSettings {
  /** The sink or writer, for messages. Default "writeAvro". */
  readonly what?: string;
  readonly schemaJson: string;
  readonly type: AvscType;
  readonly mapping: AvroMapping;
  readonly codec: AvroCodec;
  /** The codec's compressor (block-codecs.ts), loaded once per sink. */
  readonly compress: BlockCompress;
  readonly syncInterval: number;
}

/**
 * Writes one Avro object container file: the header on open, then records buffered into
 * blocks of about `syncInterval` bytes (before compression), each ended by the file's
 * random sync marker, on the file system of its path. `write` returns a promise only when a
 * block is written; the file becomes visible when `close` resolves.
 */
export class AvroShardWriter implements ShardSink<unknown> {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private count = 0;
  private written = 0;

  private constructor(
    readonly file: string,
    private readonly out: WritableFile,
    private readonly settings: AvroShardSettings,
    private readonly sync: Buffer,
  ) {}

  static async open(file: string, settings: AvroShardSettings, options: CreateOptions = {}): Promise<AvroShardWriter> {
    let out: WritableFile;
    try {
      out = await (await fileSystemFor(file)).create(file, { mimeType: "application/avro", exclusive: true, ...options });
    } catch (err) {
      throw new AvroIOError(`${settings.what ?? "writeAvro"}: cannot create "${file}": ${messageOf(err)}`, { cause: err });
    }
    const sync = randomBytes(16);
    const writer = new AvroShardWriter(file, out, settings, sync);
    await writer.append(encodeHeader(settings.schemaJson, settings.codec, sync));
    return writer;
  }

  write(element: unknown): void | Promise<void> {
    let bytes: Buffer;
    try {
      bytes = this.settings.type.toBuffer(this.settings.mapping.write(element));
    } catch (err) {
      throw new AvroIOError(
        `${this.what}: record ${this.written + 1} of "${this.file}" does not fit the Avro schema: ${describeValue(element)}: ${messageOf(err)}. ` +
          `Convert the elements to the schema first (long fields take bigint, timestamp-millis an Instant number, maps a Map or object).`,
        { cause: err, retryable: false },
      );
    }
    this.written++;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.count++;
    if (this.pendingBytes >= this.settings.syncInterval) return this.flushBlock();
  }

  async close(): Promise<void> {
    try {
      await this.flushBlock();
    } catch (err) {
      await this.out.abort();
      throw err;
    }
    try {
      await this.out.close();
    } catch (err) {
      throw new AvroIOError(`${this.what}: cannot finish "${this.file}": ${messageOf(err)}`, { cause: err });
    }
  }

  async abort(): Promise<void> {
    await this.out.abort();
  }

  private get what(): string {
    return this.settings.what ?? "writeAvro";
  }

  private async flushBlock(): Promise<void> {
    if (this.count === 0) return;
    const block = encodeBlock(this.count, this.settings.compress(Buffer.concat(this.pending)), this.sync);
    this.pending = [];
    this.pendingBytes = 0;
    this.count = 0;
    await this.append(block);
  }

  private async append(bytes: Buffer): Promise<void> {
    try {
      await this.out.write(bytes);
    } catch (err) {
      throw new AvroIOError(`${this.what}: cannot write "${this.file}": ${messageOf(err)}`, { cause: err });
    }
  }
}
