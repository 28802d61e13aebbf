import {
  OffsetRange,
  OffsetRangeTracker,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
} from "../../transforms/index.js";
import { AvroIOError, messageOf } from "./avro-io-error.js";
import { AvroFile, BadBlock, type AvroBlock } from "./avro-file.js";
import { mapAvroSchema, type AvroMapping } from "./avro-values.js";
import { avscType, loadAvsc, type AvscType } from "./avsc-module.js";
import { FormatError } from "./container-format.js";
import { readerSchemaRefusal } from "./reader-schema-check.js";

/** A matched file: its path and size (as text's StatFilesDoFn outputs). */
export interface AvroFileRef {
  readonly path: string;
  readonly size: number;
}

/** What to do with a corrupt or truncated block. */
export type CorruptBlockTreatment = "fail" | "deadLetter";

/** @internal A damaged block, on its way to the `failures` output. */
export interface CorruptBlock {
  readonly file: string;
  /** Offset of the block's first byte (its record count). */
  readonly offset: number;
  readonly message: string;
  readonly raw: Uint8Array;
}

/** @internal What the reader outputs with `corruptBlock: "deadLetter"`. */
export type ReadItem = { readonly record: unknown } | { readonly corrupt: CorruptBlock };

/** Byte ranges are never cut smaller than this at the initial split. */
export const MIN_SPLIT_BYTES = 64 * 1024;

/** @internal Settings of the reader. */
export interface ReadAvroSettings {
  readonly readerSchema: unknown;
  readonly corruptBlock: CorruptBlockTreatment;
}

/**
 * Beam's AvroSource as a splittable DoFn: the element is a file, the restriction a byte
 * OffsetRange, split up front into pieces of at least `minSplitBytes`. A block's position
 * is the offset of the sync marker before it (the header's for the first block): a range
 * reads the blocks whose marker starts in it, finding its first one by scanning for the
 * file's sync marker from the range's start, so ranges of any split points read each block
 * exactly once. Each block is claimed before it is read: a runner can checkpoint between
 * blocks. `wrap` turns a record or a corrupt block into the output element.
 */
export class ReadAvroFn<Out> implements SplittableDoFn<AvroFileRef, Out, OffsetRange> {
  /** Per writer schema: the type records are decoded with (the reader's, with a resolver), and their mapping. */
  private readonly types = new Map<string, { type: AvscType; resolver: unknown; mapping: AvroMapping }>();

  constructor(
    readonly settings: ReadAvroSettings,
    readonly wrap: (item: ReadItem) => Out,
    readonly minSplitBytes: number = MIN_SPLIT_BYTES,
  ) {}

  getInitialRestriction(file: AvroFileRef): OffsetRange {
    return new OffsetRange(0, file.size);
  }

  splitRestriction(_file: AvroFileRef, range: OffsetRange, desiredChunks: number): OffsetRange[] {
    if (range.isEmpty) return [];
    const chunks = Math.max(1, Math.floor(desiredChunks));
    return range.split(Math.max(this.minSplitBytes, Math.ceil(range.size / chunks)), this.minSplitBytes);
  }

  getSize(_file: AvroFileRef, range: OffsetRange): number {
    return range.size;
  }

  newTracker(_file: AvroFileRef, range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }

