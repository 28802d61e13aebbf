import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  OffsetRange,
  OffsetRangeTracker,
  Pipeline,
  StateSpecs,
  TimerSpecs,
  Triggers,
  coderFromSpec,
  decodeFromBytes,
  encodeToBytes,
  testStream,
  combinePerKey,
  create,
  fixedWindows,
  groupByKey,
  kv,
  map,
  sessions,
  splittableParDo,
  statefulParDo,
  sum,
  windowInto,
  asSingleton,
  schema,
  t,
  type CombineFn,
  type KV,
  type StateSpec,
  type Trigger,
  type ValueState,
} from "../../src/index.js";
import { pipelineToProto } from "../../src/runners/portable/pipeline-proto.js";
import { Schema as ProtoSchema } from "../../src/proto/org/apache/beam/model/pipeline/v1/schema.js";
import { triggerFromProto, triggerToProto } from "../../src/runners/portable/trigger-proto.js";
import {
  CombinePayload,
  OutputTime_Enum,
  ParDoPayload,
  Pipeline as ProtoPipeline,
  TestStreamPayload,
  type Coder as ProtoCoder,
} from "../../src/proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";

function roundTrip(p: Pipeline): ProtoPipeline {
  const bytes = ProtoPipeline.encode(pipelineToProto(p.graph())).finish();
  return ProtoPipeline.decode(bytes);
}

function urnOf(proto: ProtoPipeline, label: string): string | undefined {
  return Object.values(proto.components!.transforms).find((t) => t.uniqueName === label)?.spec?.urn;
}

