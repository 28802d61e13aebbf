import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Pipeline,
  UnsupportedFeatureError,
  create,
  external,
  externalWithOutputs,
  kvCoder,
  map,
  stringUtf8Coder,
  varIntCoder,
  type PCollection,
} from "../../src/index.js";
import { configurationPayload, expandExternalTransforms, externalSites, pipelineToProto } from "../../src/runners/index.js";
import { expansionRequest, spliceExpansion } from "../../src/runners/portable/expansion-splice.js";
import { ExpansionService, ServedTransformRegistry, builtinTransforms, expandRequest, requestedTransform, SCHEMA_TRANSFORM_URN } from "../../src/xlang/index.js";
import type { ExpansionResponse } from "../../src/proto/org/apache/beam/model/job_management/v1/beam_expansion_api.js";
import type { Components, Pipeline as ProtoPipeline } from "../../src/proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { SchemaTransformPayload } from "../../src/proto/org/apache/beam/model/pipeline/v1/external_transforms.js";
import { schemaToProto } from "../../src/runners/portable/external-config.js";

const JAVA_SEQUENCE = "beam:external:java:generate_sequence:v1";
const SERVICE = "127.0.0.1:1";

/** What Java's expansion service answers for GenerateSequence, reduced to its shape. */
function javaLikeResponse(namespace: string, given: Components, outputCoder = "beam:coder:varint:v1"): ExpansionResponse {
  const env = { urn: "beam:env:embedded:v1", payload: Buffer.alloc(0), displayData: [], capabilities: [], dependencies: [], resourceHints: {} };
  return {
    error: "",
    requirements: ["beam:requirement:pardo:splittable_dofn:v1"],
    transform: {
      uniqueName: "JavaSequence",
      spec: undefined,
      subtransforms: [`${namespace}Read`],
      inputs: {},
      outputs: { output: `${namespace}out` },
      environmentId: "",
      displayData: [],
      annotations: {},
    },
    components: {
      ...given,
      transforms: {
        ...given.transforms,
        [`${namespace}Read`]: {
          uniqueName: "JavaSequence/Read",
          spec: { urn: "beam:transform:pardo:v1", payload: Buffer.alloc(0) },
          subtransforms: [],
          inputs: {},
          outputs: { out: `${namespace}out` },
          environmentId: `${namespace}java`,
          displayData: [],
          annotations: {},
        },
      },
      pcollections: {
        ...given.pcollections,
        [`${namespace}out`]: { uniqueName: "JavaSequence/Read.out", coderId: `${namespace}long`, isBounded: 1, windowingStrategyId: `${namespace}ws`, displayData: [] },
      },
      coders: {
        ...given.coders,
        [`${namespace}long`]: { spec: { urn: outputCoder, payload: Buffer.alloc(0) }, componentCoderIds: [] },
        [`${namespace}gw`]: { spec: { urn: "beam:coder:global_window:v1", payload: Buffer.alloc(0) }, componentCoderIds: [] },
      },
      windowingStrategies: {
        ...given.windowingStrategies,
        [`${namespace}ws`]: { ...Object.values(javaWindowing())[0]!, windowCoderId: `${namespace}gw`, environmentId: `${namespace}java` },
      },
      environments: { ...given.environments, [`${namespace}java`]: env },
    },
  };
}

function javaWindowing(): Components["windowingStrategies"] {
  const p = new Pipeline();
  p.apply(create([1]));
  return pipelineToProto(p.graph()).components!.windowingStrategies;
}

function sequencePipeline(outputCoder = true): { p: Pipeline; doubled: PCollection<number> } {
  const p = new Pipeline({ runner: "portable" });
  const nums = p.apply(
    "JavaSequence",
    external<number>({ urn: JAVA_SEQUENCE, config: { start: 0, stop: 10 }, expansionService: SERVICE, ...(outputCoder ? { outputCoder: varIntCoder } : {}) }),
  );
  const doubled = nums.apply("Double", map((n: number) => n * 2));
  return { p, doubled };
}

