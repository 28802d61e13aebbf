import { fileLineage } from "../../metrics/index.js";
import type { AsyncBuffer, Compressors, FileMetaData, ParquetParsers, SchemaTree } from "hyparquet";
import { ConstructionError, RowSchema, type FieldType, type Schema } from "../../model/index.js";
import { PTransform, type PBegin, type PCollection } from "../../pipeline/index.js";
import {
  OffsetRange,
  OffsetRangeTracker,
  parDo,
  splittableParDo,
  type DoFn,
  type ProcessContext,
  type RestrictionTracker,
  type SplittableDoFn,
  type SplittableProcessContext,
  type WithFailures,
} from "../../transforms/index.js";
import { checkFileSystemPath, fileSystemFor } from "../filesystems/index.js";
import { matchFiles, type EmptyMatchTreatment } from "../text/index.js";
import { loadHyparquet, readCompressors } from "./load-library.js";
import { RouteBadDataDoFn, type InvalidDataTreatment, type RowOrBadData } from "./bad-data.js";
import { ParquetIOError, messageOf } from "./parquet-io-error.js";
import { beamSchemaOf, columnNamesOf, withRawDecimals, type MappedColumn } from "./parquet-schema.js";
import { cannotMatch, chunkStats, matches, resolveFilter, type ParquetFilter, type Predicate } from "./row-group-filter.js";

/** The metrics namespace of the Parquet connector. */
export const PARQUET_METRICS_NAMESPACE = "beam-ts.io.parquet";
/** Counter: row groups read. */
export const ROW_GROUPS_READ = "rowGroupsRead";
/** Counter: row groups skipped because their statistics rule out every row of the filter. */
export const ROW_GROUPS_SKIPPED = "rowGroupsSkipped";
/** Counter: bytes read from files for rows (footers not included): a projection reads only its columns' chunks. */
export const BYTES_READ = "bytesRead";

/** Options of readParquet. */
export interface ReadParquetOptions<R> {
  /** The top-level columns to read (a projection); other columns are never read. Default: all (or the schema's). */
  readonly columns?: readonly string[];
  /** Simple predicates, pushed down to row-group statistics and applied to every row read. */
  readonly filter?: ParquetFilter;
  /**
   * The rows' Beam schema, attached with withSchema; usually `await inferParquetSchema(file)`.
   * Every file must have these columns with these types, or the job fails naming the file.
   */
  readonly schema?: RowSchema<R>;
  /** "disallow" (default) fails the job when nothing matches; "allow" reads nothing. */
  readonly emptyMatch?: EmptyMatchTreatment;
  /**
   * A file or row group that cannot be read (not Parquet, corrupt, truncated, other columns or
   * types than the schema's): "fail" (default) fails the job naming it; "deadLetter" sends it
   * to a `failures` output of BadRecords and the transform returns `{ output, failures }`.
   */
  readonly invalidData?: InvalidDataTreatment;
}

/** A matched Parquet file and its number of row groups. */
interface ParquetFile {
  readonly path: string;
  readonly rowGroups: number;
}

/** Epoch milliseconds (floored) for timestamps, days for dates: the Beam values. */
const floorDiv = (a: bigint, b: bigint): number => Number(a / b - (a % b < 0n ? 1n : 0n));
const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v) => Number(v),
  timestampFromMicroseconds: (v) => floorDiv(v, 1000n),
  timestampFromNanoseconds: (v) => floorDiv(v, 1000000n),
  dateFromDays: (d) => d,
  jsonFromBytes: (b) => new TextDecoder().decode(b),
};

/**
 * A file of any file system as hyparquet's AsyncBuffer: `slice(start, end)` is a ranged
 * read (a positioned read locally, a ranged GET on an object store), so the footer and the
 * projected columns' chunks are all that is read.
 */
async function fileBuffer(path: string, onRead?: (bytes: number) => void): Promise<{ buffer: AsyncBuffer; close: () => Promise<void> }> {
  fileLineage("sources", path);
  const handle = await (await fileSystemFor(path)).open(path);
  const size = handle.metadata.sizeBytes;
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start: number, end: number = size): Promise<ArrayBuffer> {
      const length = end - start;
      const out = new ArrayBuffer(length);
      const view = Buffer.from(out);
      // A read may return fewer bytes than asked (as FileHandle.read may): read until full.
      let done = 0;
      while (done < length) {
        const n = await handle.read(view, done, length - done, start + done);
        if (n === 0) throw new Error(`the file ends at byte ${start + done}, before byte ${end} (it changed or is truncated)`);
        done += n;
      }
      onRead?.(length);
      return out;
    },
  };
  return { buffer, close: () => handle.close() };
}

