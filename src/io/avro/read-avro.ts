import { ConstructionError, RowSchema, type Schema } from "../../model/index.js";
import { bytesCoder } from "../../coders/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import { asIterable, parDo, splittableParDo, type BadRecord, type DoFn, type ProcessContext, type WithFailures } from "../../transforms/index.js";
import { checkFileSystemPath } from "../filesystems/index.js";
import { StatFilesDoFn, matchFiles, type EmptyMatchTreatment } from "../text/internal.js";
import { mapAvroSchema } from "./avro-values.js";
import { ReadAvroFn, type AvroFileRef, type CorruptBlock, type CorruptBlockTreatment, type ReadItem } from "./read-avro-fn.js";
import { CheckReaderSchemaDoFn, checkReaderSchemaAtConstruction } from "./reader-schema-check.js";

/** Options of readAvro. */
export interface ReadAvroOptions {
  /**
   * The schema to read records as (Avro schema evolution: fields added with defaults,
   * removed fields, promoted types, aliases), resolved against each file's writer schema.
   * When it is a record that maps to a Beam schema, the output has that schema.
   */
  readonly readerSchema?: object;
  /** "disallow" (default) fails the job when nothing matches; "allow" reads nothing. */
  readonly emptyMatch?: EmptyMatchTreatment;
  /**
   * A corrupt or truncated block: "fail" (default) fails the job naming the file and byte
   * offset; "deadLetter" sends it to a `failures` output (one BadRecord holding the block's
   * raw bytes) and reads on from the next sync marker.
   */
  readonly corruptBlock?: CorruptBlockTreatment;
  /** @internal Smallest byte range of the initial split (tests). */
  readonly minSplitBytes?: number;
}

/**
 * Beam's AvroIO.read: the records of every Avro object container file matching
 * `filePattern`, as plain objects (docs/IO.md "Avro" for the type mapping: long is a
 * bigint, timestamp-millis an Instant, decimal a BigDecimal, map a Map). The glob is
 * expanded when the pipeline runs (matchFiles); files are split into byte ranges read in
 * parallel, each reading the blocks whose sync marker starts in it. Codecs "null" and
 * "deflate". Records are read with each file's schema, or with `readerSchema` resolved
 * against it; with a record `readerSchema` that maps to a Beam schema, the output has it.
 * A damaged block fails the job naming the file and offset, unless
 * `corruptBlock: "deadLetter"` (the transform then returns `{ output, failures }`).
 *
 * @example const users = p.apply(readAvro("data/users-*.avro", { readerSchema: UserV2 }));
 */
export function readAvro(
  filePattern: string,
  options?: ReadAvroOptions & { readonly corruptBlock?: "fail" },
): PTransform<PBegin, PCollection<Record<string, unknown>>>;
export function readAvro(
  filePattern: string,
  options: ReadAvroOptions & { readonly corruptBlock: "deadLetter" },
): PTransform<PBegin, WithFailures<PCollection<Record<string, unknown>>>>;
export function readAvro(
  filePattern: string,
  options: ReadAvroOptions = {},
): PTransform<PBegin, PCollection<Record<string, unknown>> | WithFailures<PCollection<Record<string, unknown>>>> {
  if (typeof filePattern !== "string" || filePattern.length === 0) {
    throw new ConstructionError(`readAvro needs a non-empty file pattern (a path or a glob such as "data/*.avro"); got ${String(filePattern)}.`);
  }
  checkFileSystemPath(filePattern, "readAvro");
  const corruptBlock = options.corruptBlock ?? "fail";
  if (corruptBlock !== "fail" && corruptBlock !== "deadLetter") {
    throw new ConstructionError(`readAvro: corruptBlock must be "fail" or "deadLetter", got ${String(corruptBlock)}.`);
  }
  if (options.readerSchema !== undefined && (typeof options.readerSchema !== "object" || options.readerSchema === null)) {
    throw new ConstructionError(`readAvro: readerSchema must be an Avro schema object (parsed JSON), got ${String(options.readerSchema)}.`);
  }
  // An incompatible schema change is refused before the job starts where the files can be read now (local paths).
  if (options.readerSchema !== undefined) checkReaderSchemaAtConstruction(filePattern, options.readerSchema);
  return new ReadAvro(filePattern, options, corruptBlock);
}

