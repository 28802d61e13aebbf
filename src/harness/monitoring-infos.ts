import { BufferReader, BufferWriter } from "../coders/index.js";
import { MetricsContainer } from "../metrics/index.js";
import type { PipelineGraph } from "../pipeline/index.js";
import type { MonitoringInfo } from "../proto/org/apache/beam/model/pipeline/v1/metrics.js";
import type { ProcessBundleDescriptor } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";

/**
 * User metrics as Beam's MonitoringInfos (metrics.proto): what a harness reports for a
 * bundle, and what a job service's GetJobMetrics answers with.
 *
 * | cell          | urn                                        | type (payload)                                    |
 * |---------------|--------------------------------------------|---------------------------------------------------|
 * | counter       | beam:metric:user:sum_int64:v1              | sum_int64: varint                                 |
 * | distribution  | beam:metric:user:distribution_int64:v1     | distribution_int64: varint count, sum, min, max   |
 * | gauge         | beam:metric:user:latest_int64:v1           | latest_int64: varint millis, varint value         |
 * | string set    | beam:metric:user:set_string:v1             | set_string: int32 count, length-prefixed UTF-8    |
 *
 * Values that are not integers go as the `_double` variants (doubles, big-endian);
 * a distribution is int64 whenever its sum, min and max are integers (its summary is then
 * exact). Labels are PTRANSFORM (the transform id), NAMESPACE and NAME.
 */
export const USER_METRIC_URNS = {
  sumInt64: "beam:metric:user:sum_int64:v1",
  sumDouble: "beam:metric:user:sum_double:v1",
  distributionInt64: "beam:metric:user:distribution_int64:v1",
  distributionDouble: "beam:metric:user:distribution_double:v1",
  latestInt64: "beam:metric:user:latest_int64:v1",
  latestDouble: "beam:metric:user:latest_double:v1",
  setString: "beam:metric:user:set_string:v1",
} as const;

/** The MonitoringInfo type (encoding and aggregation) of each user metric urn. */
const TYPE_OF: Record<string, string> = {
  [USER_METRIC_URNS.sumInt64]: "beam:metrics:sum_int64:v1",
  [USER_METRIC_URNS.sumDouble]: "beam:metrics:sum_double:v1",
  [USER_METRIC_URNS.distributionInt64]: "beam:metrics:distribution_int64:v1",
  [USER_METRIC_URNS.distributionDouble]: "beam:metrics:distribution_double:v1",
  [USER_METRIC_URNS.latestInt64]: "beam:metrics:latest_int64:v1",
  [USER_METRIC_URNS.latestDouble]: "beam:metrics:latest_double:v1",
  [USER_METRIC_URNS.setString]: "beam:metrics:set_string:v1",
};

/** One metric value with what identifies it: urn, transform id, namespace, name. */
export interface UserMetricPayload {
  readonly urn: string;
  readonly transformId: string;
  readonly namespace: string;
  readonly name: string;
  readonly payload: Uint8Array;
}

const isInt = (n: number) => Number.isSafeInteger(n);

/** Encodes the cells of containers; `transformIdOf` gives the transform id of a container's step. */
export function encodeUserMetrics(containers: readonly MetricsContainer[], transformIdOf: (step: string) => string): UserMetricPayload[] {
  const out: UserMetricPayload[] = [];
  for (const c of containers) {
    const transformId = transformIdOf(c.step);
    const add = (urn: string, namespace: string, name: string, write: (w: BufferWriter) => void) => {
      const w = new BufferWriter(32);
      write(w);
      out.push({ urn, transformId, namespace, name, payload: w.finish() });
    };
    for (const { namespace, name, cell } of c.counters.values()) {
      if (isInt(cell.value)) add(USER_METRIC_URNS.sumInt64, namespace, name, (w) => w.writeVarInt(cell.value));
      else add(USER_METRIC_URNS.sumDouble, namespace, name, (w) => w.writeDoubleBE(cell.value));
    }
    for (const { namespace, name, cell } of c.distributions.values()) {
      if (cell.count === 0) continue;
      const ints = isInt(cell.sum) && isInt(cell.min) && isInt(cell.max);
      add(ints ? USER_METRIC_URNS.distributionInt64 : USER_METRIC_URNS.distributionDouble, namespace, name, (w) => {
        w.writeVarInt(cell.count);
        for (const v of [cell.sum, cell.min, cell.max]) {
          if (ints) w.writeVarInt(v);
          else w.writeDoubleBE(v);
        }
      });
    }
    for (const { namespace, name, cell } of c.gauges.values()) {
      if (cell.timestamp === -Infinity) continue;
      const ints = isInt(cell.value);
      add(ints ? USER_METRIC_URNS.latestInt64 : USER_METRIC_URNS.latestDouble, namespace, name, (w) => {
        w.writeVarInt(Math.round(cell.timestamp));
        if (ints) w.writeVarInt(cell.value);
        else w.writeDoubleBE(cell.value);
      });
    }
    for (const { namespace, name, cell } of c.stringSets.values()) {
      add(USER_METRIC_URNS.setString, namespace, name, (w) => {
        // Beam's iterable coder of known length: int32 count, then each element nested.
        w.writeInt32BE(cell.values.size);
        for (const v of cell.values) w.writeUtf8(v, true);
      });
    }
  }
  return out;
}

