import { BufferWriter } from "../coders/index.js";
import { BEAM_URNS } from "../proto/urns.js";
import type { MonitoringInfo } from "../proto/org/apache/beam/model/pipeline/v1/metrics.js";
import type { ProcessBundleProgressResponse } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";

/** Beam's monitoring info of a data input's position: the index of the element in process. */
const READ_INDEX_URN = "beam:metric:data_channel:read_index:v1";
const SUM_INT64 = BEAM_URNS["org.apache.beam.model.pipeline.v1.MonitoringInfoTypeUrns.Enum"].SUM_INT64_TYPE;

/** Short ids name their metric themselves, so any harness can describe any of them. */
const READ_INDEX_PREFIX = "beam-ts/read_index/";

/**
 * A ProcessBundleProgressResponse with each data input's read index (Beam's
 * `data_channel:read_index`, as monitoring data under short ids): runners such as Prism
 * compare it between requests and split a bundle whose input does not move.
 */
export function progressResponse(readIndexes: ReadonlyMap<string, number>): ProcessBundleProgressResponse {
  const monitoringData: ProcessBundleProgressResponse["monitoringData"] = {};
  for (const [transformId, index] of readIndexes) {
    const w = new BufferWriter();
    w.writeVarInt(BigInt.asUintN(64, BigInt(index))); // an int64 varint: -1 before the first element
    monitoringData[READ_INDEX_PREFIX + transformId] = Buffer.from(w.finish());
  }
  return { monitoringInfos: [], monitoringData, consumingReceivedData: undefined };
}

/** What the short ids of `progressResponse` stand for (a MonitoringInfosMetadataRequest). */
export function monitoringMetadata(shortIds: readonly string[]): Record<string, MonitoringInfo> {
  const out: Record<string, MonitoringInfo> = {};
  for (const id of shortIds) {
    if (!id.startsWith(READ_INDEX_PREFIX)) continue;
    out[id] = { urn: READ_INDEX_URN, type: SUM_INT64, payload: Buffer.alloc(0), labels: { PTRANSFORM: id.slice(READ_INDEX_PREFIX.length) }, startTime: undefined };
  }
  return out;
}
