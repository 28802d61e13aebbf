import type { WindowedValue } from "../../model/index.js";
import type { Receiver } from "../../runtime/index.js";

/**
 * What one executor tells about its run, as plain data that crosses a thread's port: the
 * raw material of a JobSnapshot (embedded-snapshot.ts). Kept cheap on the hot path: one
 * integer increment per element per PCollection, and per bundle two clock reads.
 */
export interface ExecutorObservation {
  /** Elements each PCollection received so far (attempted: retried bundles count again). */
  readonly pcollections: Readonly<Record<string, number>>;
  readonly stages: readonly StageObservation[];
}

export interface StageObservation {
  readonly label: string;
  /** Full labels of the steps the stage's bundles run, upstream first. */
  readonly steps: readonly string[];
  readonly isSource: boolean;
  readonly inputWatermark: number;
  readonly outputWatermark: number;
  readonly bundles: number;
  readonly elements: number;
  readonly bundleMillis: { readonly count: number; readonly sum: number; readonly min: number; readonly max: number };
  readonly retries: number;
  readonly failures: number;
  readonly done: boolean;
  /** Restriction (or source) work done and left, where the stage can tell. */
  readonly progress?: { readonly completed: number; readonly remaining: number };
}

/**
 * A PCollection's receiver that counts what passes. It forwards the fused fast path
 * (`receiveParts`) when its target has one, so counting never costs an allocation.
 */
export class CountingReceiver implements Receiver {
  count = 0;
  readonly receiveParts: Receiver["receiveParts"];

  constructor(private readonly target: Receiver) {
    const parts = target.receiveParts;
    this.receiveParts =
      parts === undefined
        ? undefined
        : (value, timestamp, windows, pane) => {
            this.count++;
            parts.call(target, value, timestamp, windows, pane);
          };
  }

  receive(wv: WindowedValue<unknown>): void {
    this.count++;
    this.target.receive(wv);
  }
}

/** Bundles of one stage: how many, how long, how many failed. */
export class StageCounters {
  bundles = 0;
  elements = 0;
  retries = 0;
  failures = 0;
  millisCount = 0;
  millisSum = 0;
  millisMin = Infinity;
  millisMax = -Infinity;

  /** A bundle attempt of `elements` that took `millis`; `failed` when it did not commit. */
  bundle(elements: number, millis: number, failed: boolean, retried: boolean): void {
    this.bundles++;
    this.elements += elements;
    this.millisCount++;
    this.millisSum += millis;
    if (millis < this.millisMin) this.millisMin = millis;
    if (millis > this.millisMax) this.millisMax = millis;
    if (failed) this.failures++;
    if (retried) this.retries++;
  }

  get bundleMillis() {
    return { count: this.millisCount, sum: this.millisSum, min: this.millisMin, max: this.millisMax };
  }
}

/**
 * The observations of a job's executors as one: counts add up, and a stage's watermarks
 * are the lowest any executor reports (each runs every stage over its share of the data).
 */
export function mergeObservations(parts: readonly ExecutorObservation[]): ExecutorObservation {
  const pcollections: Record<string, number> = {};
  const stages = new Map<string, StageObservation>();
  for (const part of parts) {
    for (const [pc, n] of Object.entries(part.pcollections)) pcollections[pc] = (pcollections[pc] ?? 0) + n;
    for (const s of part.stages) {
      const prev = stages.get(s.label);
      if (prev === undefined) {
        stages.set(s.label, s);
        continue;
      }
      const progress =
        prev.progress === undefined
          ? s.progress
          : s.progress === undefined
            ? prev.progress
            : { completed: prev.progress.completed + s.progress.completed, remaining: prev.progress.remaining + s.progress.remaining };
      stages.set(s.label, {
        ...prev,
        inputWatermark: Math.min(prev.inputWatermark, s.inputWatermark),
        outputWatermark: Math.min(prev.outputWatermark, s.outputWatermark),
        bundles: prev.bundles + s.bundles,
        elements: prev.elements + s.elements,
        bundleMillis: {
          count: prev.bundleMillis.count + s.bundleMillis.count,
          sum: prev.bundleMillis.sum + s.bundleMillis.sum,
          min: Math.min(prev.bundleMillis.min, s.bundleMillis.min),
          max: Math.max(prev.bundleMillis.max, s.bundleMillis.max),
        },
        retries: prev.retries + s.retries,
        failures: prev.failures + s.failures,
        done: prev.done && s.done,
        ...(progress !== undefined ? { progress } : {}),
      });
    }
  }
  return { pcollections, stages: [...stages.values()] };
}
