import type { TimestampTransform, Trigger } from "../../model/index.js";
import { validateTrigger } from "../../model/index.js";

/**
 * A trigger definition compiled into a tree with indexes, like Beam Java's
 * ExecutableTriggerStateMachine: each node has a pre-order `index` (its finished bit) and the
 * first index after its subtree (`end`), so resetting a subtree's finished bits is a range
 * write. Leaves that keep a value (a count, a delayed-until time) own one `slot` in the
 * state's value array.
 */
export interface TriggerNode {
  readonly kind: Trigger["kind"];
  readonly index: number;
  readonly end: number;
  /** Index into TriggerState.values, or -1. */
  readonly slot: number;
  readonly children: readonly TriggerNode[];
  /** afterCount: the element count. */
  readonly count: number;
  /** afterProcessingTime: the timestamp transforms, in order. */
  readonly transforms: readonly TimestampTransform[];
  /** afterWatermark with early or late firings (Java's AfterWatermarkEarlyAndLate): children are [early, late?]. */
  readonly earlyAndLate: boolean;
  /** afterWatermark with late firings: children[1] is the late trigger. */
  readonly hasLate: boolean;
}

/** A compiled trigger: the root node and the initial contents of a state's arrays. */
export interface ExecutableTrigger {
  readonly root: TriggerNode;
  readonly size: number;
  readonly initialValues: readonly (number | null)[];
}

const NEVER: Trigger = { kind: "never" };
const NO_TRANSFORMS: readonly TimestampTransform[] = [];

/** Validates `trigger` (throws ConstructionError as Beam would) and compiles it. */
export function compileTrigger(trigger: Trigger): ExecutableTrigger {
  validateTrigger(trigger);
  const values: (number | null)[] = [];
  let next = 0;
  const build = (t: Trigger): TriggerNode => {
    const index = next++;
    let slot = -1;
    let children: TriggerNode[] = [];
    let earlyAndLate = false;
    let hasLate = false;
    switch (t.kind) {
      case "afterCount":
        slot = values.push(0) - 1;
        break;
      case "afterProcessingTime":
      case "afterSynchronizedProcessingTime":
        slot = values.push(null) - 1;
        break;
      case "afterWatermark":
        if (t.early !== undefined || t.late !== undefined) {
          // Java: withLateFirings alone uses Never.ever() as the early trigger.
          earlyAndLate = true;
          children = [build(t.early ?? NEVER)];
          if (t.late !== undefined) {
            hasLate = true;
            children.push(build(t.late));
          }
        }
        break;
      case "repeatedly":
        children = [build(t.trigger)];
        break;
      case "afterEach":
      case "afterFirst":
      case "afterAll":
        children = t.triggers.map(build);
        break;
      case "orFinally":
        children = [build(t.main), build(t.until)];
        break;
      case "default":
      case "never":
        break;
    }
    return {
      kind: t.kind,
      index,
      end: next,
      slot,
      children,
      count: t.kind === "afterCount" ? t.count : 0,
      transforms: t.kind === "afterProcessingTime" ? t.transforms : NO_TRANSFORMS,
      earlyAndLate,
      hasLate,
    };
  };
  const root = build(trigger);
  return { root, size: next, initialValues: values };
}

/**
 * Maps the processing time of a pane's first element to the time the trigger waits for:
 * Java's DelayFn (add) and AlignFn (round up to the next multiple of period since offset,
 * with Java's `%`, which JS shares: remainders keep the dividend's sign).
 */
export function targetTime(transforms: readonly TimestampTransform[], time: number): number {
  let result = time;
  for (let i = 0; i < transforms.length; i++) {
    const tr = transforms[i]!;
    if ("delay" in tr) {
      result += tr.delay;
    } else {
      const since = (result - tr.alignTo.offset) % tr.alignTo.period;
      if (since !== 0) result = result + tr.alignTo.period - since;
    }
  }
  return result;
}
