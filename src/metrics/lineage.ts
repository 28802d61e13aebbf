import { resolve } from "node:path";
import { MetricsEnvironment } from "./environment.js";
import type { MetricResults } from "./results.js";

/**
 * Lineage: the datasets a job reads and writes, reported by connectors from inside their
 * DoFns and collected per job like metrics. As Beam's org.apache.beam.sdk.metrics.Lineage,
 * each dataset is a fully-qualified name (FQN) `system:[subtype:]segment.segment...`
 * (Dataplex's naming: `bigquery:project.dataset.table`, `postgres:host:5432.db.schema.table`),
 * recorded as the string-set metrics `lineage/sources` and `lineage/sinks` of the step that
 * read or wrote. Being metrics, lineage crosses worker threads and portable runners'
 * monitoring the same way counters do, and `result.lineage()` reads it back.
 *
 * @example
 * // in a DoFn that opens a file:
 * Lineage.read("filesystem", ["localhost", "/data/in.txt"]);
 */

/** The metrics namespace of lineage (Beam's Lineage.LINEAGE_NAMESPACE). */
export const LINEAGE_NAMESPACE = "lineage";

/** Beam's metric names: `sources` (inputs, and side inputs) and `sinks` (outputs). */
export type LineageDirection = "sources" | "sinks";

/** Characters that make a segment need backticks: backtick, colon, whitespace and dot. */
const RESERVED = /[:\s.`]/;

/** A segment as an FQN holds it: backticks doubled, and the whole wrapped in backticks when it holds a reserved character. */
export function wrapSegment(value: string): string {
  const escaped = value.replace(/`/g, "``");
  return RESERVED.test(escaped) ? `\`${escaped}\`` : escaped;
}

/**
 * The FQN of a dataset: `system:`, `subtype:` when given, then the segments joined by dots,
 * each wrapped as needed: `lineageName("filesystem", ["localhost", "/tmp/a.txt"])` is
 * ``filesystem:localhost.`/tmp/a.txt` `` as Beam's local file system reports it.
 */
export function lineageName(system: string, segments: readonly string[], subtype?: string): string {
  return `${system}:${subtype === undefined ? "" : `${subtype}:`}${segments.map(wrapSegment).join(".")}`;
}

/** The parts of an FQN `lineageName` made: its system, subtype (when there are three parts) and unwrapped segments. */
export function parseLineageName(fqn: string): { readonly system: string; readonly subtype?: string; readonly segments: readonly string[] } {
  const heads: string[] = [];
  let i = 0;
  // System and subtype never hold backticks; the first colon inside backticks belongs to a segment.
  for (;;) {
    const colon = fqn.indexOf(":", i);
    const tick = fqn.indexOf("`", i);
    if (colon < 0 || (tick >= 0 && tick < colon) || heads.length === 2) break;
    heads.push(fqn.slice(i, colon));
    i = colon + 1;
  }
  const segments: string[] = [];
  let current = "";
  let quoted = false;
  for (; i < fqn.length; i++) {
    const c = fqn[i]!;
    if (quoted) {
      if (c === "`" && fqn[i + 1] === "`") {
        current += "`";
        i++;
      } else if (c === "`") quoted = false;
      else current += c;
    } else if (c === "`") quoted = true;
    else if (c === ".") {
      segments.push(current);
      current = "";
    } else current += c;
  }
  segments.push(current);
  const [system = "", subtype] = heads;
  return { system, ...(subtype !== undefined ? { subtype } : {}), segments };
}

function record(direction: LineageDirection, fqn: string): void {
  MetricsEnvironment.current()?.stringSet(LINEAGE_NAMESPACE, direction).add(fqn);
}

/** Reporting and reading lineage. Calls outside a running DoFn record nothing, as the Metrics API. */
export const Lineage = {
  /** Records that the running step read the dataset `system` + `segments` (see `lineageName`). */
  read(system: string, segments: readonly string[]): void {
    record("sources", lineageName(system, segments));
  },
  /** Records that the running step wrote the dataset `system` + `segments`. */
  write(system: string, segments: readonly string[]): void {
    record("sinks", lineageName(system, segments));
  },
  /** Records an FQN built already (with `lineageName`). */
  add(direction: LineageDirection, fqn: string): void {
    record(direction, fqn);
  },
  /**
   * The FQNs a job recorded in `direction`, sorted: attempted values, as Beam's query does
   * (a dataset a failed bundle touched was still touched).
   */
  query(results: MetricResults, direction: LineageDirection): string[] {
    const out = new Set<string>();
    for (const r of results.queryMetrics({ namespace: LINEAGE_NAMESPACE, name: direction }).stringSets) {
      for (const v of r.attempted) out.add(v);
    }
    return [...out].sort();
  },
};

/** A file path as lineage: Beam's local file system reports `filesystem:localhost` and the path. */
export function fileLineage(direction: LineageDirection, path: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(\/.*)?$/i.exec(path);
  if (scheme !== null) {
    // An object store: `s3:bucket.key/with/slashes`, `gcs:bucket.key`.
    const system = scheme[1]!.toLowerCase() === "gs" ? "gcs" : scheme[1]!.toLowerCase();
    record(direction, lineageName(system, [scheme[2]!, (scheme[3] ?? "/").slice(1)]));
    return;
  }
  record(direction, lineageName("filesystem", ["localhost", resolve(path)]));
}
