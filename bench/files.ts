/**
 * `npm run bench:files` (issue #19): file-format throughput in MB/s. Reading and parsing CSV,
 * writing CSV, reading Parquet and writing Parquet through beam-ts pipelines on the embedded
 * runner (readCsv, writeCsv, readParquet, writeParquet), against a hand-written Node loop over
 * the same library (csv-parse, csv-stringify, hyparquet, hyparquet-writer) in the same process, alternating, and
 * against pyarrow (Beam Python's venv) where it is installed. Writes the `files` section of
 * bench/RESULTS.md.
 *
 * Input (generated in a temporary directory, removed at the end): a CSV file of about
 * `BENCH_FILES_CSV_MB` MiB (default 64) of `file-rows.ts` rows, and a Parquet file of the same
 * rows written by hyparquet-writer (snappy, row groups of 100,000 rows, writeParquet's default).
 * MB/s is always over the same bytes for every system of a job: the CSV file for CSV reads, the
 * Parquet file for Parquet reads and writes, the CSV file for CSV writes (which write the same rows). `BENCH_FILES_REPEATS` (default 3; the median);
 * `BENCH_FILES_JOBS=read + parse csv,write csv,read parquet` runs only those jobs and writes nothing.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { parse as csvParse } from "csv-parse";
import { stringify as csvStringify } from "csv-stringify";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import type { SchemaElement } from "hyparquet";
import { ParquetWriter, fileWriter } from "hyparquet-writer";
import { Pipeline, create, map, parDo, type PCollection } from "../src/index.js";
import { readCsv, writeCsv } from "../src/io/csv/index.js";
import { readParquet, writeParquet } from "../src/io/parquet/index.js";
import { BenchRow, CSV_HEADER, RowChecksum, benchRow, csvLine, expectedChecksum, mbPerSec, median } from "./file-rows.js";
import { writeSection } from "./results-section.js";
import { range } from "./workloads.js";
import { cacheDir } from "../tools/runners/job-services.mjs";
import { PYTHON_BEAM_VERSION } from "../tools/runners/python-beam.mjs";

const CSV_BYTES = Number(process.env["BENCH_FILES_CSV_MB"] ?? 64) * 2 ** 20;
const REPEATS = Number(process.env["BENCH_FILES_REPEATS"] ?? 3);
const ROW_GROUP = 100_000;
/** Which jobs to run, by a part of their name ("csv", "write csv", "read parquet", "write parquet"); default all. */
const ONLY = process.env["BENCH_FILES_JOBS"]?.toLowerCase().split(",");

/** One timed run: seconds, and the checksum of the rows it read or wrote. */
interface Timed {
  readonly seconds: number;
  readonly checksum: string;
}

interface Job {
  readonly name: string;
  /** The bytes MB/s is computed over (the same for every system of the job). */
  readonly bytes: number;
  readonly systems: readonly { readonly name: string; readonly run: () => Promise<Timed> }[];
}

async function timed(body: () => Promise<string>): Promise<Timed> {
  const start = process.hrtime.bigint();
  const checksum = await body();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, checksum };
}

/** Writes rows until the file reaches `bytes`; returns the number of rows. */
async function writeCsvInput(file: string, bytes: number): Promise<number> {
  const out = await open(file, "w");
  let rows = 0;
  let size = 0;
  let chunk = CSV_HEADER + "\n";
  while (size < bytes) {
    const line = csvLine(benchRow(rows++)) + "\n";
    chunk += line;
    size += line.length;
    if (chunk.length > 1 << 20) {
      await out.write(chunk);
      chunk = "";
    }
  }
  await out.write(chunk);
  await out.close();
  return rows;
}

/** The Parquet schema writeParquet writes for BenchRow, spelled out for the hand-written writer. */
const PARQUET_SCHEMA: SchemaElement[] = [
  { name: "root", num_children: 7 },
  { name: "id", repetition_type: "REQUIRED", type: "INT64" },
  { name: "name", repetition_type: "REQUIRED", type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } },
  { name: "price", repetition_type: "REQUIRED", type: "DOUBLE" },
  { name: "qty", repetition_type: "REQUIRED", type: "INT32" },
  { name: "at", repetition_type: "REQUIRED", type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } },
  { name: "active", repetition_type: "REQUIRED", type: "BOOLEAN" },
  { name: "note", repetition_type: "OPTIONAL", type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } },
];

