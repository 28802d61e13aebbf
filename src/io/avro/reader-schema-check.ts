import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, type Dirent } from "node:fs";
import path from "node:path";
import { ConstructionError } from "../../model/index.js";
import type { DoFn, ProcessContext } from "../../transforms/index.js";
import { globMatcher, schemeOf } from "../filesystems/index.js";
import { AvroFile } from "./avro-file.js";
import { AvroIOError, messageOf } from "./avro-io-error.js";
import { FormatError, parseHeader } from "./container-format.js";
import type { AvroFileRef } from "./read-avro-fn.js";
import { checkReaderWriterCompatibility, type SchemaIncompatibility, type SchemaIncompatibilityType } from "./schema-compatibility.js";

/**
 * readAvro's refusal of a reader schema that cannot read a file (the rule of issue #18: an
 * incompatible schema change is refused before the job reads data, naming the field and both
 * types). It is checked three times, with one message: at construction for the local files
 * the pattern matches then, by a step that reads every matched file's header before the
 * first record is read (`CheckReaderSchemaDoFn`, whose output the reading step waits for),
 * and by the reader itself for each writer schema it meets.
 */

const FIXES: Readonly<Record<SchemaIncompatibilityType, string>> = {
  READER_FIELD_MISSING_DEFAULT_VALUE: `give the reader field a "default", or if the field was renamed, list the writer's name in its "aliases"`,
  TYPE_MISMATCH: "declare the writer's type in the reader schema, or a type it widens to (int → long → float → double, string ↔ bytes)",
  MISSING_UNION_BRANCH: "add a branch of the writer's type to the reader union",
  MISSING_ENUM_SYMBOLS: `add the symbols to the reader enum, or give it a "default" symbol`,
  NAME_MISMATCH: `name the reader type as the writer does, or list the writer's full name in its "aliases"`,
  FIXED_SIZE_MISMATCH: "declare the writer's size",
};

/** One incompatibility as a sentence: the field, both types, the kind, the fix. */
function describeIncompatibility(i: SchemaIncompatibility): string {
  const where = i.field === "" ? "the top-level type" : `field "${i.field}"`;
  const writer = i.writerType === "(absent)" ? "absent from the file's writer schema" : `${i.writerType} in the file's writer schema`;
  return `${where} is ${writer} and ${i.readerType} in the reader schema (${i.type}: ${i.detail}); fix: ${FIXES[i.type]}`;
}

/** The refusal of reading `file` (writer schema `writer`) with `reader`, or undefined when it can. */
export function readerSchemaRefusal(file: string, writer: unknown, reader: unknown): string | undefined {
  let found: SchemaIncompatibility[];
  try {
    found = checkReaderWriterCompatibility(reader, writer);
  } catch (err) {
    return `readAvro: cannot compare the reader schema with the writer schema of "${file}": ${messageOf(err)}. Check that both are valid Avro schemas.`;
  }
  if (found.length === 0) return undefined;
  return (
    `readAvro: the reader schema cannot read "${file}" (Avro schema resolution, as Avro's SchemaCompatibility): ` +
    found.map(describeIncompatibility).join("; ") +
    `. Or leave readerSchema out to read the file with its own schema.`
  );
}

/** At most this many directory entries are walked at construction; a larger tree is checked when the job runs. */
const MAX_WALK = 10_000;

/**
 * The local files `pattern` matches now, without a walk over more than MAX_WALK entries;
 * undefined when it cannot tell cheaply (another scheme, a larger tree).
 */
function localMatches(pattern: string): string[] | undefined {
  if (schemeOf(pattern) !== "file") return undefined;
  const local = pattern.startsWith("file://") ? pattern.slice("file://".length) : pattern;
  const m = globMatcher(local);
  if (m.literalPath !== undefined) return existsSync(m.literalPath) && statSync(m.literalPath).isFile() ? [m.literalPath] : [];
  const slash = m.literalPrefix.lastIndexOf("/");
  const base = slash < 0 ? "." : m.literalPrefix.slice(0, slash) || "/";
  if (!existsSync(base) || !statSync(base).isDirectory()) return [];
  const files: string[] = [];
  const dirs = [base];
  let walked = 0;
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable directories are skipped, as the run-time match skips them
    }
    walked += entries.length;
    if (walked > MAX_WALK) return undefined;
    for (const e of entries) {
      const p = slash < 0 && dir === "." ? e.name : path.posix.join(dir, e.name);
      if (e.isDirectory()) dirs.push(p);
      else if (m.matches(p) && (e.isFile() || (e.isSymbolicLink() && statSync(p, { throwIfNoEntry: false })?.isFile() === true))) files.push(p);
    }
  }
  return files.sort();
}

/** A local file's Avro writer schema, reading only its header; undefined when it is not readable Avro (the job reports that). */
function localWriterSchema(file: string): unknown {
  const fd = openSync(file, "r");
  try {
    for (let want = 4096; ; want *= 4) {
      const buf = Buffer.alloc(want);
      const n = readSync(fd, buf, 0, want, 0);
      try {
        return parseHeader(buf.subarray(0, n)).schema;
      } catch (err) {
        if (!(err instanceof FormatError && err.truncated && n === want)) return undefined;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks `reader` against the header of every local file `pattern` matches at construction;
 * a ConstructionError with the refusal of the first file it cannot read.
 */
export function checkReaderSchemaAtConstruction(pattern: string, reader: unknown): void {
  for (const file of localMatches(pattern) ?? []) {
    let writer: unknown;
    try {
      writer = localWriterSchema(file);
    } catch {
      continue; // unreadable now: the job reports it with the file system's error
    }
    if (writer === undefined) continue;
    const refusal = readerSchemaRefusal(file, writer, reader);
    if (refusal !== undefined) throw new ConstructionError(refusal);
  }
}

/**
 * Reads the header of each matched file and fails the job when the reader schema cannot read
 * it. Its output (nothing) is the side input the reading step waits for: no record of any
 * file is read before every file's schema was checked.
 */
export class CheckReaderSchemaDoFn implements DoFn<AvroFileRef, never> {
  constructor(readonly readerSchema: unknown) {}
  async process(file: AvroFileRef, _ctx: ProcessContext<never>): Promise<void> {
    let avro: AvroFile;
    try {
      avro = await AvroFile.open(file.path);
    } catch {
      return; // not Avro, or unreadable: the reader fails naming the file and the problem
    }
    try {
      const refusal = readerSchemaRefusal(file.path, avro.header.schema, this.readerSchema);
      if (refusal !== undefined) throw new AvroIOError(refusal, { retryable: false });
    } finally {
      await avro.close();
    }
  }
}