describe("Runner API translation", () => {
  it("translates transforms with standard URNs, composites with their parts, and survives encoding", () => {
    const p = new Pipeline();
    p.apply("Create", create([kv("a", 1), kv("b", 2)]))
      .apply("Window", windowInto(fixedWindows(60_000), { allowedLateness: 5_000 }))
      .apply("Sum", combinePerKey(sum()))
      .apply("Format", map((e: KV<string, number>) => `${e.key}=${e.value}`));
    const proto = roundTrip(p);
    expect(urnOf(proto, "Create/Impulse")).toBe("beam:transform:impulse:v1");
    expect(urnOf(proto, "Create/Values")).toBe("beam:transform:pardo:v1");
    expect(urnOf(proto, "Window")).toBe("beam:transform:window_into:v1");
    // Combine.perKey goes as Beam's combine_per_key (a runner may lift it) with its expansion.
    expect(urnOf(proto, "Sum")).toBe("beam:transform:combine_per_key:v1");
    expect(urnOf(proto, "Sum/GroupByKey")).toBe("beam:transform:group_by_key:v1");
    const sumNode = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "Sum")!;
    expect(sumNode.subtransforms.length).toBeGreaterThan(0);
    expect(proto.rootTransformIds.map((id) => proto.components!.transforms[id]!.uniqueName)).toEqual(["Create", "Window", "Sum", "Format"]);
    const strategies = Object.values(proto.components!.windowingStrategies);
    expect(strategies.some((w) => w.windowFn?.urn === "beam:window_fn:fixed_windows:v1" && w.allowedLateness === 5_000n)).toBe(true);
  });

  it("advertises the standard coders the harness decodes, but not state_backed_iterable, whose state it cannot read", () => {
    const p = new Pipeline();
    p.apply(create([1]));
    const envs = Object.values(roundTrip(p).components!.environments);
    expect(envs.length).toBeGreaterThan(0);
    for (const env of envs) {
      expect(env.capabilities).toEqual(expect.arrayContaining(["beam:coder:sharded_key:v1", "beam:coder:custom_window:v1", "beam:coder:row:v1"]));
      expect(env.capabilities).not.toContain("beam:coder:state_backed_iterable:v1");
    }
  });

  it("gives every PCollection a coder the coder registry rebuilds with the same URN structure", () => {
    const p = new Pipeline();
    p.apply(create([kv("a", 1)])).apply(groupByKey<string, number>());
    const proto = roundTrip(p);
    const coders = proto.components!.coders;
    interface Spec {
      readonly urn: string;
      readonly components: Spec[];
    }
    const spec = (id: string): Spec => {
      const c: ProtoCoder = coders[id]!;
      return { urn: c.spec!.urn, components: c.componentCoderIds.map(spec) };
    };
    for (const [id, pc] of p.graph().pcollections) {
      const translated = spec(proto.components!.pcollections[id]!.coderId);
      const describe = (c: { readonly urn: string; readonly components: readonly unknown[] }): string =>
        `${c.urn}(${c.components.map((k) => describe(k as Spec)).join(",")})`;
      expect(describe(translated)).toBe(describe(pc.coder as never));
      expect(coderFromSpec(translated).urn).toBe(pc.coder.urn);
    }
  });

  it("declares state, timers and the stateful requirement for a stateful ParDo", () => {
    const p = new Pipeline();
    p.apply(create([kv("a", 1)])).apply(
      "Dedup",
      statefulParDo({
        state: { seen: StateSpecs.value<boolean>(), all: StateSpecs.bag<number>() },
        timers: { flush: TimerSpecs.timer("EVENT_TIME") },
        process(_e: KV<string, number>, _ctx) {},
        onTimer: { flush() {} },
        onWindowExpiration() {},
      }),
    );
    const proto = roundTrip(p);
    expect(proto.requirements).toContain("beam:requirement:pardo:stateful:v1");
    expect(proto.requirements).toContain("beam:requirement:pardo:on_window_expiration:v1");
    const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === "Dedup")!;
    const payload = ParDoPayload.decode(t.spec!.payload);
    expect(Object.fromEntries(Object.entries(payload.stateSpecs).map(([id, s]) => [id, s.protocol?.urn]))).toEqual({
      seen: "beam:user_state:bag:v1",
      all: "beam:user_state:bag:v1",
    });
    // Timers are encoded with Beam's timer coder over the input's key and window coders.
    const coders = proto.components!.coders;
    const timer = coders[payload.timerFamilySpecs["flush"]!.timerFamilyCoderId]!;
    expect(timer.spec!.urn).toBe("beam:coder:timer:v1");
    expect(timer.componentCoderIds.map((id) => coders[id]!.spec!.urn)).toEqual(["beam:coder:string_utf8:v1", "beam:coder:global_window:v1"]);
    // The runner fires its own timer family for window expiry; the DoFn does not declare it.
    expect(payload.onWindowExpirationTimerFamilySpec).not.toBe("");
    expect(payload.timerFamilySpecs[payload.onWindowExpirationTimerFamilySpec]).toBeUndefined();
    // The runner keys state by the input's KV coder.
    expect(coders[proto.components!.pcollections[t.inputs[Object.keys(t.inputs)[0]!]!]!.coderId]!.spec!.urn).toBe("beam:coder:kv:v1");
  });

  it("declares a stateful ParDo's side inputs and tagged outputs beside its keyed main input", () => {
    const p = new Pipeline();
    const limit = asSingleton(p.apply("Limit", create([3])));
    p.apply(create([kv("a", 1)])).apply(
      "Limited",
      statefulParDo<string, number, number, { n: StateSpec<ValueState<number>> }, Record<never, never>, { deadLetter: number }>(
        {
          state: { n: StateSpecs.value<number>() },
          process(e, ctx) {
            if (e.value > ctx.sideInput(limit)) ctx.outputTo("deadLetter", e.value);
          },
        },
        { sideInputs: [limit], outputs: ["deadLetter"] },
      ),
    );
    const proto = roundTrip(p);
    const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === "Limited")!;
    const payload = ParDoPayload.decode(t.spec!.payload);
    expect(Object.keys(payload.sideInputs)).toEqual(["side0"]);
    expect(payload.sideInputs["side0"]!.accessPattern!.urn).toBe("beam:side_input:iterable:v1");
    expect(Object.keys(t.outputs).sort()).toEqual(["deadLetter", "main"]);
    // The main input is keyed (a KV coder, the runner keys state by it); the side input keeps its own coder.
    const coderOf = (pc: string) => proto.components!.coders[proto.components!.pcollections[pc]!.coderId]!.spec!.urn;
    const mainTag = Object.keys(t.inputs).find((tag) => tag !== "side0")!;
    expect(coderOf(t.inputs[mainTag]!)).toBe("beam:coder:kv:v1");
    expect(coderOf(t.inputs["side0"]!)).not.toBe("beam:coder:kv:v1");
    expect(proto.requirements).toContain("beam:requirement:pardo:stateful:v1");
  });

  it("declares a splittable ParDo's restriction coder as KV(restriction, watermark estimator state)", () => {
    const p = new Pipeline();
    p.apply(create([3])).apply(
      "Read",
      splittableParDo<number, number, OffsetRange>({
        getInitialRestriction: (n) => new OffsetRange(0, n),
        newTracker: (_n, r) => new OffsetRangeTracker(r),
        process() {},
      }),
    );
    const proto = roundTrip(p);
    expect(proto.requirements).toContain("beam:requirement:pardo:splittable_dofn:v1");
    const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === "Read")!;
    const payload = ParDoPayload.decode(t.spec!.payload);
    const coders = proto.components!.coders;
    const restriction = coders[payload.restrictionCoderId]!;
    expect(restriction.spec!.urn).toBe("beam:coder:kv:v1");
    expect(restriction.componentCoderIds.map((id) => coders[id]!.spec!.urn)).toEqual(["beam-ts:coder:sdf_restriction:v1", "beam-ts:coder:js_value:v1"]);
  });

  it("declares Combine.perKey with a CombinePayload naming the CombineFn by label, and keeps its expansion", () => {
    const p = new Pipeline();
    const mean: CombineFn<number, { sum: number; n: number }, number> = {
      createAccumulator: () => ({ sum: 0, n: 0 }),
      addInput: (a, x) => ({ sum: a.sum + x, n: a.n + 1 }),
      mergeAccumulators: (accs) => [...accs].reduce((a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n })),
      extractOutput: (a) => a.sum / a.n,
    };
    const input = p.apply(create([kv("a", 1), kv("b", 2)]));
    input.apply("Sum", combinePerKey(sum()));
    input.apply("Mean", combinePerKey(mean));
    input.apply("Fast", windowInto(fixedWindows(1000), { trigger: Triggers.afterWatermark({ early: Triggers.afterProcessingTime(10) }), accumulationMode: "DISCARDING" })).apply("Early", combinePerKey(sum()));
    const proto = roundTrip(p);
    const transforms = Object.values(proto.components!.transforms);
    const coders = proto.components!.coders;
    for (const label of ["Sum", "Mean", "Early"]) {
      const t = transforms.find((x) => x.uniqueName === label)!;
      expect(t.spec!.urn).toBe("beam:transform:combine_per_key:v1");
      expect(t.environmentId).toBe("beam-ts");
      const payload = CombinePayload.decode(t.spec!.payload);
      expect(payload.combineFn!.urn).toBe("beam:combinefn:beam_ts:v1");
      expect(Buffer.from(payload.combineFn!.payload).toString("utf8")).toBe(label);
      // No CombineFn here declares an accumulator coder: accumulators travel as JS values.
      expect(coders[payload.accumulatorCoderId]!.spec!.urn).toBe("beam-ts:coder:js_value:v1");
      // The expansion stays for runners that do not lift: GroupByKey, then the combine.
      expect(t.subtransforms.map((id) => proto.components!.transforms[id]!.uniqueName)).toEqual([`${label}/GroupByKey`, `${label}/Combine`]);
      // A lifting runner takes the key coder from the input's KV coder.
      const inputCoder = coders[proto.components!.pcollections[Object.values(t.inputs)[0]!]!.coderId]!;
      expect(inputCoder.spec!.urn).toBe("beam:coder:kv:v1");
    }
  });

  it("keeps Combine.perKey a plain composite where lifting would change it: merging windows, element-count triggers", () => {
    const p = new Pipeline();
    const input = p.apply(create([kv("a", 1)]));
    input.apply("Sessions", windowInto(sessions(1000))).apply("InSessions", combinePerKey(sum()));
    input.apply("Counted", windowInto(fixedWindows(1000), { trigger: Triggers.repeatedly(Triggers.afterCount(2)), accumulationMode: "DISCARDING" })).apply("EveryTwo", combinePerKey(sum()));
    const proto = roundTrip(p);
    expect(urnOf(proto, "InSessions")).toBeUndefined();
    expect(urnOf(proto, "EveryTwo")).toBeUndefined();
    expect(urnOf(proto, "EveryTwo/GroupByKey")).toBe("beam:transform:group_by_key:v1");
  });

  it("round-trips every trigger through its proto", () => {
    const leaf: fc.Arbitrary<Trigger> = fc.oneof(
      fc.constant(Triggers.default()),
      fc.constant(Triggers.never()),
      fc.integer({ min: 1, max: 100 }).map((n) => Triggers.afterCount(n)),
      fc.integer({ min: 0, max: 60_000 }).map((d) => Triggers.afterProcessingTime(d)),
      fc.constant(Triggers.afterWatermark()),
    );
    const once = fc.oneof(
      fc.integer({ min: 1, max: 100 }).map((n) => Triggers.afterCount(n)),
      fc.integer({ min: 0, max: 60_000 }).map((d) => Triggers.afterProcessingTime(d, { alignTo: 1000 })),
    );
    const trigger = fc.oneof(
      leaf,
      leaf.map((t) => Triggers.repeatedly(t)),
      fc.tuple(once, once).map(([e, l]) => Triggers.afterWatermark({ early: e, late: l })),
      fc.tuple(once, once).map(([a, b]) => Triggers.afterFirst(a, b)),
      fc.tuple(once, once).map(([a, b]) => Triggers.afterAll(a, b)),
      fc.tuple(once, once).map(([a, b]) => Triggers.afterEach(a, b)),
      fc.tuple(leaf, once).map(([a, b]) => Triggers.orFinally(Triggers.repeatedly(a), b)),
    );
    fc.assert(
      fc.property(trigger, (t) => {
        expect(triggerFromProto(triggerToProto(t))).toEqual(t);
      }),
    );
  });

  it("sends EARLIEST_TRANSFORMED as EARLIEST_IN_PANE for a WindowFn without getTransformedOutputTime (the Runner API has no such OutputTime)", () => {
    const p = new Pipeline();
    p.apply(create([kv("a", 1)])).apply(windowInto(fixedWindows(10_000), { timestampCombiner: "EARLIEST_TRANSFORMED" }));
    const proto = roundTrip(p);
    const fixed = Object.values(proto.components!.windowingStrategies).filter((w) => w.windowFn?.urn === "beam:window_fn:fixed_windows:v1");
    expect(fixed.map((w) => w.outputTime)).toEqual([OutputTime_Enum.EARLIEST_IN_PANE]);
  });

  it("marks sessions as needing merge and unbounded PCollections as unbounded", () => {
    const p = new Pipeline();
    p.apply(create([kv("a", 1)])).apply(windowInto(sessions(1000)));
    const proto = roundTrip(p);
    expect(Object.values(proto.components!.windowingStrategies).some((w) => w.windowFn?.urn === "beam:window_fn:session_windows:v1" && w.mergeStatus === 2)).toBe(true);
  });

  it("carries a TestStream's events: encoded elements, watermarks and processing time, in milliseconds", () => {
    const p = new Pipeline();
    p.apply("Events", testStream<KV<string, number>>("a:1@2s | wm 5s | pt +3s", { kv: true }));
    const proto = roundTrip(p);
    const node = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "Events")!;
    expect(node.spec!.urn).toBe("beam:transform:teststream:v1");
    const payload = TestStreamPayload.decode(node.spec!.payload);
    const coder = coderFromSpec({ urn: proto.components!.coders[payload.coderId]!.spec!.urn, components: proto.components!.coders[payload.coderId]!.componentCoderIds.map((id) => ({ urn: proto.components!.coders[id]!.spec!.urn })) });
    const [add, wm, pt, end] = payload.events;
    expect(add!.event?.$case).toBe("elementEvent");
    if (add!.event?.$case === "elementEvent") {
      const e = add!.event.elementEvent.elements[0]!;
      expect(e.timestamp).toBe(2000n);
      expect(decodeFromBytes(coder, e.encodedElement)).toEqual(kv("a", 1));
    }
    expect(wm!.event).toEqual({ $case: "watermarkEvent", watermarkEvent: { tag: "", newWatermark: 5000n } });
    expect(pt!.event).toEqual({ $case: "processingTimeEvent", processingTimeEvent: { advanceDuration: 3000n } });
    expect(end!.event).toEqual({ $case: "watermarkEvent", watermarkEvent: { tag: "", newWatermark: 9223372036854775n } });
  });

  it("declares a PCollection with a schema with Beam's row coder, the schema proto as its payload", () => {
    const Order = schema({ id: t.int64(), address: t.row({ zip: t.string() }).nullable(), status: t.enumeration("NEW", "DONE") }, { name: "Order" });
    const p = new Pipeline();
    p.apply("Orders", create([{ id: 1n, address: null, status: "NEW" }]))
      .apply("Typed", map((o: unknown) => o))
      .withSchema(Order)
      .apply("Ids", map((o) => o.id.toString()));
    const proto = roundTrip(p);
    const typed = Object.values(proto.components!.pcollections).find((pc) => pc.uniqueName.startsWith("Typed"))!;
    const coder = proto.components!.coders[typed.coderId]!;
    expect(coder.spec!.urn).toBe("beam:coder:row:v1");
    // Read with the generated protos, as another SDK reads it.
    const s = ProtoSchema.decode(coder.spec!.payload);
    expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s.fields.map((f) => [f.name, f.type!.nullable, f.type!.typeInfo!.$case])).toEqual([
      ["id", false, "atomicType"],
      ["address", true, "rowType"],
      ["status", false, "logicalType"],
    ]);
    const status = s.fields[2]!.type!.typeInfo as { $case: "logicalType"; logicalType: { urn: string; argument?: unknown } };
    expect(status.logicalType.urn).toBe("beam:logical_type:enum:v1");
    // The runner's coder (as a harness builds it from the proto) encodes the rows the same way.
    const rebuilt = coderFromSpec({ urn: coder.spec!.urn, payload: coder.spec!.payload });
    const row = { id: 7n, address: { zip: "12345" }, status: "DONE" };
    expect(decodeFromBytes(rebuilt, encodeToBytes(rebuilt, row))).toEqual(row);
  });
});