function splicedSequence(response: (ns: string, given: Components) => ExpansionResponse): ProtoPipeline {
  const { p } = sequencePipeline();
  const proto = pipelineToProto(p.graph());
  const [site] = externalSites(p.graph());
  const request = expansionRequest(proto, site!, configurationPayload({ start: 0, stop: 10 }), "external_1");
  spliceExpansion(proto, site!, request, response("external_1", request.components!));
  return proto;
}

describe("external(): cross-language transforms at construction", () => {
  it("records a placeholder the embedded runner rejects at run() with a pointer to a portable runner", () => {
    const { p } = sequencePipeline();
    expect(externalSites(p.graph()).map((s) => s.spec.urn)).toEqual([JAVA_SEQUENCE]);
    const embedded = () => {
      const e = new Pipeline();
      e.apply("JavaSequence", external<number>({ urn: JAVA_SEQUENCE, expansionService: SERVICE }));
      return e;
    };
    expect(() => embedded().run()).toThrow(UnsupportedFeatureError);
    expect(() => embedded().run()).toThrow(/"JavaSequence" is a cross-language transform .*need a portable runner: --runner=flink/);
    expect(() => new Pipeline().apply(external({ urn: JAVA_SEQUENCE, expansionService: "nowhere" }))).toThrow(/host:port/);
  });

  it("translates to a placeholder with the transform's URN until it is expanded", () => {
    const { p } = sequencePipeline();
    const proto = pipelineToProto(p.graph());
    const placeholder = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "JavaSequence")!;
    expect(placeholder.spec?.urn).toBe(JAVA_SEQUENCE);
  });

  it("asks for an expansion with only the inputs, each with a fake producer, and refuses beam-ts-coded inputs", () => {
    const p = new Pipeline();
    const words = p.apply(create(["a", "b"])).apply("Typed", map((s: string) => s)).withCoder(stringUtf8Coder);
    words.apply("Upper", external<string>({ urn: "beam:external:x:upper:v1", expansionService: SERVICE }));
    const proto = pipelineToProto(p.graph());
    const [site] = externalSites(p.graph());
    const request = expansionRequest(proto, site!, new Uint8Array(0), "external_1");
    expect(Object.keys(request.components!.transforms)).toEqual(["impulse_main"]);
    const inputPc = request.transform!.inputs["main"]!;
    expect(request.components!.transforms["impulse_main"]!.outputs).toEqual({ out: inputPc });
    expect(request.components!.coders[request.components!.pcollections[inputPc]!.coderId]!.spec!.urn).toBe("beam:coder:string_utf8:v1");
    expect(request.transform!.outputs).toEqual({});

    const untyped = new Pipeline();
    untyped.apply(create([{ a: 1 }])).apply("Upper", external({ urn: "beam:external:x:upper:v1", expansionService: SERVICE }));
    const untypedProto = pipelineToProto(untyped.graph());
    expect(() => expansionRequest(untypedProto, externalSites(untyped.graph())[0]!, new Uint8Array(0), "external_1")).toThrow(/beam-ts's own coder.*withCoder/s);
  });

  it("splices an expansion: the placeholder becomes the composite, its output keeps its id with the expansion's coder", () => {
    const proto = splicedSequence(javaLikeResponse);
    const c = proto.components!;
    const [id, composite] = Object.entries(c.transforms).find(([, t]) => t.uniqueName === "JavaSequence")!;
    expect(composite.spec).toBeUndefined();
    expect(composite.subtransforms).toEqual(["external_1Read"]);
    const out = composite.outputs["output"]!;
    expect(out).toMatch(/^pc\d+$/);
    expect(c.coders[c.pcollections[out]!.coderId]!.spec!.urn).toBe("beam:coder:varint:v1");
    expect(c.transforms["external_1Read"]!.outputs).toEqual({ out });
    const double = Object.values(c.transforms).find((t) => t.uniqueName === "Double")!;
    expect(Object.values(double.inputs)).toEqual([out]);
    expect(c.environments["external_1java"]!.urn).toBe("beam:env:embedded:v1");
    expect(proto.requirements).toContain("beam:requirement:pardo:splittable_dofn:v1");
    expect(Object.values(c.coders).some((k) => k.spec!.urn === "beam-ts:coder:external_output:v1")).toBe(false);
    expect(proto.rootTransformIds).toContain(id);
  });

  it("fails loudly when the expansion disagrees with what the pipeline declared", () => {
    expect(() => splicedSequence((ns, given) => javaLikeResponse(ns, given, "beam:coder:string_utf8:v1"))).toThrow(
      /declares output coder beam:coder:string_utf8:v1, but outputCoder is beam:coder:varint:v1/,
    );
    expect(() => splicedSequence((ns, given) => ({ ...javaLikeResponse(ns, given), error: "java.lang.IllegalArgumentException: no stop" }))).toThrow(
      /could not expand "JavaSequence" .*no stop/,
    );
    expect(() =>
      splicedSequence((ns, given) => {
        const r = javaLikeResponse(ns, given);
        return { ...r, transform: { ...r.transform!, outputs: { a: `${ns}out`, b: `${ns}out` } } };
      }),
    ).toThrow(/has 2 outputs \(a, b\): use externalWithOutputs/);
  });

  it("names multiple outputs by tag and checks they exist", () => {
    const p = new Pipeline();
    const outs = p.apply("Split", externalWithOutputs({ urn: "beam:external:x:split:v1", expansionService: SERVICE, outputs: { good: undefined, bad: stringUtf8Coder } }));
    expect(Object.keys(outs).sort()).toEqual(["bad", "good"]);
    const proto = pipelineToProto(p.graph());
    const [site] = externalSites(p.graph());
    const request = expansionRequest(proto, site!, new Uint8Array(0), "external_1");
    const r = javaLikeResponse("external_1", request.components!);
    expect(() => spliceExpansion(proto, site!, request, r)).toThrow(/has no output "good"; its outputs are: output/);
  });
});

