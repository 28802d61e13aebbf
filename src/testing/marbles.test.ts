import { describe, expect, it } from "vitest";
import { ConstructionError, MAX_TIMESTAMP, MIN_TIMESTAMP, kv, type KV, type TestStreamEvent } from "../model/index.js";
import { Pipeline } from "../pipeline/index.js";
import { parseMarbleKv, parseMarbleTime, parseMarbleValue, testStream } from "./marbles.js";

/** The events a script compiles to, read from the graph. */
function eventsOf(script: string): readonly TestStreamEvent[] {
  const p = new Pipeline();
  p.apply(testStream(script));
  const node = [...p.graph().transforms.values()].find((t) => t.primitive?.kind === "testStream")!;
  return (node.primitive as { events: readonly TestStreamEvent[] }).events;
}

describe("testStream marbles", () => {
  it("parses times with units", () => {
    expect([parseMarbleTime("1500", "x"), parseMarbleTime("2s", "x"), parseMarbleTime("1.5m", "x"), parseMarbleTime("1h", "x")]).toEqual([
      1500, 2000, 90_000, 3_600_000,
    ]);
    expect(() => parseMarbleTime("soon", "line 3")).toThrow(/"soon" in line 3 is not a time/);
  });

  it("parses numbers, quoted strings and bare strings; a:b is a string unless the stream is of KVs", () => {
    expect(parseMarbleValue("42")).toBe(42);
    expect(parseMarbleValue('"42"')).toBe("42");
    expect(parseMarbleValue("user:7")).toBe("user:7");
    expect(parseMarbleValue("hello")).toBe("hello");
    expect(parseMarbleKv("user:7")).toEqual(kv("user", 7));
    expect(parseMarbleKv("url:http://x")).toEqual(kv("url", "http://x"));
    expect(() => parseMarbleKv("plain", "line 2")).toThrow(/"plain" in line 2 is not key:value/);
  });

  it("keeps a:b a string in a stream of strings, and makes it a KV with kv: true", () => {
    const elementsOf = (build: (p: Pipeline) => void) => {
      const p = new Pipeline();
      build(p);
      const node = [...p.graph().transforms.values()].find((t) => t.primitive?.kind === "testStream")!;
      return (node.primitive as { events: readonly TestStreamEvent[] }).events[0];
    };
    expect(elementsOf((p) => p.apply(testStream<string>("a:b@1")))).toEqual({ kind: "elements", elements: [{ value: "a:b", timestamp: 1 }] });
    expect(elementsOf((p) => p.apply(testStream<KV<string, number>>("a:1@1", { kv: true })))).toEqual({
      kind: "elements",
      elements: [{ value: kv("a", 1), timestamp: 1 }],
    });
    expect(() => new Pipeline().apply(testStream<KV<string, number>>("a:1 b", { kv: true }))).toThrow(/"b" in line 1 is not key:value/);
  });

  it("turns lines and | into bundles, watermark and processing-time events, ending at +infinity", () => {
    expect(eventsOf("a@1s b@2s | wm 5s\npt +3s # comment\nc")).toEqual([
      { kind: "elements", elements: [{ value: "a", timestamp: 1000 }, { value: "b", timestamp: 2000 }] },
      { kind: "watermark", watermark: 5000 },
      { kind: "processingTime", advanceBy: 3000 },
      { kind: "elements", elements: [{ value: "c", timestamp: 5000 }] },
      { kind: "watermark", watermark: MAX_TIMESTAMP },
    ]);
  });

  it("stamps bare values with the current watermark, the minimum before any", () => {
    expect(eventsOf("x")[0]).toEqual({ kind: "elements", elements: [{ value: "x", timestamp: MIN_TIMESTAMP }] });
  });

  it("rejects a watermark going back and events after wm inf, naming the line", () => {
    expect(() => eventsOf("wm 5s\nwm 2s")).toThrow(ConstructionError);
    expect(() => eventsOf("wm 5s\nwm 2s")).toThrow(/must not go back/);
    expect(() => eventsOf("wm inf\na@1s")).toThrow(/events after "wm inf" \(line 1\) would never happen/);
  });
});
