// Test support: drives a ReduceStage as the executor does, pass by pass, so a test can
// snapshot it between passes, restore a freshly built copy and compare what both emit
// afterwards.
import { BufferReader, BufferWriter, iterableCoder, kvCoder, stringUtf8Coder, varIntCoder, windowCoderOf, windowedValueCoder } from "../../../coders/index.js";
import type { Coder, Instant, KV, WindowedValue, WindowingStrategy } from "../../../model/index.js";
import { MIN_TIMESTAMP, NO_FIRING } from "../../../model/index.js";
import { ReduceRunner, combiningReduceFn, groupingReduceFn, type ReduceStateCoders } from "../../../runtime/index.js";
import { sum } from "../../../transforms/index.js";
import { ReduceStage, combiningStateCoders, groupingStateCoders, type LateDataReporter } from "../materialized-stages.js";
import type { SnapshotCoders } from "./snapshot-coders.js";

/** One pass's input: a committed bundle, a watermark or a clock move (absolute times). */
export type DriverEvent =
  | { readonly kind: "bundle"; readonly elements: readonly { readonly key: string; readonly value: number; readonly timestamp: Instant }[] }
  | { readonly kind: "watermark"; readonly to: Instant }
  | { readonly kind: "clock"; readonly to: Instant };

/** What a pass showed downstream: panes in a canonical order, watermark and next wake-up. */
export interface PassResult {
  readonly panes: readonly string[];
  readonly outputWatermark: Instant;
  readonly nextWakeup: Instant;
  readonly done: boolean;
}

/** A grouping step under test: GroupByKey or a lifted Combine (sum) over KV<string, number>. */
export interface GroupingCase {
  readonly name: string;
  readonly windowing: WindowingStrategy;
  readonly combine: boolean;
}

const INPUT = "in";
const OUTPUT = "out";
const NO_REPORTS: LateDataReporter = { droppedDueToLateness() {}, droppedDueToClosedWindow() {} };

/** The executor's SnapshotCoders for the two PCollections of a grouping case. */
export function snapshotCodersOf(c: GroupingCase): SnapshotCoders {
  const windowCoder = windowCoderOf(c.windowing);
  const outputValue: Coder<unknown> = c.combine ? varIntCoder : iterableCoder(varIntCoder);
  const input = windowedValueCoder(kvCoder(stringUtf8Coder, varIntCoder), windowCoder);
  const output = windowedValueCoder(kvCoder(stringUtf8Coder, outputValue), windowCoder);
  return {
    windowedValue: (pc) => {
      if (pc === INPUT) return input as Coder<WindowedValue<unknown>>;
      if (pc === OUTPUT) return output as Coder<WindowedValue<unknown>>;
      throw new Error(`no PCollection ${pc}`);
    },
  };
}

/** The stage as executor.ts builds it for the case, with the coders plumbed from its PlanStep. */
function buildStage(c: GroupingCase, now: () => Instant, withCoders: boolean): ReduceStage<unknown> {
  const drops = { droppedDueToClosedWindow() {} };
  const receiver = { receive() {} };
  if (c.combine) {
    const runner = new ReduceRunner<unknown>(stringUtf8Coder as Coder<unknown>, c.windowing, combiningReduceFn(sum() as never), drops);
    const coders = withCoders ? combiningStateCoders(stringUtf8Coder as Coder<unknown>, varIntCoder as Coder<unknown>, c.windowing) : undefined;
    const make = () => runner.newBundleTable(stringUtf8Coder as Coder<unknown>);
    return new ReduceStage(c.name, INPUT, OUTPUT, receiver, runner, make, NO_REPORTS, undefined, MIN_TIMESTAMP, now, coders);
  }
  const runner = new ReduceRunner<unknown[]>(stringUtf8Coder as Coder<unknown>, c.windowing, groupingReduceFn, drops);
  const coders: ReduceStateCoders<unknown[]> | undefined = withCoders
    ? groupingStateCoders(stringUtf8Coder as Coder<unknown>, varIntCoder as Coder<unknown>, c.windowing)
    : undefined;
  const make = () => runner.newBundleTable(stringUtf8Coder as Coder<unknown>);
  return new ReduceStage(c.name, INPUT, OUTPUT, receiver, runner, make, NO_REPORTS, undefined, MIN_TIMESTAMP, now, coders) as ReduceStage<unknown>;
}

/** A pane as text: key, value, timestamp, window and pane info. */
function describe(wv: WindowedValue<unknown>): string {
  const kv = wv.value as KV<string, unknown>;
  const p = wv.pane;
  const windows = wv.windows.map((w) => w.id()).join(",");
  return `${kv.key}=${JSON.stringify(kv.value)} @${wv.timestamp} [${windows}] ${p.timing}#${p.index}/${p.nonSpeculativeIndex}${p.isFirst ? " first" : ""}${p.isLast ? " last" : ""}`;
}

/** The executor's view of one ReduceStage: its clock and input watermark, stepped pass by pass. */
export class ReduceStageDriver {
  readonly stage: ReduceStage<unknown>;
  watermark: Instant = MIN_TIMESTAMP;
  clock: Instant = 0;

  constructor(
    readonly c: GroupingCase,
    withCoders = true,
  ) {
    this.stage = buildStage(c, () => this.clock, withCoders);
  }

  /** Applies the event (a bundle commits through the stage's TableSink) and runs one step. */
  async pass(event: DriverEvent): Promise<PassResult> {
    if (event.kind === "bundle") {
      this.commit(event);
    } else if (event.kind === "watermark") {
      this.watermark = Math.max(this.watermark, event.to);
    } else {
      this.clock = Math.max(this.clock, event.to);
    }
    const panes: string[] = [];
    await this.stage.step({
      now: this.clock,
      inputWatermark: this.watermark,
      draining: false,
      emit: (elements) => {
        for (const wv of elements) panes.push(describe(wv));
        return Promise.resolve();
      },
    });
    // Panes of one pass are one bundle: their order carries no meaning (windows due at the
    // same time leave the runner's heaps in an order its push history decides).
    panes.sort();
    return {
      panes,
      outputWatermark: this.stage.outputWatermark(this.watermark),
      nextWakeup: this.stage.nextWakeup(),
      done: this.stage.done,
    };
  }

  /** An upstream bundle commits into the stage's TableSink (panes may fire into `pending`). */
  commit(event: Extract<DriverEvent, { kind: "bundle" }>): void {
    const sink = this.stage.sink;
    sink.startBundle();
    for (const e of event.elements) {
      const windows = this.c.windowing.windowFn.assignWindows({ element: e, timestamp: e.timestamp, windows: [], pane: NO_FIRING });
      sink.receive({ value: { key: e.key, value: e.value }, timestamp: e.timestamp, windows, pane: NO_FIRING });
    }
    sink.finishBundle();
    sink.commit();
  }

  async run(events: readonly DriverEvent[]): Promise<PassResult[]> {
    const out: PassResult[] = [];
    for (const e of events) out.push(await this.pass(e));
    return out;
  }

  snapshot(): Uint8Array {
    const out = new BufferWriter();
    this.stage.snapshot(out, snapshotCodersOf(this.c));
    return out.finish();
  }

  /** A freshly built driver restored from `bytes`, with the executor's clock and watermark. */
  static async restored(c: GroupingCase, bytes: Uint8Array, watermark: Instant, clock: Instant): Promise<ReduceStageDriver> {
    const d = new ReduceStageDriver(c);
    d.watermark = watermark;
    d.clock = clock;
    await d.stage.restore(new BufferReader(bytes), snapshotCodersOf(c));
    return d;
  }
}