describe("configuration payloads", () => {
  it("encodes config as Beam's ExternalConfigurationPayload that the expansion service reads back", () => {
    const config = { start: 3, stop: 12345678901234n, rate: 1.5, name: "x", on: true, tags: ["a", "b"], nested: { n: 1 }, skipped: undefined };
    const bytes = configurationPayload(config);
    const back = requestedTransform("beam:external:x:v1", bytes);
    expect(back.config).toEqual({ start: 3, stop: 12345678901234, rate: 1.5, name: "x", on: true, tags: ["a", "b"], nested: { n: 1 } });
  });

  it("reads JSON payloads, empty payloads and SchemaTransform payloads", () => {
    expect(requestedTransform("u", Buffer.from(' {"prefix": "p"}')).config).toEqual({ prefix: "p" });
    expect(requestedTransform("u", new Uint8Array(0)).config).toEqual({});
    const schema = { fields: [{ name: "prefix", type: { kind: "atomic" as const, type: "STRING" as const } }] };
    const st = SchemaTransformPayload.encode({
      identifier: "beam:external:beam_ts:add_prefix:v1",
      configurationSchema: schemaToProto(schema),
      // RowCoder: 1 field, empty null bitmap, "z" length-prefixed.
      configurationRow: Buffer.from([1, 0, 1, 0x7a]),
    }).finish();
    expect(requestedTransform(SCHEMA_TRANSFORM_URN, st)).toEqual({ urn: "beam:external:beam_ts:add_prefix:v1", config: { prefix: "z" } });
  });
});