/** The full MonitoringInfo of an encoded metric (ProcessBundleResponse.monitoring_infos). */
export function toMonitoringInfo(m: UserMetricPayload): MonitoringInfo {
  return { urn: m.urn, type: TYPE_OF[m.urn]!, payload: Buffer.from(m.payload), labels: labelsOf(m), startTime: undefined };
}

function labelsOf(m: Pick<UserMetricPayload, "transformId" | "namespace" | "name">): Record<string, string> {
  return { PTRANSFORM: m.transformId, NAMESPACE: m.namespace, NAME: m.name };
}

/**
 * Short ids (ProcessBundleResponse.monitoring_data) describe their metric themselves, so
 * any harness of the job can answer a MonitoringInfosMetadata request for any of them,
 * whichever worker reported it first.
 */
const SHORT_ID_PREFIX = "beam-ts/user/";

export function shortIdOf(m: Pick<UserMetricPayload, "urn" | "transformId" | "namespace" | "name">): string {
  return SHORT_ID_PREFIX + JSON.stringify([m.urn, m.transformId, m.namespace, m.name]);
}

/** The MonitoringInfo (without payload) a short id of `shortIdOf` stands for, if it is one. */
export function userMetricOfShortId(shortId: string): MonitoringInfo | undefined {
  if (!shortId.startsWith(SHORT_ID_PREFIX)) return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(shortId.slice(SHORT_ID_PREFIX.length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === "string")) return undefined;
  const [urn, transformId, namespace, name] = parts as string[];
  const type = TYPE_OF[urn!];
  if (type === undefined) return undefined;
  return { urn: urn!, type, payload: Buffer.alloc(0), labels: labelsOf({ transformId: transformId!, namespace: namespace!, name: name! }), startTime: undefined };
}

/** What a ProcessBundleResponse or ProcessBundleProgressResponse carries for user metrics. */
export function bundleMonitoring(containers: readonly MetricsContainer[], transformIdOf: (step: string) => string) {
  const encoded = encodeUserMetrics(containers, transformIdOf);
  const monitoringData: Record<string, Buffer> = {};
  for (const m of encoded) monitoringData[shortIdOf(m)] = Buffer.from(m.payload);
  return { monitoringInfos: encoded.map(toMonitoringInfo), monitoringData };
}

/**
 * Adds user-metric MonitoringInfos (e.g. GetJobMetrics' committed list) to containers per
 * step; `stepOf` maps a PTRANSFORM label to the step name. Other urns are skipped.
 */
export function decodeUserMetrics(infos: readonly MonitoringInfo[], stepOf: (transformId: string) => string): MetricsContainer[] {
  const containers = new Map<string, MetricsContainer>();
  for (const info of infos) {
    const namespace = info.labels["NAMESPACE"];
    const name = info.labels["NAME"];
    const transformId = info.labels["PTRANSFORM"];
    if (namespace === undefined || name === undefined || transformId === undefined) continue;
    const step = stepOf(transformId);
    let c = containers.get(step);
    if (c === undefined) containers.set(step, (c = new MetricsContainer(step)));
    decodeInto(c, info.urn, namespace, name, info.payload);
  }
  return [...containers.values()];
}

function decodeInto(c: MetricsContainer, urn: string, namespace: string, name: string, payload: Uint8Array): void {
  const r = new BufferReader(payload);
  const int = () => Number(r.readVarBigInt());
  switch (urn) {
    case USER_METRIC_URNS.sumInt64:
      c.counter(namespace, name).inc(int());
      return;
    case USER_METRIC_URNS.sumDouble:
      c.counter(namespace, name).inc(r.readDoubleBE());
      return;
    case USER_METRIC_URNS.distributionInt64:
    case USER_METRIC_URNS.distributionDouble: {
      const count = int();
      if (count === 0) return;
      const num = urn === USER_METRIC_URNS.distributionInt64 ? int : () => r.readDoubleBE();
      const d = c.distribution(namespace, name);
      const sum = num();
      const min = num();
      const max = num();
      d.count += count;
      d.sum += sum;
      d.min = Math.min(d.min, min);
      d.max = Math.max(d.max, max);
      return;
    }
    case USER_METRIC_URNS.latestInt64:
    case USER_METRIC_URNS.latestDouble: {
      const timestamp = int();
      const value = urn === USER_METRIC_URNS.latestInt64 ? int() : r.readDoubleBE();
      const g = c.gauge(namespace, name);
      if (timestamp >= g.timestamp) {
        g.value = value;
        g.timestamp = timestamp;
      }
      return;
    }
    case USER_METRIC_URNS.setString: {
      const s = c.stringSet(namespace, name);
      const n = r.readInt32BE();
      for (let i = 0; i < n; i++) s.add(r.readUtf8(r.readVarInt()));
      return;
    }
    default:
      return;
  }
}

/**
 * The transform id to report a container's metrics under: the descriptor's transform with
 * that unique name, else the pipeline's transform with that full label (steps a runner
 * expanded, such as a splittable ParDo's, keep the original ParDo's name), else the name.
 */
export function transformIdsOf(descriptor: ProcessBundleDescriptor, graph: PipelineGraph): (step: string) => string {
  const ids = new Map<string, string>();
  for (const [id, t] of Object.entries(descriptor.transforms)) if (!ids.has(t.uniqueName)) ids.set(t.uniqueName, id);
  return (step) => {
    const known = ids.get(step);
    if (known !== undefined) return known;
    for (const [id, t] of graph.transforms) {
      if (t.fullLabel === step) {
        ids.set(step, id);
        return id;
      }
    }
    return step;
  };
}
