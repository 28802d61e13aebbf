import type { Trigger } from "../../model/index.js";
import { UnsupportedFeatureError } from "../../model/index.js";
import type {
  TimestampTransform as ProtoTimestampTransform,
  Trigger as ProtoTrigger,
} from "../../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";

/** A beam-ts trigger as Beam's Trigger proto (beam_runner_api.proto). */
export function triggerToProto(t: Trigger): ProtoTrigger {
  switch (t.kind) {
    case "default":
      return { trigger: { $case: "default", default: {} } };
    case "never":
      return { trigger: { $case: "never", never: {} } };
    case "afterWatermark":
      return {
        trigger: {
          $case: "afterEndOfWindow",
          afterEndOfWindow: {
            ...(t.early !== undefined ? { earlyFirings: triggerToProto(t.early) } : {}),
            ...(t.late !== undefined ? { lateFirings: triggerToProto(t.late) } : {}),
          },
        },
      };
    case "afterProcessingTime":
      return {
        trigger: {
          $case: "afterProcessingTime",
          afterProcessingTime: { timestampTransforms: t.transforms.map(timestampTransformToProto) },
        },
      };
    case "afterSynchronizedProcessingTime":
      return { trigger: { $case: "afterSynchronizedProcessingTime", afterSynchronizedProcessingTime: {} } };
    case "afterCount":
      return { trigger: { $case: "elementCount", elementCount: { elementCount: t.count } } };
    case "repeatedly":
      return { trigger: { $case: "repeat", repeat: { subtrigger: triggerToProto(t.trigger) } } };
    case "afterEach":
      return { trigger: { $case: "afterEach", afterEach: { subtriggers: t.triggers.map(triggerToProto) } } };
    case "afterFirst":
      return { trigger: { $case: "afterAny", afterAny: { subtriggers: t.triggers.map(triggerToProto) } } };
    case "afterAll":
      return { trigger: { $case: "afterAll", afterAll: { subtriggers: t.triggers.map(triggerToProto) } } };
    case "orFinally":
      return { trigger: { $case: "orFinally", orFinally: { main: triggerToProto(t.main), finally: triggerToProto(t.until) } } };
  }
}

function timestampTransformToProto(tt: { readonly delay: number } | { readonly alignTo: { readonly period: number; readonly offset: number } }): ProtoTimestampTransform {
  if ("delay" in tt) return { timestampTransform: { $case: "delay", delay: { delayMillis: BigInt(tt.delay) } } };
  return { timestampTransform: { $case: "alignTo", alignTo: { period: BigInt(tt.alignTo.period), offset: BigInt(tt.alignTo.offset) } } };
}

/** Beam's Trigger proto as a beam-ts trigger. */
export function triggerFromProto(p: ProtoTrigger | undefined): Trigger {
  const t = p?.trigger;
  if (t === undefined) return { kind: "default" };
  switch (t.$case) {
    case "default":
      return { kind: "default" };
    case "never":
      return { kind: "never" };
    case "afterEndOfWindow": {
      const { earlyFirings, lateFirings } = t.afterEndOfWindow;
      return {
        kind: "afterWatermark",
        ...(earlyFirings !== undefined ? { early: triggerFromProto(earlyFirings) } : {}),
        ...(lateFirings !== undefined ? { late: triggerFromProto(lateFirings) } : {}),
      };
    }
    case "afterProcessingTime":
      return {
        kind: "afterProcessingTime",
        transforms: t.afterProcessingTime.timestampTransforms.map((tt) => {
          const x = tt.timestampTransform;
          if (x?.$case === "delay") return { delay: Number(x.delay.delayMillis) };
          if (x?.$case === "alignTo") return { alignTo: { period: Number(x.alignTo.period), offset: Number(x.alignTo.offset) } };
          throw new UnsupportedFeatureError("timestamp transform", "An empty timestamp transform in an AfterProcessingTime trigger.");
        }),
      };
    case "afterSynchronizedProcessingTime":
      return { kind: "afterSynchronizedProcessingTime" };
    case "elementCount":
      return { kind: "afterCount", count: t.elementCount.elementCount };
    case "repeat":
      return { kind: "repeatedly", trigger: triggerFromProto(t.repeat.subtrigger) };
    case "afterEach":
      return { kind: "afterEach", triggers: t.afterEach.subtriggers.map(triggerFromProto) };
    case "afterAny":
      return { kind: "afterFirst", triggers: t.afterAny.subtriggers.map(triggerFromProto) };
    case "afterAll":
      return { kind: "afterAll", triggers: t.afterAll.subtriggers.map(triggerFromProto) };
    case "orFinally":
      return { kind: "orFinally", main: triggerFromProto(t.orFinally.main), until: triggerFromProto(t.orFinally.finally) };
    case "always":
      throw new UnsupportedFeatureError("beam:trigger:always", "Beam's Always trigger is not supported by beam-ts.");
  }
}
