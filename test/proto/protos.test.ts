// Smoke test of the TypeScript generated from Beam's portability protos (npm run proto;
// see tools/proto/README.md): messages round-trip through the wire format, the standard
// URNs are readable, and the gRPC clients construct.
import { credentials } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  BeamConstants_Constants,
  Pipeline,
  StandardCoders_Enum,
  StandardPTransforms_Primitives,
  beamConstants_ConstantsToJSON,
  protoMetadata as runnerApiMetadata,
  standardCoders_EnumToJSON,
  standardPTransforms_PrimitivesToJSON,
} from "../../src/proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";
import { InstructionRequest } from "../../src/proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import { JobServiceClient } from "../../src/proto/org/apache/beam/model/job_management/v1/beam_job_api.js";
import { BEAM_CONSTANTS, BEAM_URNS } from "../../src/proto/urns.js";
import { jobApi, runnerApi } from "../../src/proto/index.js";

const PKG = "org.apache.beam.model.pipeline.v1";

/**
 * Reads an enum value's custom option (e.g. beam_urn) from a generated module's
 * `protoMetadata` (ts-proto outputSchema), for an enum nested in a top-level message.
 */
function enumValueOption(
  metadata: { options?: { messages?: Record<string, { enums?: Record<string, { values?: Record<string, Record<string, unknown>> }> }> } },
  message: string,
  enumName: string,
  valueName: string,
  option: string,
): unknown {
  return metadata.options?.messages?.[message]?.enums?.[enumName]?.values?.[valueName]?.[option];
}

describe("generated Beam protos", () => {
  it("encodes and decodes a Pipeline with an Impulse transform and a bytes coder", () => {
    const impulseUrn = BEAM_URNS[`${PKG}.StandardPTransforms.Primitives`].IMPULSE;
    const bytesUrn = BEAM_URNS[`${PKG}.StandardCoders.Enum`].BYTES;
    const pipeline = Pipeline.fromPartial({
      components: {
        transforms: {
          impulse: { uniqueName: "Impulse", spec: { urn: impulseUrn }, outputs: { out: "pc0" } },
        },
        pcollections: {
          pc0: { uniqueName: "Impulse.out", coderId: "bytes", windowingStrategyId: "global" },
        },
        coders: { bytes: { spec: { urn: bytesUrn }, componentCoderIds: [] } },
      },
      rootTransformIds: ["impulse"],
      requirements: [],
    });

    const wire = Pipeline.encode(pipeline).finish();
    expect(wire.length).toBeGreaterThan(0);
    const back = Pipeline.decode(wire);

    expect(back).toEqual(pipeline);
    expect(back.components?.transforms["impulse"]?.spec?.urn).toBe("beam:transform:impulse:v1");
    expect(back.components?.transforms["impulse"]?.outputs).toEqual({ out: "pc0" });
    expect(back.components?.coders["bytes"]?.spec?.urn).toBe("beam:coder:bytes:v1");
    expect(back.rootTransformIds).toEqual(["impulse"]);
  });

  it("looks up standard URNs from the (beam_urn) enum value option", () => {
    // 1. The generated table (src/proto/urns.ts), keyed by the enum's full proto name: typed.
    expect(BEAM_URNS[`${PKG}.StandardPTransforms.Primitives`].IMPULSE).toBe("beam:transform:impulse:v1");
    expect(BEAM_URNS[`${PKG}.StandardPTransforms.Primitives`].GROUP_BY_KEY).toBe("beam:transform:group_by_key:v1");
    expect(BEAM_URNS[`${PKG}.StandardPTransforms.Composites`].COMBINE_PER_KEY).toBe("beam:transform:combine_per_key:v1");
    expect(BEAM_URNS[`${PKG}.StandardCoders.Enum`].VARINT).toBe("beam:coder:varint:v1");

    // 2. The same option through each generated module's protoMetadata, from an enum value.
    const name = standardPTransforms_PrimitivesToJSON(StandardPTransforms_Primitives.IMPULSE);
    expect(name).toBe("IMPULSE");
    expect(enumValueOption(runnerApiMetadata, "StandardPTransforms", "Primitives", name, "beam_urn")).toBe(
      "beam:transform:impulse:v1",
    );
    const coder = standardCoders_EnumToJSON(StandardCoders_Enum.KV);
    expect(enumValueOption(runnerApiMetadata, "StandardCoders", "Enum", coder, "beam_urn")).toBe("beam:coder:kv:v1");

    // Both ways agree on every standard primitive.
    for (const [value, urn] of Object.entries(BEAM_URNS[`${PKG}.StandardPTransforms.Primitives`])) {
      expect(enumValueOption(runnerApiMetadata, "StandardPTransforms", "Primitives", value, "beam_urn")).toBe(urn);
    }

    // (beam_constant): int64 values kept exact as bigint.
    const min = BEAM_CONSTANTS[`${PKG}.BeamConstants.Constants`].MIN_TIMESTAMP_MILLIS;
    expect(BigInt(min)).toBe(-9223372036854775n);
    const minName = beamConstants_ConstantsToJSON(BeamConstants_Constants.MIN_TIMESTAMP_MILLIS);
    expect(enumValueOption(runnerApiMetadata, "BeamConstants", "Constants", minName, "beam_constant")).toBe(min);
  });

  it("represents oneofs as $case unions (Fn API InstructionRequest)", () => {
    const req = InstructionRequest.fromPartial({
      instructionId: "1",
      request: { $case: "processBundle", processBundle: { processBundleDescriptorId: "d1", cacheTokens: [], elements: undefined } },
    });
    const back = InstructionRequest.decode(InstructionRequest.encode(req).finish());
    expect(back.request?.$case).toBe("processBundle");
    if (back.request?.$case === "processBundle") {
      expect(back.request.processBundle.processBundleDescriptorId).toBe("d1");
    }
  });

  it("exposes every module through src/proto/index.ts namespaces", () => {
    expect(runnerApi.Pipeline).toBe(Pipeline);
    expect(jobApi.JobServiceClient).toBe(JobServiceClient);
  });

  it("constructs a grpc-js JobServiceClient without calling it", () => {
    const client = new JobServiceClient("127.0.0.1:0", credentials.createInsecure());
    try {
      expect(typeof client.prepare).toBe("function");
      expect(typeof client.run).toBe("function");
      expect(typeof client.getStateStream).toBe("function");
    } finally {
      client.close();
    }
  });
});