/** The hand-written Parquet writer: rows [0, n) generated, buffered a row group at a time and written with hyparquet-writer. */
function handWriteParquet(file: string, n: number): string {
  const writer = new ParquetWriter({ writer: fileWriter(file), schema: PARQUET_SCHEMA, codec: "SNAPPY" });
  const sum = new RowChecksum();
  for (let start = 0; start < n; start += ROW_GROUP) {
    const end = Math.min(n, start + ROW_GROUP);
    const cols = { id: [] as bigint[], name: [] as string[], price: [] as number[], qty: [] as number[], at: [] as bigint[], active: [] as boolean[], note: [] as (string | null)[] };
    for (let i = start; i < end; i++) {
      const row = benchRow(i);
      sum.add(row);
      cols.id.push(row.id);
      cols.name.push(row.name);
      cols.price.push(row.price);
      cols.qty.push(row.qty);
      cols.at.push(BigInt(row.at));
      cols.active.push(row.active);
      cols.note.push(row.note);
    }
    void writer.write({ columnData: Object.entries(cols).map(([name, data]) => ({ name, data })), rowGroupSize: end - start });
  }
  writer.finish();
  return sum.value();
}

/** The hand-written CSV reader: the file streamed through csv-parse, each record converted to a typed row. */
async function handReadCsv(file: string): Promise<string> {
  const sum = new RowChecksum();
  const parser = createReadStream(file).pipe(csvParse({ from_line: 2, relax_column_count: true, skip_empty_lines: true }));
  for await (const r of parser as AsyncIterable<string[]>) {
    const at = Date.parse(r[4]!);
    if (Number.isNaN(at)) throw new Error(`bad timestamp ${r[4]}`);
    sum.add({ id: BigInt(r[0]!), name: r[1]!, price: Number(r[2]), qty: Number(r[3]), at, active: r[5] === "true", note: r[6] === "" ? null : r[6]! });
  }
  return sum.value();
}

/** The hand-written CSV writer: rows [0, n) generated and streamed through csv-stringify into one file, as `writeCsvInput` spells them. */
async function handWriteCsv(file: string, n: number): Promise<string> {
  const sum = new RowChecksum();
  const out = createWriteStream(file);
  const stringifier = csvStringify({ header: true, columns: CSV_HEADER.split(",") });
  stringifier.pipe(out);
  for (let i = 0; i < n; i++) {
    const row = benchRow(i);
    sum.add(row);
    // Strings, as csvLine spells them (csv-stringify would write a boolean as 1 or empty).
    const record = [String(row.id), row.name, String(row.price), String(row.qty), new Date(row.at).toISOString(), String(row.active), row.note];
    if (!stringifier.write(record)) await once(stringifier, "drain");
  }
  stringifier.end();
  await once(out, "close");
  return sum.value();
}

/** Rows [0, n) generated in the pipeline and written with writeCsv; the checksum is of the rows generated. */
async function beamWriteCsv(prefix: string, n: number, numShards?: number): Promise<string> {
  const sum = new RowChecksum();
  const p = new Pipeline({ quiet: true });
  p.apply("Impulse", create([new Uint8Array(0)]))
    .apply("Range", range(n))
    .apply("Rows", map((i: number) => {
      const row = benchRow(i);
      sum.add(row);
      return row;
    }))
    .apply("Write", writeCsv(prefix, { schema: BenchRow, ...(numShards === undefined ? {} : { numShards }) }));
  await p.run().waitUntilFinish();
  return sum.value();
}

/**
 * Checks that CSV files that start with `base` hold the input's records: as every row is
 * written as the input spells it, their bytes less one header line each are the input's less its header.
 */