  async process(file: AvroFileRef, ctx: SplittableProcessContext<Out, OffsetRange, number>): Promise<void> {
    const range = ctx.tracker.currentRestriction();
    let avro: AvroFile;
    try {
      avro = await AvroFile.open(file.path);
    } catch (err) {
      if (err instanceof FormatError) {
        throw new AvroIOError(`readAvro: "${file.path}" is not a readable Avro file: ${err.message} (at byte ${err.offset}).`, {
          cause: err,
          retryable: false,
        });
      }
      throw new AvroIOError(`readAvro: cannot read "${file.path}": ${messageOf(err)}.`, { cause: err });
    }
    try {
      const decoder = await this.decoderFor(avro);
      let syncAt = await avro.nextSyncAt(range.from);
      for (;;) {
        if (syncAt < 0) break;
        if (!ctx.tracker.tryClaim(syncAt)) return; // the block is the next range's
        let block: AvroBlock | undefined;
        let records: unknown[];
        try {
          block = await avro.blockAfter(syncAt);
          if (block === undefined) break; // the marker that ends the file
          records = decodeBlock(block, decoder.type, decoder.resolver);
        } catch (err) {
          if (!(err instanceof BadBlock)) throw err;
          this.corrupt(file.path, err, ctx);
          syncAt = await avro.nextSyncAt(syncAt + 1); // resynchronize at the next marker
          continue;
        }
        for (const r of records) ctx.output(this.wrap({ record: decoder.mapping.read(r) }));
        syncAt = block.nextSyncAt;
      }
      ctx.tracker.tryClaim(ctx.tracker.currentRestriction().to); // no more blocks: the range is done
    } finally {
      await avro.close();
    }
  }

  private corrupt(file: string, bad: BadBlock, ctx: SplittableProcessContext<Out, OffsetRange, number>): void {
    const start = bad.syncAt + 16;
    if (this.settings.corruptBlock === "deadLetter") {
      ctx.output(this.wrap({ corrupt: { file, offset: start, message: bad.message, raw: bad.raw } }));
      return;
    }
    throw new AvroIOError(
      `readAvro: corrupt block at byte ${start} of "${file}" (problem at byte ${bad.offset}): ${bad.message}. ` +
        `Re-write the file from its source, or pass { corruptBlock: "deadLetter" } to send damaged blocks to a "failures" output and read the rest.`,
      { retryable: false },
    );
  }

  private async decoderFor(avro: AvroFile) {
    const key = JSON.stringify(avro.header.schema);
    let d = this.types.get(key);
    if (d === undefined) {
      const avsc = await loadAvsc();
      let type: AvscType;
      try {
        type = avscType(avsc, avro.header.schema);
      } catch (err) {
        throw new AvroIOError(`readAvro: the schema in the header of "${avro.path}" is not a valid Avro schema: ${messageOf(err)}.`, {
          cause: err,
          retryable: false,
        });
      }
      let resolver: unknown = undefined;
      let readerType: AvscType | undefined;
      const reader = this.settings.readerSchema;
      if (reader !== undefined) {
        const refusal = readerSchemaRefusal(avro.path, avro.header.schema, reader);
        if (refusal !== undefined) throw new AvroIOError(refusal, { retryable: false });
        readerType = avscType(avsc, reader);
        try {
          resolver = readerType.createResolver(type);
        } catch (err) {
          throw new AvroIOError(
            `readAvro: the reader schema cannot read "${avro.path}", whose writer schema is ${truncate(key)}: ${messageOf(err)}. ` +
              `Make the reader schema compatible (added fields need defaults), or leave readerSchema out to read with the file's schema.`,
            { cause: err, retryable: false },
          );
        }
      }
      d = { type: readerType ?? type, resolver, mapping: mapAvroSchema(reader ?? avro.header.schema) };
      this.types.set(key, d);
    }
    return d;
  }
}

/** Decodes a block's records; a BadBlock when they do not fill it exactly. */
function decodeBlock(block: AvroBlock, type: AvscType, resolver: unknown): unknown[] {
  const out: unknown[] = [];
  let pos = 0;
  const fail = (what: string): never => {
    throw new BadBlock(`${what} (record ${out.length + 1} of ${block.count})`, block.syncAt, block.start, block.records);
  };
  for (let i = 0; i < block.count; i++) {
    let r: { value: unknown; offset: number };
    try {
      r = type.decode(block.records, pos, resolver as Parameters<AvscType["decode"]>[2]);
    } catch (err) {
      return fail(`a record does not decode: ${messageOf(err)}`);
    }
    if (r.offset < 0) fail("the records end before the block's record count");
    out.push(r.value);
    pos = r.offset;
  }
  if (pos !== block.records.length) fail(`${block.records.length - pos} bytes are left after the block's records`);
  return out;
}

function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
