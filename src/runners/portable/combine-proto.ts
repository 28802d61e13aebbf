import type { Coder, WindowingStrategy } from "../../model/index.js";
import { jsValueCoder } from "../../coders/index.js";
import type { CombineFn } from "../../transforms/index.js";
import { CombinePayload, type FunctionSpec, type Trigger as ProtoTrigger } from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { BEAM_URNS } from "../../proto/urns.js";
import { triggerToProto } from "./trigger-proto.js";

const COMPOSITES = BEAM_URNS["org.apache.beam.model.pipeline.v1.StandardPTransforms.Composites"];

/**
 * The spec of a Combine.perKey as Beam's `beam:transform:combine_per_key:v1` with a
 * CombinePayload, or undefined when the combine must not be lifted and goes as a plain
 * composite. The CombineFn is never serialized: `fnSpec` names it (beam-ts: the
 * transform's unique name under `beam:combinefn:beam_ts:v1`), and the harness finds it in
 * its pipeline graph. The accumulator coder is the CombineFn's own, else the JS value coder.
 *
 * A runner that lifts (Prism) replaces the composite with precombine → GroupByKey → merge
 * accumulators → extract outputs, whatever the windowing, so the composite is only
 * declared where lifting keeps the meaning: non-merging windows (as the embedded planner
 * decides) and triggers that do not count elements (Beam Python's `lift_combiners` rule: a
 * pre-combined accumulator reaches the trigger as one element).
 */
export function combinePerKeySpec(
  fnSpec: FunctionSpec,
  fn: CombineFn<unknown, unknown, unknown>,
  windowing: WindowingStrategy,
  coderId: (c: Coder<unknown>) => string,
): FunctionSpec | undefined {
  if (windowing.windowFn.isMerging || !liftsWithTrigger(triggerToProto(windowing.trigger))) return undefined;
  const accumulatorCoder = (fn.accumulatorCoder ?? jsValueCoder) as Coder<unknown>;
  const payload = CombinePayload.encode({
    combineFn: fnSpec,
    accumulatorCoderId: coderId(accumulatorCoder),
  }).finish();
  return { urn: COMPOSITES.COMBINE_PER_KEY, payload: Buffer.from(payload) };
}

/** True when a trigger fires the same whether it sees elements or pre-combined accumulators. */
export function liftsWithTrigger(t: ProtoTrigger | undefined): boolean {
  const trigger = t?.trigger;
  if (trigger === undefined) return true;
  switch (trigger.$case) {
    case "default":
    case "always":
    case "never":
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
      return true;
    case "elementCount":
      return trigger.elementCount.elementCount === 1;
    case "afterEndOfWindow":
      return liftsWithTrigger(trigger.afterEndOfWindow.earlyFirings) && liftsWithTrigger(trigger.afterEndOfWindow.lateFirings);
    case "afterAny":
      return trigger.afterAny.subtriggers.every((s) => liftsWithTrigger(s));
    case "repeat":
      return liftsWithTrigger(trigger.repeat.subtrigger);
    default:
      return false;
  }
}