describe("beam-ts's expansion service (in process)", () => {
  const registry = builtinTransforms(new ServedTransformRegistry());
  let serial = 0;
  const target = { pipeline: new Pipeline(), registry, workerEndpoint: "127.0.0.1:9", nextSerial: () => ++serial };

  function requestFor(urn: string, config: Record<string, unknown>) {
    const p = new Pipeline();
    p.apply(create(["a"])).apply("Typed", map((s: string) => s)).withCoder(stringUtf8Coder).apply("Ext", external<string>({ urn, config, expansionService: SERVICE }));
    const proto = pipelineToProto(p.graph());
    return expansionRequest(proto, externalSites(p.graph())[0]!, configurationPayload(config), "external_7");
  }

  it("expands a registered transform under the request's namespace, names and inputs", () => {
    const request = requestFor("beam:external:beam_ts:add_prefix:v1", { prefix: ">" });
    const response = expandRequest(request, target);
    expect(response.error).toBe("");
    const t = response.transform!;
    expect(t.uniqueName).toBe("Ext");
    expect(t.inputs).toEqual(request.transform!.inputs);
    const c = response.components!;
    const added = (m: Record<string, unknown>) => Object.keys(m).filter((id) => !id.startsWith("external_7") && !id.startsWith("impulse_"));
    expect(added(c.transforms).filter((id) => !(id in request.components!.transforms))).toEqual([]);
    expect(t.subtransforms.map((id) => c.transforms[id]!.uniqueName)).toEqual(["Ext/AddPrefix"]);
    const pardo = c.transforms[t.subtransforms[0]!]!;
    expect(Object.values(pardo.inputs)).toEqual(Object.values(request.transform!.inputs));
    expect(c.environments[pardo.environmentId]!.urn).toBe("beam:env:external:v1");
    const out = c.pcollections[t.outputs["output"]!]!;
    expect(c.coders[out.coderId]!.spec!.urn).toBe("beam:coder:string_utf8:v1");
  });

  it("answers with an error for unknown URNs and for outputs other SDKs cannot decode", () => {
    expect(expandRequest(requestFor("beam:external:nope:v1", {}), target).error).toMatch(/no beam-ts transform is registered for beam:external:nope:v1/);
    const bad = new ServedTransformRegistry().register("beam:external:bad:v1", { expand: (input) => (input as PCollection<string>).apply(map((s: string) => s)) });
    const response = expandRequest(requestFor("beam:external:bad:v1", {}), { ...target, registry: bad });
    expect(response.error).toMatch(/output "output" is coded with a beam-ts coder .*withCoder/);
  });

  describe("over gRPC, from a beam-ts pipeline", () => {
    const service = new ExpansionService({ registry });
    beforeAll(async () => void (await service.start()));
    afterAll(() => service.stop());

    it("expands external() transforms through the service and splices them", async () => {
      const p = new Pipeline();
      const words = p.apply(create(["a", "b"])).apply("Typed", map((s: string) => s)).withCoder(stringUtf8Coder);
      const counted = words
        .apply("Prefix", external<string>({ urn: "beam:external:beam_ts:add_prefix:v1", config: { prefix: "x" }, expansionService: service.endpoint, outputCoder: stringUtf8Coder }))
        .apply("Count", external({ urn: "beam:external:beam_ts:count_per_element:v1", expansionService: service.endpoint, outputCoder: kvCoder(stringUtf8Coder, varIntCoder) }));
      counted.apply("Show", map((kv: unknown) => String(kv)));
      const { pipeline } = await expandExternalTransforms(p.graph(), pipelineToProto(p.graph(), { type: "external", endpoint: "127.0.0.1:2" }));
      const c = pipeline.components!;
      const names = Object.values(c.transforms).map((t) => t.uniqueName);
      expect(names).toEqual(expect.arrayContaining(["Prefix", "Prefix/AddPrefix", "Count", "Count/Count"]));
      const envs = Object.entries(c.environments).map(([id, e]) => `${id}:${e.urn}`);
      expect(envs).toEqual(expect.arrayContaining(["beam-ts:beam:env:external:v1", "external_1beam-ts:beam:env:external:v1", "external_2beam-ts:beam:env:external:v1"]));
    });
  });
});