async function readFooter(path: string, what: string): Promise<{ metadata: FileMetaData; root: SchemaTree }> {
  const hp = await loadHyparquet(what);
  let file: Awaited<ReturnType<typeof fileBuffer>> | undefined;
  try {
    file = await fileBuffer(path);
    const metadata = await hp.parquetMetadataAsync(file.buffer, { parsers: PARSERS });
    return { metadata, root: hp.parquetSchema(metadata) };
  } catch (err) {
    if (err instanceof ParquetIOError) throw err;
    throw new ParquetIOError(`${what}: cannot read the Parquet footer of "${path}": ${messageOf(err)}. Is it a Parquet file?`, { cause: err, retryable: false });
  } finally {
    await file?.close();
  }
}

/**
 * The Beam schema of a Parquet file's columns (all, or `columns`), to pass to readParquet as
 * `schema`. Reads only the file's footer.
 *
 * @example const schema = await inferParquetSchema("data/part-00000-of-00004.parquet");
 */
export async function inferParquetSchema(file: string, options: { readonly columns?: readonly string[]; readonly name?: string } = {}): Promise<RowSchema<Record<string, unknown>>> {
  checkFileSystemPath(file, "inferParquetSchema");
  const { root } = await readFooter(file, "inferParquetSchema");
  checkColumns("inferParquetSchema", file, root, options.columns);
  try {
    return new RowSchema<Record<string, unknown>>(beamSchemaOf(root, options.columns).schema, options.name ?? "row");
  } catch (err) {
    throw new ParquetIOError(`inferParquetSchema: "${file}": ${messageOf(err)}`, { cause: err, retryable: false });
  }
}

function checkColumns(what: string, file: string, root: SchemaTree, columns: readonly string[] | undefined): void {
  const names = columnNamesOf(root);
  const missing = (columns ?? []).filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new ParquetIOError(`${what}: "${file}" has no column ${missing.map((m) => `"${m}"`).join(", ")}; its columns are ${names.join(", ")}.`, { retryable: false });
  }
}

/** A type without nullability, for comparing a file's column with the schema's field. */
function shape(type: FieldType): unknown {
  const { nullable: _n, ...rest } = type as FieldType & { nullable?: boolean };
  void _n;
  if (rest.kind === "array" || rest.kind === "iterable") return { kind: "array", element: shape(rest.element) };
  if (rest.kind === "map") return { ...rest, key: shape(rest.key), value: shape(rest.value) };
  if (rest.kind === "row") return { kind: "row", fields: rest.schema.fields.map((f) => [f.name, shape(f.type)]) };
  if (rest.kind === "logical") return { kind: "logical", urn: rest.urn };
  return rest;
}

/** Reads the footer of each file: its number of row groups (the restriction's size). */
class ReadFootersDoFn implements DoFn<string, ParquetFile> {
  constructor(readonly invalidData: InvalidDataTreatment) {}
  async process(path: string, ctx: ProcessContext<ParquetFile>): Promise<void> {
    let rowGroups: number;
    try {
      rowGroups = (await readFooter(path, "readParquet")).metadata.row_groups.length;
    } catch (err) {
      if (this.invalidData !== "deadLetter" || !(err instanceof ParquetIOError)) throw err;
      rowGroups = 1; // one restriction, whose reading sends the file to the dead letters
    }
    ctx.output({ path, rowGroups });
  }
}

interface ReadSettings {
  readonly invalidData: InvalidDataTreatment;
  readonly columns: readonly string[] | undefined;
  readonly predicates: readonly Predicate[];
  readonly schema: Schema | undefined;
}

/**
 * Beam's ParquetIO read as a splittable DoFn: the element is a file, the restriction an
 * OffsetRange of row-group indexes, split into one range per row group. Each claimed row
 * group is skipped when its statistics rule out the filter, and otherwise read (only the
 * projected columns) and its rows filtered exactly.
 */
class ReadRowGroupsFn implements SplittableDoFn<ParquetFile, unknown, OffsetRange> {
  private compressors: Compressors | undefined;

  constructor(readonly settings: ReadSettings) {}

  getInitialRestriction(file: ParquetFile): OffsetRange {
    return new OffsetRange(0, file.rowGroups);
  }

  splitRestriction(_file: ParquetFile, range: OffsetRange): OffsetRange[] {
    return range.isEmpty ? [] : range.split(1, 1);
  }

  getSize(_file: ParquetFile, range: OffsetRange): number {
    return range.size;
  }

  newTracker(_file: ParquetFile, range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }

  /** The file's footer and column converters, checked against the columns and schema read. */
  private async prepare(file: ParquetFile): Promise<{ metadata: FileMetaData; mapped: readonly MappedColumn[] }> {
    const { metadata, root } = await readFooter(file.path, "readParquet");
    const { columns, schema } = this.settings;
    checkColumns("readParquet", file.path, root, columns);
    let mapped: readonly MappedColumn[];
    try {
      mapped = beamSchemaOf(root, columns).columns;
    } catch (err) {
      throw new ParquetIOError(`readParquet: "${file.path}": ${messageOf(err)}`, { cause: err, retryable: false });
    }
    if (schema !== undefined) checkSchema(file.path, schema, mapped);
    return { metadata, mapped };
  }

