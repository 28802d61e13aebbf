import { describe, expect, it } from "vitest";
import {
  ConstructionError,
  Pipeline,
  create,
  groupByKey,
  kv,
  kvCoder,
  stringUtf8Coder,
  type Coder,
  map,
  ptransform,
  type KV,
  type PCollection,
} from "../src/index.js";
import { firstDifference, graphFingerprint } from "../src/pipeline/index.js";

const countWords = () =>
  ptransform("CountWords", (lines: PCollection<string>) =>
    lines
      .apply("Split", map((l: string) => kv(l, 1)))
      .apply("Group", groupByKey<string, number>()),
  );

describe("pipeline construction", () => {
  it("gives nested transforms full labels Outer/Inner", () => {
    const p = new Pipeline();
    p.apply("Lines", create(["a"])).apply(countWords());
    const labels = [...p.graph().transforms.values()].map((t) => t.fullLabel);
    expect(labels).toEqual(expect.arrayContaining(["Lines", "Lines/Impulse", "CountWords", "CountWords/Split", "CountWords/Group"]));
  });

  it("rejects a duplicate label and says how to name the transform", () => {
    const p = new Pipeline();
    const lines = p.apply("Lines", create(["a"]));
    lines.apply("Upper", map((s: string) => s.toUpperCase()));
    expect(() => lines.apply("Upper", map((s: string) => s.toLowerCase()))).toThrow(ConstructionError);
    expect(() => lines.apply("Upper", map((s: string) => s.toLowerCase()))).toThrow(
      /A transform named "Upper" already exists.*unique name.*pcoll\.apply\("Upper2"/,
    );
  });

  it("names anonymous maps after their call site so two of them do not collide", () => {
    const p = new Pipeline();
    const lines = p.apply(create(["a"]));
    lines.apply(map((s: string) => s + "1"));
    lines.apply(map((s: string) => s + "2"));
    const maps = [...p.graph().transforms.values()].map((t) => t.fullLabel).filter((l) => l.startsWith("Map("));
    expect(maps).toHaveLength(2);
    expect(maps[0]).toMatch(/^Map\(construction\.test\.ts:\d+\)$/);
  });

  it("freezes the graph once run", async () => {
    const p = new Pipeline();
    const pc = p.apply(create([1]));
    await p.run().waitUntilFinish();
    expect(() => pc.apply(map((x: number) => x))).toThrow(/already been run.*frozen/);
  });

  it("rejects withCoder after the PCollection is consumed", () => {
    const p = new Pipeline();
    const pc = p.apply(create([1]));
    pc.apply(map((x: number) => x));
    expect(() => pc.withCoder(pc.coder)).toThrow(/already consumed by Map/);
  });

  it("fingerprints identical constructions identically", () => {
    const build = () => {
      const p = new Pipeline();
      p.apply("Lines", create(["a", "b"])).apply(countWords());
      return p;
    };
    expect(build().fingerprint()).toBe(build().fingerprint());
  });

  it("changes the fingerprint when a DoFn changes and names the first differing transform", () => {
    const a = new Pipeline();
    a.apply("Lines", create(["a"])).apply("Fn", map((s: string) => s.length));
    const b = new Pipeline();
    b.apply("Lines", create(["a"])).apply("Fn", map((s: string) => s.length + 1));
    expect(a.fingerprint()).not.toBe(b.fingerprint());
    expect(firstDifference(graphFingerprint(a.graph()), graphFingerprint(b.graph()))).toBe("Fn");
  });

  it("rejects grouping by a key coder that is not deterministic", () => {
    const p = new Pipeline();
    const pc = p.apply(create([kv(1.5, "x")])) as PCollection<KV<number, string>>;
    // A user-supplied non-deterministic key coder must be caught at construction.
    const doubleKeyed = pc.apply(map((e: KV<number, string>) => e));
    const nondeterministic: Coder<number> = {
      urn: "test:coder:nondeterministic",
      components: [],
      deterministic: false,
      encode: () => {},
      decode: () => 0,
      toString: () => "nondeterministic",
    };
    doubleKeyed.withCoder(kvCoder(nondeterministic, stringUtf8Coder));
    expect(() => doubleKeyed.apply(groupByKey<number, string>())).toThrow(/keys must encode deterministically/);
  });

  it("releases a name whose expansion threw, with everything the expansion had applied", async () => {
    const p = new Pipeline();
    const lines = p.apply("Lines", create(["a", "b"]));
    const before = { transforms: [...p.graph().transforms.keys()], consumers: p.graph().pcollections.get(lines.id)!.consumers.length };
    const broken = ptransform("Broken", (pc: PCollection<string>) => {
      pc.apply("Upper", map((s: string) => s.toUpperCase())).apply("Twice", map((s: string) => s + s));
      throw new ConstructionError("the second step is misconfigured");
    });
    expect(() => lines.apply("Parse", broken)).toThrow(/In transform "Parse": the second step is misconfigured/);
    expect([...p.graph().transforms.keys()]).toEqual(before.transforms);
    expect(p.graph().pcollections.get(lines.id)!.consumers).toHaveLength(before.consumers);
    expect([...p.graph().pcollections.values()].filter((pc) => pc.producer !== undefined && !p.graph().transforms.has(pc.producer))).toEqual([]);

    const out = lines.apply("Parse", ptransform("Fixed", (pc: PCollection<string>) => pc.apply("Upper", map((s: string) => s.toUpperCase()))));
    const seen: string[] = [];
    out.apply("Collect", map((s: string) => void seen.push(s)));
    await p.run().waitUntilFinish();
    expect(seen.sort()).toEqual(["A", "B"]);
  });

  it("still refuses a name whose first expansion succeeded", () => {
    const p = new Pipeline();
    const lines = p.apply("Lines", create(["a"]));
    lines.apply("Parse", map((s: string) => s));
    expect(() => lines.apply("Parse", ptransform("Broken", () => { throw new ConstructionError("bad"); }))).toThrow(/already exists/);
  });

  it("rejects transform names containing a slash", () => {
    const p = new Pipeline();
    expect(() => p.apply("a/b", create([1]))).toThrow(/must not contain "\/"/);
  });

  it("reports an unknown runner and lists the known ones", () => {
    const p = new Pipeline({ runner: "flinkk" });
    p.apply(create([1]));
    expect(() => p.run()).toThrow(/No runner named "flinkk".*embedded/);
  });
});