async function checkCsvOutput(dir: string, base: string, csvBytes: number): Promise<void> {
  const names = (await readdir(dir)).filter((f) => f.startsWith(base) && f.endsWith(".csv"));
  let bytes = 0;
  for (const name of names) bytes += (await stat(path.join(dir, name))).size - (CSV_HEADER.length + 1);
  if (names.length === 0 || bytes !== csvBytes - (CSV_HEADER.length + 1)) throw new Error(`${base}*.csv hold ${bytes} bytes of records in ${names.length} files, expected ${csvBytes - (CSV_HEADER.length + 1)}`);
}

/** Timestamps as epoch ms, as readParquet gives them. */
const PARSERS = { timestampFromMilliseconds: (v: bigint) => Number(v) };

/** The hand-written Parquet reader: hyparquet's parquetReadObjects, one row group at a time. */
async function handReadParquet(file: string, n: number): Promise<string> {
  const sum = new RowChecksum();
  const buffer = await asyncBufferFromFile(file);
  for (let start = 0; start < n; start += ROW_GROUP) {
    const rows = await parquetReadObjects({ file: buffer, rowStart: start, rowEnd: Math.min(n, start + ROW_GROUP), parsers: PARSERS });
    for (const row of rows) sum.add(row as BenchRow);
  }
  return sum.value();
}

/** Runs a beam-ts pipeline whose output rows go into a checksum. */
async function beamRead(build: (p: Pipeline) => PCollection<unknown>): Promise<string> {
  const sum = new RowChecksum();
  const p = new Pipeline({ quiet: true });
  build(p).apply("Checksum", parDo<unknown, never>({ process: (row) => sum.add(row as BenchRow) }));
  await p.run().waitUntilFinish();
  return sum.value();
}

/** Rows [0, n) generated in the pipeline and written with writeParquet; the checksum is of the rows generated. */
async function beamWriteParquet(prefix: string, n: number, numShards?: number): Promise<string> {
  const sum = new RowChecksum();
  const p = new Pipeline({ quiet: true });
  p.apply("Impulse", create([new Uint8Array(0)]))
    .apply("Range", range(n))
    .apply("Rows", map((i: number) => {
      const row = benchRow(i);
      sum.add(row);
      return row;
    }))
    .apply("Write", writeParquet(prefix, { schema: BenchRow, ...(numShards === undefined ? {} : { numShards }) }));
  await p.run().waitUntilFinish();
  return sum.value();
}

/** What a directory's files that start with `base` hold: their count, bytes, and the checksum of their rows. */
async function parquetOutput(dir: string, base: string): Promise<{ files: number; bytes: number; checksum: string }> {
  const names = (await readdir(dir)).filter((f) => f.startsWith(base) && f.endsWith(".parquet")).sort();
  const sum = new RowChecksum();
  let bytes = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    bytes += (await stat(file)).size;
    for (const row of await parquetReadObjects({ file: await asyncBufferFromFile(file), parsers: PARSERS })) sum.add(row as BenchRow);
  }
  return { files: names.length, bytes, checksum: sum.value() };
}

/** Beam Python's venv python (tools/runners/python-beam.mjs), when installed. */
function pythonWithPyarrow(): string | undefined {
  const python = process.env["BENCH_PYTHON"] ?? path.join(cacheDir(), "python", `apache-beam-${PYTHON_BEAM_VERSION}`, "bin", "python");
  return existsSync(python) ? python : undefined;
}

interface Measured {
  readonly job: string;
  readonly system: string;
  readonly mbPerSec: number;
  /** Against the hand-written loop of the same job; undefined for the loop itself. */
  readonly ratio: number | undefined;
  readonly note?: string;
}