  async process(file: ParquetFile, ctx: SplittableProcessContext<unknown, OffsetRange, number>): Promise<void> {
    const hp = await loadHyparquet("readParquet");
    this.compressors ??= await readCompressors();
    const deadLetter = this.settings.invalidData === "deadLetter";
    let prepared: Awaited<ReturnType<ReadRowGroupsFn["prepare"]>>;
    try {
      prepared = await this.prepare(file);
    } catch (err) {
      if (!deadLetter || !(err instanceof ParquetIOError)) throw err;
      // The whole file is bad: one dead letter, and the restriction is done.
      const from = ctx.tracker.currentRestriction().from;
      for (let g = from; ctx.tracker.tryClaim(g); g++) {
        if (g === from) ctx.output({ bad: { file: file.path, message: err.message } });
      }
      return;
    }
    const { metadata, mapped } = prepared;
    const { predicates } = this.settings;
    const byName = new Map(mapped.map((c) => [c.field.name, c] as const));
    // Decimals decoded unscaled (exact), converted to BigDecimal by the column's converter.
    const raw: FileMetaData = { ...metadata, schema: withRawDecimals(metadata.schema) };
    const names = mapped.map((c) => c.field.name);
    const skipped = ctx.metrics.counter(PARQUET_METRICS_NAMESPACE, ROW_GROUPS_SKIPPED);
    const read = ctx.metrics.counter(PARQUET_METRICS_NAMESPACE, ROW_GROUPS_READ);
    const bytes = ctx.metrics.counter(PARQUET_METRICS_NAMESPACE, BYTES_READ);
    const handle = await fileBuffer(file.path, (n) => bytes.inc(n));
    try {
      let rowStart = 0;
      const starts = metadata.row_groups.map((g) => {
        const s = rowStart;
        rowStart += Number(g.num_rows);
        return s;
      });
      for (let g = ctx.tracker.currentRestriction().from; ctx.tracker.tryClaim(g); g++) {
        const group = metadata.row_groups[g]!;
        const prune = predicates.some((p) => {
          const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === p.column);
          const column = byName.get(p.column);
          if (chunk?.meta_data === undefined || column === undefined) return false;
          return cannotMatch(p, chunkStats(chunk.meta_data.statistics, group.num_rows, column.convert));
        });
        if (prune) {
          skipped.inc();
          continue;
        }
        read.inc();
        const first = starts[g]!;
        const last = first + Number(group.num_rows) - 1;
        let rows: Record<string, unknown>[];
        try {
          rows = await hp.parquetReadObjects({
            file: handle.buffer,
            metadata: raw,
            columns: names,
            rowStart: first,
            rowEnd: last + 1,
            utf8: false,
            parsers: PARSERS,
            compressors: this.compressors,
          });
          // In place: the decoded rows are this reader's own objects, and a copy per row cost a
          // tenth of a read (bench/files.ts).
          for (const row of rows) for (const c of mapped) row[c.field.name] = c.convert(row[c.field.name]);
        } catch (err) {
          const message = `readParquet: cannot read row group ${g} (rows ${first}..${last}) of "${file.path}": ${messageOf(err)}. The file may be corrupt or truncated; pass { invalidData: "deadLetter" } to send unreadable row groups to a "failures" output.`;
          if (!deadLetter) throw new ParquetIOError(message, { cause: err, retryable: false });
          ctx.output({ bad: { file: file.path, rowGroup: g, rows: [first, last], message } });
          continue;
        }
        for (const out of rows) {
          if (predicates.length === 0 || predicates.every((p) => matches(p, out[p.column]))) ctx.output(deadLetter ? { row: out } : out);
        }
      }
    } finally {
      await handle.close();
    }
  }
}

function checkSchema(path: string, schema: Schema, mapped: readonly MappedColumn[]): void {
  for (const field of schema.fields) {
    const column = mapped.find((c) => c.field.name === field.name);
    if (column === undefined) {
      throw new ParquetIOError(`readParquet: "${path}" has no column "${field.name}" of the schema. Read it with a schema inferred from this file, or pass "columns".`, { retryable: false });
    }
    if (JSON.stringify(shape(column.field.type), bigintSafe) !== JSON.stringify(shape(field.type), bigintSafe)) {
      throw new ParquetIOError(
        `readParquet: column "${field.name}" of "${path}" does not have the schema's type (file: ${JSON.stringify(shape(column.field.type), bigintSafe)}, schema: ${JSON.stringify(shape(field.type), bigintSafe)}). Files of one read must share their schema.`,
        { retryable: false },
      );
    }
  }
}