/** The Beam schema of records read with `readerSchema`, when it is a record that maps to one. */
export function beamSchemaOfAvro(avroSchema: object): Schema | undefined {
  const m = mapAvroSchema(avroSchema);
  return m.type?.kind === "row" && m.type.nullable !== true ? m.type.schema : undefined;
}

class ReadAvro extends PTransform<PBegin, PCollection<Record<string, unknown>> | WithFailures<PCollection<Record<string, unknown>>>> {
  constructor(
    private readonly pattern: string,
    private readonly options: ReadAvroOptions,
    private readonly corruptBlock: CorruptBlockTreatment,
  ) {
    super("ReadAvro");
  }

  expand(input: PBegin): PCollection<Record<string, unknown>> | WithFailures<PCollection<Record<string, unknown>>> {
    const settings = { readerSchema: this.options.readerSchema, corruptBlock: this.corruptBlock };
    const matched = input
      .apply("MatchFiles", matchFiles(this.pattern, this.options.emptyMatch === undefined ? {} : { emptyMatch: this.options.emptyMatch }))
      .apply("StatFiles", parDo(new StatFilesDoFn()));
    const files = this.options.readerSchema === undefined ? matched : afterSchemaCheck(matched, this.options.readerSchema);
    const beam = this.options.readerSchema === undefined ? undefined : beamSchemaOfAvro(this.options.readerSchema);
    const withRows = (pc: PCollection<Record<string, unknown>>) => (beam === undefined ? pc : pc.withSchema(new RowSchema<Record<string, unknown>>(beam, "record")));
    if (this.corruptBlock === "fail") {
      const fn = new ReadAvroFn(settings, (item) => (item as { record: Record<string, unknown> }).record, this.options.minSplitBytes);
      return withRows(files.apply("ReadBlocks", splittableParDo(fn)));
    }
    const step = `${input.pipeline.currentLabel()}/ReadBlocks`;
    const routed = files
      .apply("ReadBlocks", splittableParDo(new ReadAvroFn(settings, (item: ReadItem) => item, this.options.minSplitBytes)))
      .apply("RouteCorruptBlocks", parDo(new RouteCorruptBlocksDoFn(step), { outputs: ["failures"] }));
    return { output: withRows(routed.main), failures: routed.failures };
  }
}

/**
 * The files, released once the reader schema was checked against every file's header: the
 * check's (empty) output is a side input of the step that passes them on, and a side input
 * is ready only when all of it is computed, so an incompatible file fails the job before
 * any file's records are read.
 */
function afterSchemaCheck(files: PCollection<AvroFileRef>, readerSchema: object): PCollection<AvroFileRef> {
  const checked = asIterable(files.apply("CheckReaderSchema", parDo(new CheckReaderSchemaDoFn(readerSchema))));
  return files
    .apply(
      "AfterSchemaCheck",
      parDo<AvroFileRef, AvroFileRef>(
        {
          process(file, ctx) {
            ctx.sideInput(checked);
            ctx.output(file);
          },
        },
        { sideInputs: [checked] },
      ),
    )
    .withCoder(files.coder);
}

/** `corruptBlock: "deadLetter"`: records go on, each damaged block to `failures` as a BadRecord of its raw bytes. */
class RouteCorruptBlocksDoFn implements DoFn<ReadItem, Record<string, unknown>, { failures: BadRecord }> {
  constructor(readonly step: string) {}
  process(item: ReadItem, ctx: ProcessContext<Record<string, unknown>, { failures: BadRecord }>): void {
    if ("record" in item) {
      ctx.output(item.record as Record<string, unknown>);
      return;
    }
    const c: CorruptBlock = item.corrupt;
    ctx.outputTo("failures", {
      step: this.step,
      element: { preview: `${c.raw.length} bytes of the block at byte ${c.offset} of "${c.file}"`, encoded: c.raw, coder: bytesCoder.urn },
      error: {
        type: "AvroIOError",
        message: `Corrupt block at byte ${c.offset} of "${c.file}": ${c.message}`,
        stack: "",
        description: `reading the Avro block at byte ${c.offset} of "${c.file}"`,
      },
      window: ctx.window.toString(),
      timestamp: ctx.timestamp,
      attempt: 1,
      failedAt: Date.now(),
    });
  }
}