async function measure(job: Job, expected: string): Promise<Measured[]> {
  const seconds = new Map<string, number[]>(job.systems.map((s) => [s.name, []]));
  for (let i = 0; i < REPEATS; i++) {
    for (const system of i % 2 === 0 ? job.systems : [...job.systems].reverse()) {
      const run = await system.run();
      if (run.checksum !== expected) throw new Error(`${job.name}, ${system.name}: checksum ${run.checksum}, expected ${expected}`);
      seconds.get(system.name)!.push(run.seconds);
    }
  }
  const rates = job.systems.map((s) => ({ system: s.name, rate: mbPerSec(job.bytes, median(seconds.get(s.name)!)) }));
  const hand = rates[0]!.rate;
  return rates.map(({ system, rate }, i) => {
    console.log(`${job.name.padEnd(22)} ${system.padEnd(46)} ${rate.toFixed(1).padStart(7)} MB/s${i === 0 ? "" : `  ratio ${(rate / hand).toFixed(2)}`}`);
    return { job: job.name, system, mbPerSec: rate, ratio: i === 0 ? undefined : rate / hand };
  });
}

function report(results: readonly Measured[], facts: { rows: number; csvBytes: number; parquetBytes: number; beamFiles: number; beamBytes: number; pyarrow: string | undefined }): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  return [
    "## File formats: CSV and Parquet (`npm run bench:files`)",
    "",
    `Written by \`npm run bench:files\` (bench/files.ts) on ${new Date().toISOString().slice(0, 10)}. ` +
      `Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)} at the end. Median of ${REPEATS} runs each, systems alternating in one process.`,
    `Input: ${facts.rows.toLocaleString("en-US")} rows (int64, string, double, int32, timestamp, boolean, nullable string with quoting): ` +
      `a CSV file of ${mib(facts.csvBytes)} MiB and a Parquet file of ${mib(facts.parquetBytes)} MiB (hyparquet-writer, snappy, row groups of ${ROW_GROUP.toLocaleString("en-US")}). ` +
      `MB/s is MiB of that file per second for every system of a job (for writes, of the hand-written writer's file); beam-ts includes job start.`,
    `beam-ts's writeParquet without numShards wrote ${facts.beamFiles} files (one per bundle), ${mib(facts.beamBytes)} MiB.`,
    "",
    "| job | system | MB/s | ratio to the hand-written loop |",
    "|---|---|---:|---:|",
    ...results.map((r) => `| ${r.job} | ${r.system} | ${r.mbPerSec.toFixed(1)} | ${r.ratio === undefined ? "1" : r.ratio.toFixed(2)} |`),
    "",
    facts.pyarrow ?? "pyarrow: not measured (Beam Python's venv is not installed: `node tools/runners/python-beam.mjs`).",
    "",
    "Target (issue #19): beam-ts ≥ 0.5 of the hand-written loop. pyarrow decodes into Arrow columns in C++ rather than one JS object per row, so its rows are a reference, not a ratio.",
  ].join("\n");
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-bench-files-"));
  try {
    const csvFile = path.join(dir, "input.csv");
    const parquetFile = path.join(dir, "input.parquet");
    const rows = await writeCsvInput(csvFile, CSV_BYTES);
    const expected = expectedChecksum(rows);
    if (handWriteParquet(parquetFile, rows) !== expected) throw new Error("the generated rows changed between runs");
    const csvBytes = statSync(csvFile).size;
    const parquetBytes = statSync(parquetFile).size;
    console.log(`${rows} rows; CSV ${(csvBytes / 2 ** 20).toFixed(1)} MiB, Parquet ${(parquetBytes / 2 ** 20).toFixed(1)} MiB, in ${dir}`);
    const outDir = path.join(dir, "out");
    let writes = 0;
    let csvWrites = 0;
    const jobs: Job[] = [
      {
        name: "read + parse CSV",
        bytes: csvBytes,
        systems: [
          { name: "hand-written loop (csv-parse stream)", run: () => timed(() => handReadCsv(csvFile)) },
          { name: "beam-ts readCsv (schema, byte-range splits)", run: () => timed(() => beamRead((p) => p.apply(readCsv(csvFile, { schema: BenchRow })))) },
          { name: "beam-ts readCsv (schema, splittable: false)", run: () => timed(() => beamRead((p) => p.apply(readCsv(csvFile, { schema: BenchRow, splittable: false })))) },
        ],
      },
      {
        name: "write CSV",
        bytes: csvBytes,
        systems: [
          { name: "hand-written loop (csv-stringify stream)", run: () => timed(() => handWriteCsv(path.join(dir, "hand.csv"), rows)) },
          { name: "beam-ts writeCsv (a file per bundle)", run: () => timed(() => beamWriteCsv(path.join(outDir, `csv-${csvWrites++}`), rows)) },
          { name: "beam-ts writeCsv (numShards: 1)", run: () => timed(() => beamWriteCsv(path.join(outDir, `csv1-${csvWrites++}`), rows, 1)) },
        ],
      },
      {
        name: "read Parquet",
        bytes: parquetBytes,
        systems: [
          { name: "hand-written loop (hyparquet parquetReadObjects)", run: () => timed(() => handReadParquet(parquetFile, rows)) },
          { name: "beam-ts readParquet", run: () => timed(() => beamRead((p) => p.apply(readParquet(parquetFile)))) },
        ],
      },
      {
        name: "write Parquet",
        bytes: parquetBytes,
        systems: [
          { name: "hand-written loop (hyparquet-writer)", run: () => timed(async () => handWriteParquet(path.join(dir, "hand.parquet"), rows)) },
          { name: "beam-ts writeParquet (a file per bundle)", run: () => timed(() => beamWriteParquet(path.join(outDir, `beam-${writes++}`), rows)) },
          { name: "beam-ts writeParquet (numShards: 1)", run: () => timed(() => beamWriteParquet(path.join(outDir, `shard-${writes++}`), rows, 1)) },
        ],
      },
    ];
    const results: Measured[] = [];
    for (const job of jobs) {
      if (ONLY === undefined || ONLY.some((name) => job.name.toLowerCase().includes(name))) results.push(...(await measure(job, expected)));
    }
    if (csvWrites > 0) {
      await checkCsvOutput(outDir, "csv-0-", csvBytes);
      await checkCsvOutput(outDir, "csv1-1-", csvBytes);
      if (statSync(path.join(dir, "hand.csv")).size !== csvBytes) throw new Error("csv-stringify wrote a file of another size than the input");
    }
    const written = writes > 0 ? await parquetOutput(outDir, "beam-0-") : { files: 0, bytes: 0, checksum: expected };
    if (written.checksum !== expected) throw new Error(`writeParquet's files hold ${written.checksum}, expected ${expected}`);
    if (ONLY !== undefined) return; // a partial run: printed, not written to RESULTS.md
    const pyarrow = runPyarrow(csvFile, parquetFile, dir, { csvBytes, parquetBytes });
    writeSection(
      path.join(import.meta.dirname, "RESULTS.md"),
      "files",
      report(results, { rows, csvBytes, parquetBytes, beamFiles: written.files, beamBytes: written.bytes, pyarrow }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pyarrow's MB/s on the same files, as a Markdown line, or undefined without Beam Python's venv. */
function runPyarrow(csvFile: string, parquetFile: string, dir: string, sizes: { csvBytes: number; parquetBytes: number }): string | undefined {
  const python = pythonWithPyarrow();
  if (python === undefined) return undefined;
  const out = execFileSync(python, [path.join(import.meta.dirname, "files-pyarrow.py"), csvFile, parquetFile, dir, String(REPEATS)], { encoding: "utf8" });
  const r = JSON.parse(out) as Record<string, { seconds: number; rows: number }>;
  const rate = (key: string, bytes: number) => mbPerSec(bytes, r[key]!.seconds).toFixed(1);
  const version = execFileSync(python, ["-c", "import pyarrow; print(pyarrow.__version__)"], { encoding: "utf8" }).trim();
  const line =
    `pyarrow ${version} (Beam Python's venv), same files, same run: read CSV ${rate("csvRead_1thread", sizes.csvBytes)} MB/s on one thread, ` +
    `${rate("csvRead_threads", sizes.csvBytes)} with its thread pool; read Parquet ${rate("parquetRead_1thread", sizes.parquetBytes)} / ${rate("parquetRead_threads", sizes.parquetBytes)}; ` +
    `write Parquet (snappy, from a table already in memory) ${rate("parquetWrite_1thread", sizes.parquetBytes)}.`;
  console.log(line);
  return line;
}

await main();