const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v);

/**
 * Beam's ParquetIO.read: the rows of every Parquet file matching `filePattern`, as plain
 * objects (INT64 as bigint, decimals as BigDecimal, timestamps as Instant milliseconds,
 * dates as days, lists as arrays, maps as Maps, groups as objects). The glob is expanded
 * when the pipeline runs (matchFiles); each file is split into one restriction per row
 * group. `columns` reads only those columns; `filter` skips row groups whose statistics rule
 * it out (counted in the `rowGroupsSkipped` metric) and keeps only matching rows. With
 * `schema` the output carries that Beam schema (withSchema).
 *
 * @example
 * const schema = await inferParquetSchema("events/part-00000-of-00008.parquet", { columns: ["user", "at"] });
 * const events = p.apply(readParquet("events/*.parquet", { schema, columns: ["user", "at"], filter: { at: { gt: Date.parse("2026-01-01") } } }));
 */
export function readParquet<R = Record<string, unknown>>(
  filePattern: string,
  options?: ReadParquetOptions<R> & { readonly invalidData?: "fail" },
): PTransform<PBegin, PCollection<R>>;
export function readParquet<R = Record<string, unknown>>(
  filePattern: string,
  options: ReadParquetOptions<R> & { readonly invalidData: "deadLetter" },
): PTransform<PBegin, WithFailures<PCollection<R>>>;
export function readParquet<R = Record<string, unknown>>(
  filePattern: string,
  options: ReadParquetOptions<R> = {},
): PTransform<PBegin, PCollection<R> | WithFailures<PCollection<R>>> {
  if (typeof filePattern !== "string" || filePattern.length === 0) {
    throw new ConstructionError(`readParquet needs a non-empty file pattern (a path or a glob such as "data/*.parquet"); got ${String(filePattern)}.`);
  }
  checkFileSystemPath(filePattern, "readParquet");
  const invalidData = options.invalidData ?? "fail";
  if (invalidData !== "fail" && invalidData !== "deadLetter") {
    throw new ConstructionError(`readParquet: invalidData must be "fail" or "deadLetter", got ${String(invalidData)}.`);
  }
  const schema = options.schema?.schema;
  const columns = options.columns ?? schema?.fields.map((f) => f.name);
  if (columns !== undefined && (columns.length === 0 || new Set(columns).size !== columns.length)) {
    throw new ConstructionError(`readParquet: columns must name one or more distinct top-level columns; got ${JSON.stringify(columns)}.`);
  }
  if (schema !== undefined && options.columns !== undefined) {
    const extra = schema.fields.filter((f) => !options.columns!.includes(f.name)).map((f) => f.name);
    if (extra.length > 0) throw new ConstructionError(`readParquet: the schema has fields ${extra.join(", ")} that "columns" leaves out; infer the schema with the same columns.`);
  }
  if (options.filter !== undefined && columns !== undefined) {
    const unread = Object.keys(options.filter).filter((c) => !columns.includes(c));
    if (unread.length > 0) throw new ConstructionError(`readParquet: the filter names ${unread.join(", ")}, which "columns" does not read; add them to "columns".`);
  }
  const predicates = resolveFilter("readParquet", options.filter, schema);
  return new ReadParquet<R>(filePattern, options.emptyMatch ?? "disallow", { invalidData, columns, predicates, schema }, options.schema);
}

class ReadParquet<R> extends PTransform<PBegin, PCollection<R> | WithFailures<PCollection<R>>> {
  constructor(
    private readonly pattern: string,
    private readonly emptyMatch: EmptyMatchTreatment,
    private readonly settings: ReadSettings,
    private readonly rowSchema: RowSchema<R> | undefined,
  ) {
    super("ReadParquet");
  }
  expand(input: PBegin): PCollection<R> | WithFailures<PCollection<R>> {
    const step = `${input.pipeline.currentLabel()}/ReadRowGroups`;
    const read = input
      .apply("MatchFiles", matchFiles(this.pattern, { emptyMatch: this.emptyMatch }))
      .apply("ReadFooters", parDo(new ReadFootersDoFn(this.settings.invalidData)))
      .apply("ReadRowGroups", splittableParDo(new ReadRowGroupsFn(this.settings)));
    const withSchema = (rows: PCollection<unknown>): PCollection<R> => {
      const typed = rows as PCollection<R>;
      return this.rowSchema === undefined ? typed : typed.withSchema(this.rowSchema);
    };
    if (this.settings.invalidData !== "deadLetter") return withSchema(read);
    const routed = (read as PCollection<RowOrBadData>).apply("RouteInvalidData", parDo(new RouteBadDataDoFn(step), { outputs: ["failures"] }));
    return { output: withSchema(routed.main), failures: routed.failures };
  }
}
