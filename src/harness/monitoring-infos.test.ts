import { describe, expect, it } from "vitest";
import { MetricsContainer } from "../metrics/index.js";
import { encodeToBytes, iterableCoder, stringUtf8Coder } from "../coders/index.js";
import { bundleMonitoring, decodeUserMetrics, encodeUserMetrics, shortIdOf, userMetricOfShortId } from "./monitoring-infos.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function sample(): MetricsContainer {
  const c = new MetricsContainer("Outer/Measure");
  c.counter("ns", "seen").inc(300);
  c.counter("ns", "down").dec(1);
  c.counter("ns", "half").inc(0.5);
  for (const v of [1, 2, 3]) c.distribution("ns", "len").update(v);
  c.distribution("ns", "ratio").update(0.25);
  const g = c.gauge("ns", "last");
  g.value = 7;
  g.timestamp = 1000;
  c.stringSet("ns", "words").add("a", "bé");
  return c;
}

describe("user metrics as MonitoringInfos", () => {
  const encoded = encodeUserMetrics([sample()], (step) => (step === "Outer/Measure" ? "t3" : step));
  const find = (name: string) => encoded.find((m) => m.name === name)!;

  it("encodes an integer counter as beam:metric:user:sum_int64:v1 with a varint (negative values as 64-bit two's complement)", () => {
    expect(find("seen")).toMatchObject({ urn: "beam:metric:user:sum_int64:v1", transformId: "t3", namespace: "ns" });
    expect(hex(find("seen").payload)).toBe("ac02");
    expect(hex(find("down").payload)).toBe("ffffffffffffffffff01");
  });

  it("encodes a fractional counter as sum_double (a big-endian double)", () => {
    expect(find("half").urn).toBe("beam:metric:user:sum_double:v1");
    expect(hex(find("half").payload)).toBe("3fe0000000000000");
  });

  it("encodes a distribution as count, sum, min and max varints, or doubles when not integral", () => {
    expect(find("len").urn).toBe("beam:metric:user:distribution_int64:v1");
    expect(hex(find("len").payload)).toBe("03060103");
    expect(find("ratio").urn).toBe("beam:metric:user:distribution_double:v1");
    expect(hex(find("ratio").payload)).toBe("01" + "3fd0000000000000".repeat(3));
  });

  it("encodes a gauge as latest_int64: varint millis, then the value", () => {
    expect(find("last").urn).toBe("beam:metric:user:latest_int64:v1");
    expect(hex(find("last").payload)).toBe("e80707");
  });

  it("encodes a string set as Beam's iterable of UTF-8 strings", () => {
    expect(find("words").urn).toBe("beam:metric:user:set_string:v1");
    expect(hex(find("words").payload)).toBe(hex(encodeToBytes(iterableCoder(stringUtf8Coder), ["a", "bé"], false)));
  });

  it("labels every info with PTRANSFORM, NAMESPACE and NAME and the type of its urn", () => {
    const { monitoringInfos, monitoringData } = bundleMonitoring([sample()], () => "t3");
    const info = monitoringInfos.find((i) => i.labels["NAME"] === "len")!;
    expect(info).toMatchObject({ type: "beam:metrics:distribution_int64:v1", labels: { PTRANSFORM: "t3", NAMESPACE: "ns", NAME: "len" } });
    expect(Object.keys(monitoringData)).toHaveLength(monitoringInfos.length);
  });

  it("answers metadata for its short ids, and nothing for others", () => {
    const id = shortIdOf(find("seen"));
    expect(userMetricOfShortId(id)).toMatchObject({
      urn: "beam:metric:user:sum_int64:v1",
      type: "beam:metrics:sum_int64:v1",
      labels: { PTRANSFORM: "t3", NAMESPACE: "ns", NAME: "seen" },
    });
    expect(userMetricOfShortId("beam-ts/read_index/t1")).toBeUndefined();
    expect(userMetricOfShortId("beam-ts/user/[not json")).toBeUndefined();
  });

  it("decodes what it encodes back into cells per step", () => {
    const { monitoringInfos } = bundleMonitoring([sample(), sample()], () => "t3");
    const [c] = decodeUserMetrics(monitoringInfos, (id) => (id === "t3" ? "Outer/Measure" : id));
    expect(c!.step).toBe("Outer/Measure");
    expect(c!.counter("ns", "seen").value).toBe(600);
    expect(c!.counter("ns", "down").value).toBe(-2);
    expect(c!.counter("ns", "half").value).toBe(1);
    expect(c!.distribution("ns", "len").result()).toEqual({ count: 6, sum: 12, min: 1, max: 3, mean: 2 });
    expect(c!.distribution("ns", "ratio").result()).toMatchObject({ count: 2, min: 0.25, max: 0.25 });
    expect(c!.gauge("ns", "last").result()).toEqual({ value: 7, timestamp: 1000 });
    expect([...c!.stringSet("ns", "words").values].sort()).toEqual(["a", "bé"]);
  });
});
