import { stringUtf8Coder } from "../../coders/index.js";
import type { BadRecord, DoFn, ProcessContext } from "../../transforms/index.js";

/** What to do with a file or row group that cannot be read. */
export type InvalidDataTreatment = "fail" | "deadLetter";

/** A file (no `rowGroup`: its footer, schema or columns) or one row group that could not be read. */
export interface BadParquetData {
  readonly file: string;
  readonly rowGroup?: number;
  /** First and last row (file-wide, 0-based) of the row group. */
  readonly rows?: readonly [number, number];
  readonly message: string;
}

/** The reading DoFn's output with `invalidData: "deadLetter"`: a row, or what could not be read. */
export type RowOrBadData = { readonly row: Record<string, unknown> } | { readonly bad: BadParquetData };

/**
 * `invalidData: "deadLetter"`: rows go on to the main output; each unreadable file or row
 * group goes to `failures` as a BadRecord of the reading step `step` (the splittable DoFn
 * has one output, so this step splits them). The BadRecord's element is the JSON of
 * BadParquetData (file, row group, rows), UTF-8 encoded.
 */
export class RouteBadDataDoFn implements DoFn<RowOrBadData, Record<string, unknown>, { failures: BadRecord }> {
  constructor(readonly step: string) {}

  process(record: RowOrBadData, ctx: ProcessContext<Record<string, unknown>, { failures: BadRecord }>): void {
    if ("row" in record) {
      ctx.output(record.row);
      return;
    }
    const { bad } = record;
    const json = JSON.stringify(bad);
    const where = bad.rowGroup === undefined ? `the file "${bad.file}"` : `row group ${bad.rowGroup} (rows ${bad.rows?.[0]}..${bad.rows?.[1]}) of "${bad.file}"`;
    ctx.outputTo("failures", {
      step: this.step,
      element: { preview: json, encoded: new TextEncoder().encode(json), coder: stringUtf8Coder.urn },
      error: { type: "ParquetIOError", message: bad.message, stack: "", description: `reading ${where}` },
      window: ctx.window.toString(),
      timestamp: ctx.timestamp,
      attempt: 1,
      failedAt: Date.now(),
    });
  }
}
