import { randomUUID } from "node:crypto";
import { appendFile } from "node:fs/promises";
import { parseLineageName } from "../metrics/index.js";
import type { JobSnapshot } from "../pipeline/index.js";

/** The OpenLineage spec version whose RunEvent these events follow. */
const SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent";
const PRODUCER = "https://github.com/apache/beam/tree/master/sdks/typescript#beam-ts";

/** OpenLineage's run states this job reports. */
export type RunEventType = "START" | "COMPLETE" | "FAIL" | "ABORT";

/** A dataset as OpenLineage names it: a namespace (where) and a name (what). */
export interface OpenLineageDataset {
  readonly namespace: string;
  readonly name: string;
}

/** An OpenLineage RunEvent (the parts this job fills). */
export interface RunEvent {
  readonly eventType: RunEventType;
  readonly eventTime: string;
  readonly run: { readonly runId: string };
  readonly job: { readonly namespace: string; readonly name: string };
  readonly inputs: readonly OpenLineageDataset[];
  readonly outputs: readonly OpenLineageDataset[];
  readonly producer: string;
  readonly schemaURL: string;
}

/**
 * A Beam lineage FQN as an OpenLineage dataset, by OpenLineage's naming conventions:
 * local files `file` + absolute path, object stores `s3://bucket` / `gs://bucket` + key,
 * PostgreSQL `postgres://host:port` + `db.schema.table`, Kafka `kafka://bootstrap` + topic,
 * Redis `redis://host:port` + key. Other systems keep their FQN parts.
 */
export function datasetOf(fqn: string): OpenLineageDataset {
  const { system, segments } = parseLineageName(fqn);
  const [first = "", ...rest] = segments;
  switch (system) {
    case "filesystem":
      return { namespace: "file", name: rest.join(".") || first };
    case "s3":
    case "gcs":
      return { namespace: `${system === "gcs" ? "gs" : "s3"}://${first}`, name: rest.join(".") };
    case "postgres":
    case "kafka":
    case "redis":
      return { namespace: `${system}://${first}`, name: rest.join(".") };
    default:
      return { namespace: system, name: segments.join(".") };
  }
}

/** Builds a job's run events: one run id for its START and its end. */
export class RunEvents {
  readonly runId = randomUUID();

  constructor(private readonly namespace = "beam-ts") {}

  event(type: RunEventType, snap: JobSnapshot, at = new Date()): RunEvent {
    return {
      eventType: type,
      eventTime: at.toISOString(),
      run: { runId: this.runId },
      job: { namespace: this.namespace, name: snap.job.name },
      inputs: snap.lineage.sources.map(datasetOf),
      outputs: snap.lineage.sinks.map(datasetOf),
      producer: PRODUCER,
      schemaURL: SCHEMA_URL,
    };
  }
}

/** Where run events go: a file (one JSON per line, appended) and/or an HTTP endpoint (POST, as Marquez's /api/v1/lineage takes them). */
export interface LineageTargets {
  readonly file?: string;
  readonly url?: string;
}

/** Sends one event to every target; a target that fails is reported on stderr, never failing the job. */
export async function emitRunEvent(event: RunEvent, targets: LineageTargets): Promise<void> {
  const body = JSON.stringify(event);
  const sends: Promise<void>[] = [];
  if (targets.file !== undefined) sends.push(appendFile(targets.file, `${body}\n`));
  if (targets.url !== undefined) {
    const url = targets.url;
    sends.push(
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }).then((res) => {
        if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`);
      }),
    );
  }
  const results = await Promise.allSettled(sends);
  for (const r of results) {
    if (r.status === "rejected") process.stderr.write(`beam-ts: OpenLineage event ${event.eventType} not delivered: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}\n`);
  }
}
